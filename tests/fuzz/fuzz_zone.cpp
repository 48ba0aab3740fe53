// The zone-file reader on any text (through ldns): it reads the zone or throws ConfigError
// naming the file; nothing else.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "conf/zone_file.h"
#include "fuzz_support.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // $INCLUDE of a file that never ends (/dev/zero) would be a hang of the input's making.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* endless : {"/dev", "/proc", "/sys"})
    if (text.find(endless) != std::string_view::npos) return 0;
  static const std::string file = "/tmp/meridian-fuzz-zone-" + std::to_string(getpid()) + ".zone";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  model::Zone zone;
  zone.origin = "example.test";
  zone.origin_wire = conf::to_wire_name("example.test");
  zone.file = file;
  zone.line = 1;
  try {
    conf::read_zone_file(zone, "/tmp/meridian.yaml");
    for (const auto& record : zone.records) MERIDIAN_FUZZ_CHECK(record.owner.size() <= 255);
  } catch (const conf::ConfigError&) {
  } catch (const std::exception& error) {
    meridian::fuzz::finding(std::string("not a ConfigError: ") + error.what());
  }
  return 0;
}
