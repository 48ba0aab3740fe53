// server.version: the string CH TXT version.bind answers, unset by default, one TXT string long.
#include <doctest/doctest.h>

#include <string>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using testing::load_error;
using testing::server_with;

TEST_CASE("server.version is unset unless given, and read as given") {
  CHECK(conf::load_from_string(server_with("  workers: 1\n"), "meridian.yaml")->server.version.empty());
  const auto config =
      conf::load_from_string(server_with("  version: \"meridian 0.1 (lab)\"\n"), "meridian.yaml");
  CHECK(config->server.version == "meridian 0.1 (lab)");
}

TEST_CASE("server.version that is empty or longer than one TXT string is an error at its line") {
  const auto empty = load_error(server_with("  workers: 1\n  version: \"\"\n"));
  CHECK(empty.line() == 6);
  CHECK(empty.reason().find("version must be 1..255 bytes") != std::string::npos);
  const auto longer = load_error(server_with("  version: " + std::string(256, 'v') + "\n"));
  CHECK(longer.line() == 5);
  CHECK(longer.reason().find("version must be 1..255 bytes") != std::string::npos);
}
