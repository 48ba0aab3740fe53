// Helpers shared by the conf and server unit tests: scratch folders, config errors, fixture paths.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace meridian::testing {

// A folder of its own under the system temp folder, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("meridian-unit-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` (relative to the folder, parents created) and returns its full path.
  std::string write(const std::string& name, std::string_view text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << text;
    REQUIRE_MESSAGE(out.good(), "cannot write " << file.string());
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// The system tests' zone for example.test: any valid config can point at it.
inline std::string fixture_zone() {
  return std::string(MERIDIAN_SOURCE_DIR) + "/tests/fixtures/zones/example.test.zone";
}

// A small valid zone for example.test (apex SOA and NS, one address).
inline constexpr std::string_view minimal_zone =
    "$ORIGIN example.test.\n"
    "$TTL 3600\n"
    "@   IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
    "    IN NS  ns1\n"
    "ns1 IN A   192.0.2.53\n";

// `text` with every "ZONE" replaced by `zone_path` (so YAML in tests keeps its line numbers).
inline std::string with_zone(std::string text, const std::string& zone_path = fixture_zone()) {
  for (auto at = text.find("ZONE"); at != std::string::npos; at = text.find("ZONE", at + zone_path.size()))
    text.replace(at, 4, zone_path);
  return text;
}

// A config of the fixture zone whose server section is `lines` (indented two spaces): they
// start at line 5, so a test can say where an error points.
inline std::string server_with(const std::string& lines) {
  return with_zone("zones:\n  - origin: example.test\n    file: ZONE\nserver:\n" + lines);
}

// The ConfigError that loading `yaml` throws; fails the test when it loads (or throws another type).
inline conf::ConfigError load_error(const std::string& yaml, const std::string& path = "meridian.yaml") {
  try {
    conf::load_from_string(yaml, path);
  } catch (const conf::ConfigError& error) {
    return error;
  }
  FAIL("the config loaded, but an error was expected:\n" << yaml);
  return conf::ConfigError("", 0, "");  // not reached: FAIL throws
}

}  // namespace meridian::testing
