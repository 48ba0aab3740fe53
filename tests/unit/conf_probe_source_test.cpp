// server.probe_source: one address or a list, at most one per family, and the errors at their line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using testing::load_error;
using testing::server_with;

namespace {

std::vector<std::string> sources(const std::string& lines) {
  const auto config = conf::load_from_string(server_with(lines), "meridian.yaml");
  std::vector<std::string> printed;
  for (const auto& address : config->server.probe_source) printed.push_back(address.to_string());
  return printed;
}

}  // namespace

TEST_CASE("probe_source is unset by default: probes leave from the kernel's choice") {
  CHECK(sources("  workers: 1\n").empty());
}

TEST_CASE("probe_source takes one address or a list of one per family") {
  CHECK(sources("  probe_source: 127.0.0.12\n") == std::vector<std::string>{"127.0.0.12"});
  CHECK(sources("  probe_source: \"::1\"\n") == std::vector<std::string>{"::1"});
  CHECK(sources("  probe_source: [127.0.0.12, \"::1\"]\n") == std::vector<std::string>{"127.0.0.12", "::1"});
  CHECK(sources("  probe_source:\n    - 2001:db8::7\n    - 192.0.2.7\n") ==
        std::vector<std::string>{"2001:db8::7", "192.0.2.7"});
}

TEST_CASE("a probe_source that is not one address per family is an error at its line") {
  struct Case {
    std::string lines;
    int line;
    std::string reason;
  };
  const Case cases[] = {
      {"  probe_source: [127.0.0.12,\n                 127.0.0.13]\n", 6,
       "probe_source has two IPv4 addresses (127.0.0.12 and 127.0.0.13): at most one per family"},
      {"  probe_source:\n    - \"::1\"\n    - 127.0.0.1\n    - 2001:db8::1\n", 8,
       "probe_source has two IPv6 addresses (::1 and 2001:db8::1): at most one per family"},
      {"  probe_source: eth0\n", 5, "probe_source \"eth0\" is not an IP address (no port)"},
      {"  probe_source: 127.0.0.12:0\n", 5, "probe_source \"127.0.0.12:0\" is not an IP address (no port)"},
      {"  probe_source: 127.0.0.0/8\n", 5, "probe_source \"127.0.0.0/8\" is not an IP address (no port)"},
      {"  workers: 1\n  probe_source: [127.0.0.12, ns1.example.test]\n", 6,
       "probe_source \"ns1.example.test\" is not an IP address (no port)"},
      {"  probe_source: {v4: 127.0.0.12}\n", 5, "probe_source must be a string"},
      {"  probe_sources: 127.0.0.12\n", 5, "unknown key \"probe_sources\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.lines);
    const auto error = load_error(server_with(c.lines));
    CHECK(error.line() == c.line);
    CHECK(error.reason().find(c.reason) != std::string::npos);
  }
}
