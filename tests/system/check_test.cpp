// `meridian check`: exit 0 for a good config, exit 1 with FILE:LINE: reason for a bad one.
#include <doctest/doctest.h>

#include <filesystem>

#include "harness.h"

using namespace meridian::test;

namespace {
std::string zone_path() { return fixtures() + "/zones/example.test.zone"; }
}  // namespace

TEST_CASE("check accepts a good config") {
  TempDir dir;
  const auto file = dir.write("good.yaml", "zones:\n  - origin: example.test\n    file: " + zone_path() + "\n");
  auto result = run_meridian({"check", "--config", file});
  CHECK(result.exit_code == 0);
}

TEST_CASE("check names the file and line of a typo'd key") {
  TempDir dir;
  const auto file = dir.write("typo.yaml",
                              "server:\n  workers: 2\n  lisen: [\"127.0.0.1:5300\"]\nzones:\n  - origin: example.test\n"
                              "    file: " + zone_path() + "\n");
  auto result = run_meridian({"check", "--config", file});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find(file + ":3: unknown key \"lisen\"") != std::string::npos);
}

TEST_CASE("check reports a zone file's syntax error with the zone file's line") {
  TempDir dir;
  const auto zone = dir.write("bad.zone", "$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns hm 1 2 3 4 5\n@ IN NS ns\nns IN A 300.1.2.3\n");
  const auto file = dir.write("bad.yaml", "zones:\n  - origin: example.test\n    file: bad.zone\n");
  auto result = run_meridian({"check", "--config", file});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find(zone + ":5: ") != std::string::npos);
}

TEST_CASE("check rejects a zone without SOA or without NS at its apex") {
  TempDir dir;
  dir.write("nosoa.zone", "$ORIGIN example.test.\n@ 60 IN NS ns\nns 60 IN A 192.0.2.1\n");
  dir.write("nons.zone", "$ORIGIN example.test.\n@ 60 IN SOA ns hm 1 2 3 4 5\nns 60 IN A 192.0.2.1\n");
  const auto nosoa = dir.write("nosoa.yaml", "zones:\n  - origin: example.test\n    file: nosoa.zone\n");
  const auto nons = dir.write("nons.yaml", "zones:\n  - origin: example.test\n    file: nons.zone\n");
  auto a = run_meridian({"check", "--config", nosoa});
  CHECK(a.exit_code == 1);
  CHECK(a.err.find(nosoa + ":2: zone example.test has no SOA record") != std::string::npos);
  auto b = run_meridian({"check", "--config", nons});
  CHECK(b.exit_code == 1);
  CHECK(b.err.find("has no NS record at its apex") != std::string::npos);
}

TEST_CASE("check blames a GeoIP file that cannot be opened on the config line naming it") {
  TempDir dir;
  const auto junk = dir.write("junk.mmdb", "not a MaxMind DB\n");
  const auto file = dir.write("geo.yaml", "geo:\n  databases:\n    - " + geo_testdata() +
                                              "/maxmind-test-data/GeoIP2-City-Test.mmdb\n    - junk.mmdb\n"
                                              "zones:\n  - origin: example.test\n    file: " +
                                              zone_path() + "\n");
  auto result = run_meridian({"check", "--config", file});
  CHECK(result.exit_code == 1);
  CHECK_MESSAGE(result.err.find(file + ":4: " + junk + ": ") != std::string::npos, result.err);
  std::filesystem::remove(junk);
  auto missing = run_meridian({"serve", "--config", file});
  CHECK(missing.exit_code == 1);
  CHECK_MESSAGE(missing.err.find(file + ":4: " + junk + ": ") != std::string::npos, missing.err);
  CHECK(missing.err.find("No such file or directory") != std::string::npos);
}

TEST_CASE("serve refuses a bad config with exit 1 and the reason") {
  TempDir dir;
  const auto file = dir.write("bad.yaml", "zones:\n  - origin: example.test\n    file: missing.zone\n");
  auto result = run_meridian({"serve", "--config", file});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find(file + ":2: cannot open zone file") != std::string::npos);
}

TEST_CASE("serve exits 2 when it cannot bind") {
  TempDir dir;
  const auto file = dir.write("good.yaml", "zones:\n  - origin: example.test\n    file: " + zone_path() + "\n");
  auto result = run_meridian({"serve", "--config", file, "--listen", "192.0.2.1:53"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("cannot listen on 192.0.2.1:53") != std::string::npos);
}

TEST_CASE("the config the Debian package installs in /etc/meridian passes check") {
  // packaging/zones points at examples/zones, as /etc/meridian/zones holds the example zone.
  const auto result = run_meridian({"check", "--config", MERIDIAN_SOURCE_DIR "/packaging/meridian.yaml"});
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
}
