// The YAML config loader on any text: it accepts it or throws ConfigError (FILE:LINE: reason);
// any other exception, or a crash, is a finding.
#include <cstdint>
#include <string_view>

#include "conf/config.h"
#include "fuzz_support.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A file named in the config is read (zones, the token): one that never ends (/dev/zero, a
  // fifo under /proc) would be a hang of the input's making, not of the loader's.
  for (const char* endless : {"/dev", "/proc", "/sys"})
    if (text.find(endless) != std::string_view::npos) return 0;
  try {
    // Relative paths point into a folder with nothing in it: a zone file named is an error.
    conf::load_from_string(text, "/nonexistent-meridian-fuzz/meridian.yaml");
  } catch (const conf::ConfigError& error) {
    MERIDIAN_FUZZ_CHECK(std::string_view(error.what()).starts_with("/nonexistent-meridian-fuzz/"));
  } catch (const std::exception& error) {
    meridian::fuzz::finding(std::string("not a ConfigError: ") + error.what());
  }
  return 0;
}
