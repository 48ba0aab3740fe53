// conf::load_from_string: every config mistake the loader reports (exact line, recognisable reason), and the values it fills in.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using namespace std::chrono_literals;
using testing::load_error;
using testing::with_zone;

namespace {

// Loads `yaml`; a ConfigError fails the test with its message.
std::shared_ptr<const model::Config> load_ok(const std::string& yaml, const std::string& path = "meridian.yaml") {
  try {
    return conf::load_from_string(yaml, path);
  } catch (const conf::ConfigError& error) {
    FAIL("unexpected config error: " << std::string(error.what()));
  }
  return nullptr;
}

// A valid config with one priority profile; `monitor` and `endpoint_monitor` are spliced in as
// YAML lines (indented for their place) so tests can vary only the monitor settings.
std::string profile_config(const std::string& monitor, const std::string& endpoint_monitor = "") {
  return with_zone(
      "zones:\n"
      "  - origin: example.test\n"
      "    file: ZONE\n"
      "profiles:\n"
      "  - name: app\n"
      "    fqdn: app.example.test\n"
      "    method: priority\n" +
      monitor +
      "    endpoints:\n"
      "      - name: one\n"
      "        target: 192.0.2.1\n" +
      endpoint_monitor +
      "      - name: two\n"
      "        target: 192.0.2.2\n");
}

// The server section's tcp_idle_timeout read from `text`, as "<N>ms", or the loader's complaint.
std::string idle_timeout(const std::string& text) {
  try {
    const auto config = conf::load_from_string(with_zone("zones:\n"
                                                         "  - origin: example.test\n"
                                                         "    file: ZONE\n"
                                                         "server:\n"
                                                         "  tcp_idle_timeout: " + text + "\n"),
                                               "meridian.yaml");
    return std::to_string(config->server.tcp_idle_timeout.count()) + "ms";
  } catch (const conf::ConfigError& error) {
    return std::string("error: ") + error.what();
  }
}

conf::ConfigError idle_timeout_error(const std::string& text) {
  return load_error(with_zone("zones:\n"
                              "  - origin: example.test\n"
                              "    file: ZONE\n"
                              "server:\n"
                              "  tcp_idle_timeout: " + text + "\n"));
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

// --- a valid config ---------------------------------------------------------------------------

TEST_CASE("a minimal config with one zone loads, listens on the default addresses and reads the zone") {
  auto config = load_ok(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
)"));
  REQUIRE(config->zones.size() == 1);
  CHECK(config->zones[0].origin == "example.test");
  CHECK(config->zones[0].origin_wire == conf::to_wire_name("example.test"));
  CHECK(config->zones[0].line == 2);
  CHECK_FALSE(config->zones[0].records.empty());
  REQUIRE(config->server.listen.size() == 2);
  CHECK(config->server.listen[0].to_string() == "127.0.0.1:5300");
  CHECK(config->server.listen[1].to_string() == "[::1]:5300");
  CHECK(config->profiles.empty());
}

// --- unknown and repeated keys ----------------------------------------------------------------

TEST_CASE("an unknown key at the top level is reported at its own line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
zonez: []
)"));
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), "unknown key \"zonez\""));
  CHECK(error.file() == "meridian.yaml");
}

TEST_CASE("an unknown key in server is reported at its own line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  listen: ["127.0.0.1:53"]
  worker: 2
)"));
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "unknown key \"worker\" in server"));
}

TEST_CASE("an unknown key in a zone is reported at its own line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
    orign: other.test
)"));
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), "unknown key \"orign\" in a zone"));
}

TEST_CASE("an unknown key in a profile is reported at its own line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    tll: 30
    endpoints:
      - name: one
        target: 192.0.2.1
)"));
  CHECK(error.line() == 8);
  CHECK(contains(error.reason(), "unknown key \"tll\" in a profile"));
}

TEST_CASE("an unknown key in an endpoint is reported at its own line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        wieght: 5
)"));
  CHECK(error.line() == 11);
  CHECK(contains(error.reason(), "unknown key \"wieght\" in an endpoint"));
}

TEST_CASE("an unknown key in a monitor is reported at its own line") {
  const auto error = load_error(profile_config("    monitor:\n"
                                               "      protocol: http\n"
                                               "      intervall: 10s\n"));
  CHECK(error.line() == 10);
  CHECK(contains(error.reason(), "unknown key \"intervall\" in monitor"));
}

TEST_CASE("the unknown-key message lists the keys that are allowed") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
resolver:
  server: ["192.0.2.1:53"]
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "expected one of: servers"));
}

TEST_CASE("a key repeated in one mapping is reported at its second occurrence") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  workers: 2
  nsid: one
  workers: 3
)"));
  CHECK(error.line() == 7);
  CHECK(contains(error.reason(), "key \"workers\" appears twice in server"));
}

// --- wrong types ------------------------------------------------------------------------------

TEST_CASE("a string where a list is expected is reported at the string") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  listen: "127.0.0.1:53"
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "server listen must be a list"));
}

TEST_CASE("zones given as a mapping instead of a list is reported") {
  const auto error = load_error(with_zone(R"(server:
  workers: 1
zones:
  origin: example.test
  file: ZONE
)"));
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), "zones must be a list"));
}

TEST_CASE("a boolean other than true or false is reported at the value") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    enabled: maybe
    endpoints:
      - name: one
        target: 192.0.2.1
)"));
  CHECK(error.line() == 8);
  CHECK(contains(error.reason(), "enabled must be true or false"));
}

TEST_CASE("a word where a whole number is expected is reported at the value") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  workers: two
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "server workers must be a whole number"));
}

TEST_CASE("a fraction where a whole number is expected is reported at the value") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  udp_payload: 1232.5
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "udp_payload must be a whole number"));
}

TEST_CASE("a whole number out of its range is reported with the range") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  udp_payload: 100
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "udp_payload must be between 512 and 4096, not 100"));
}

TEST_CASE("a key with no value where a string is expected is reported at the key's line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  nsid:
  workers: 1
)"));
  CHECK(contains(error.reason(), "key \"nsid\" in server has no value"));
  CHECK(error.line() == 5);
}

// --- durations --------------------------------------------------------------------------------

TEST_CASE("a duration without a unit is rejected") {
  const auto error = idle_timeout_error("10");
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "tcp_idle_timeout must be a duration such as 10s or 500ms"));
}

TEST_CASE("a duration with an unknown unit is rejected") {
  const auto error = idle_timeout_error("10x");
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "must be a duration"));
}

TEST_CASE("a negative duration is rejected") {
  const auto error = idle_timeout_error("-1s");
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "must be a duration"));
}

TEST_CASE("a duration finer than a millisecond is rejected") {
  const auto error = idle_timeout_error("1.5ms");
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "finer than a millisecond"));
}

TEST_CASE("durations in milliseconds, seconds, fractional seconds and minutes are accepted") {
  CHECK(idle_timeout("500ms") == "500ms");
  CHECK(idle_timeout("10s") == "10000ms");
  CHECK(idle_timeout("1.5s") == "1500ms");
  CHECK(idle_timeout("2m") == "120000ms");
  CHECK(idle_timeout("1h") == "3600000ms");
}

TEST_CASE("a fractional duration that is a whole number of milliseconds is accepted") {
  // 2.01 * 1000 is 2009.9999999999998 in binary floating point: still 2010ms as written.
  CHECK(idle_timeout("2.01s") == "2010ms");
  CHECK(idle_timeout("1.001s") == "1001ms");
}

TEST_CASE("a duration too long to hold in milliseconds is rejected") {
  // Converting 3.6e305 to a 64-bit count is undefined; today it comes out negative and is kept.
  const auto error = idle_timeout_error("1e300h");
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "tcp_idle_timeout"));
}

TEST_CASE("tcp_max_connections defaults to 1000 and takes 1 and up") {
  const std::string zones = "zones:\n  - origin: example.test\n    file: ZONE\n";
  CHECK(conf::load_from_string(with_zone(zones), "meridian.yaml")->server.tcp_max_connections == 1000);
  const auto config =
      conf::load_from_string(with_zone(zones + "server:\n  tcp_max_connections: 1\n"), "meridian.yaml");
  CHECK(config->server.tcp_max_connections == 1);
  const auto error = load_error(with_zone(zones + "server:\n  tcp_max_connections: 0\n"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "tcp_max_connections"));
}

// --- addresses --------------------------------------------------------------------------------

TEST_CASE("a listen address without a port is rejected at its line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  listen:
    - "127.0.0.1:53"
    - "127.0.0.1"
)"));
  CHECK(error.line() == 7);
  CHECK(contains(error.reason(), "listen address \"127.0.0.1\" is not ADDRESS:PORT"));
}

TEST_CASE("an IPv6 listen address without brackets is rejected") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  listen:
    - "::1:53"
)"));
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "(IPv6 as [ADDRESS]:PORT)"));
}

TEST_CASE("a listen port above 65535 is rejected") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  listen: ["[::1]:99999"]
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "\"[::1]:99999\" is not ADDRESS:PORT"));
}

TEST_CASE("listen addresses of both families are read in order") {
  auto config = load_ok(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  listen: ["192.0.2.1:53", "[2001:db8::1]:5353"]
)"));
  REQUIRE(config->server.listen.size() == 2);
  CHECK(config->server.listen[0].to_string() == "192.0.2.1:53");
  CHECK(config->server.listen[1].to_string() == "[2001:db8::1]:5353");
}

// --- profiles and endpoints -------------------------------------------------------------------

TEST_CASE("two profiles with one name are reported at the second name") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
  - fqdn: app2.example.test
    name: app
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
)"));
  CHECK(error.line() == 12);
  CHECK(contains(error.reason(), "profile name \"app\" is used twice"));
}

TEST_CASE("two endpoints with one name in a profile are reported at the second name") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
      - target: 192.0.2.2
        name: one
)"));
  CHECK(error.line() == 12);
  CHECK(contains(error.reason(), "endpoint name \"one\" is used twice in profile app"));
}

TEST_CASE("one endpoint name may appear in two different profiles") {
  auto config = load_ok(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
  - name: api
    fqdn: api.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.2
)"));
  REQUIRE(config->profiles.size() == 2);
  CHECK(config->profiles[0].endpoints[0].id == 0);
  CHECK(config->profiles[1].endpoints[0].id == 1);
  CHECK(config->endpoint_count == 2);
}

TEST_CASE("an endpoint with both a target and a child profile is reported at the endpoint") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        profile: other
)"));
  CHECK(error.line() == 9);
  CHECK(contains(error.reason(), "either a target or a profile, not both"));
}

TEST_CASE("an endpoint with neither a target nor a child profile is reported at the endpoint") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
      - name: two
        weight: 3
)"));
  CHECK(error.line() == 11);
  CHECK(contains(error.reason(), "needs a target or a (child) profile"));
}

TEST_CASE("a subnet with host bits set is reported at its line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: subnet
    endpoints:
      - name: one
        target: 192.0.2.1
        subnets:
          - 198.51.100.0/24
          - 203.0.113.1/24
)"));
  CHECK(error.line() == 13);
  CHECK(contains(error.reason(), "subnet \"203.0.113.1/24\" is not a CIDR prefix with no host bits set"));
}

TEST_CASE("max_return outside the multivalue method is reported at max_return") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    max_return: 3
    endpoints:
      - name: one
        target: 192.0.2.1
)"));
  CHECK(error.line() == 8);
  CHECK(contains(error.reason(), "max_return applies to the multivalue method only"));
}

TEST_CASE("max_return is read for the multivalue method") {
  auto config = load_ok(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: multivalue
    max_return: 3
    endpoints:
      - name: one
        target: 192.0.2.1
)"));
  CHECK(config->profiles[0].max_return == 3);
}

TEST_CASE("an unknown region name as a location is reported at the location") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        location: azure:atlantis
)"));
  CHECK(error.line() == 11);
  CHECK(contains(error.reason(), "unknown region \"azure:atlantis\""));
}

TEST_CASE("a known region name as a location gives its coordinates") {
  auto config = load_ok(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        location: azure:westeurope
)"));
  const auto& location = config->profiles[0].endpoints[0].location;
  REQUIRE(location);
  CHECK(location->name == "azure:westeurope");
  CHECK(location->lat == doctest::Approx(52.37).epsilon(0.01));
  CHECK(location->lon == doctest::Approx(4.9).epsilon(0.01));
}

TEST_CASE("a latitude beyond 90 degrees is reported at lat") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        location:
          lon: 0
          lat: 90.5
)"));
  CHECK(error.line() == 13);
  CHECK(contains(error.reason(), "lat must be within -90..90"));
}

TEST_CASE("a longitude beyond 180 degrees is reported at lon") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        location:
          lat: 10
          lon: -180.5
)"));
  CHECK(error.line() == 13);
  CHECK(contains(error.reason(), "lon must be within -180..180"));
}

TEST_CASE("a location given as lat and lon is read with no region name") {
  auto config = load_ok(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
profiles:
  - name: app
    fqdn: app.example.test
    method: priority
    endpoints:
      - name: one
        target: 192.0.2.1
        location: {lat: -33.9, lon: 151.2}
)"));
  const auto& location = config->profiles[0].endpoints[0].location;
  REQUIRE(location);
  CHECK(location->lat == doctest::Approx(-33.9));
  CHECK(location->lon == doctest::Approx(151.2));
  CHECK(location->name.empty());
}

// --- monitors ---------------------------------------------------------------------------------

TEST_CASE("a monitor without settings takes Azure's defaults") {
  auto config = load_ok(profile_config(""));
  for (const auto* monitor : {&config->profiles[0].monitor, &config->profiles[0].endpoints[0].monitor}) {
    CHECK(monitor->protocol == model::MonitorProtocol::http);
    CHECK(monitor->port == 80);
    CHECK(monitor->path == "/");
    CHECK(monitor->interval == 30s);
    CHECK(monitor->timeout == 10s);
    CHECK(monitor->tolerated_failures == 3);
    CHECK(monitor->healthy_threshold == 1);
    REQUIRE(monitor->expected_status.size() == 1);
    CHECK(monitor->expected_status[0] == model::StatusRange{200, 200});
    CHECK(monitor->tls_verify == false);
    CHECK(monitor->headers.empty());
  }
}

TEST_CASE("an https monitor without a port probes port 443") {
  auto config = load_ok(profile_config("    monitor:\n"
                                       "      protocol: https\n"));
  CHECK(config->profiles[0].monitor.port == 443);
  CHECK(config->profiles[0].endpoints[0].monitor.port == 443);
}

TEST_CASE("at a 10s interval the default timeout is 9s") {
  auto config = load_ok(profile_config("    monitor:\n"
                                       "      interval: 10s\n"));
  CHECK(config->profiles[0].monitor.interval == 10s);
  CHECK(config->profiles[0].monitor.timeout == 9s);
}

TEST_CASE("monitor settings are read: path, headers, expected status ranges, tls_verify") {
  auto config = load_ok(profile_config("    monitor:\n"
                                       "      protocol: tcp\n"
                                       "      port: 8080\n"
                                       "      path: /health\n"
                                       "      headers: {Host: app.example.test}\n"
                                       "      tolerated_failures: 0\n"
                                       "      healthy_threshold: 2\n"
                                       "      expected_status: [\"200-299\", \"301\"]\n"
                                       "      tls_verify: true\n"));
  const auto& monitor = config->profiles[0].endpoints[1].monitor;
  CHECK(monitor.protocol == model::MonitorProtocol::tcp);
  CHECK(monitor.port == 8080);
  CHECK(monitor.path == "/health");
  REQUIRE(monitor.headers.size() == 1);
  CHECK(monitor.headers[0] == std::pair<std::string, std::string>{"Host", "app.example.test"});
  CHECK(monitor.tolerated_failures == 0);
  CHECK(monitor.healthy_threshold == 2);
  REQUIRE(monitor.expected_status.size() == 2);
  CHECK(monitor.expected_status[0] == model::StatusRange{200, 299});
  CHECK(monitor.expected_status[1] == model::StatusRange{301, 301});
  CHECK(monitor.tls_verify == true);
}

TEST_CASE("an endpoint's monitor overrides only the keys it sets") {
  auto config = load_ok(profile_config("    monitor:\n"
                                       "      protocol: https\n"
                                       "      path: /health\n"
                                       "      interval: 10s\n"
                                       "      tolerated_failures: 5\n",
                                       "        monitor:\n"
                                       "          port: 8443\n"
                                       "          path: /ready\n"));
  const auto& overridden = config->profiles[0].endpoints[0].monitor;
  CHECK(overridden.protocol == model::MonitorProtocol::https);
  CHECK(overridden.port == 8443);
  CHECK(overridden.path == "/ready");
  CHECK(overridden.interval == 10s);
  CHECK(overridden.timeout == 9s);
  CHECK(overridden.tolerated_failures == 5);

  const auto& inherited = config->profiles[0].endpoints[1].monitor;
  CHECK(inherited.protocol == model::MonitorProtocol::https);
  CHECK(inherited.port == 443);
  CHECK(inherited.path == "/health");
  CHECK(inherited.interval == 10s);
  CHECK(inherited.tolerated_failures == 5);
}

TEST_CASE("an endpoint's shorter interval recomputes the default timeout") {
  auto config = load_ok(profile_config("    monitor:\n"
                                       "      interval: 10s\n",
                                       "        monitor:\n"
                                       "          interval: 5s\n"));
  CHECK(config->profiles[0].endpoints[0].monitor.interval == 5s);
  CHECK(config->profiles[0].endpoints[0].monitor.timeout == 4500ms);
  CHECK(config->profiles[0].endpoints[1].monitor.timeout == 9s);
}

TEST_CASE("an expected status that is not a number is reported at its entry") {
  const auto error = load_error(profile_config("    monitor:\n"
                                               "      expected_status:\n"
                                               "        - \"200\"\n"
                                               "        - abc\n"));
  CHECK(error.line() == 11);
  CHECK(contains(error.reason(), "expected_status \"abc\" is not a status code or range"));
}

TEST_CASE("a backwards expected status range is reported at its entry") {
  const auto error = load_error(profile_config("    monitor:\n"
                                               "      expected_status: [\"299-200\"]\n"));
  CHECK(error.line() == 9);
  CHECK(contains(error.reason(), "expected_status range \"299-200\" is backwards"));
}

TEST_CASE("a monitor timeout equal to its interval is reported at the monitor") {
  const auto error = load_error(profile_config("    monitor:\n"
                                               "      interval: 10s\n"
                                               "      timeout: 10s\n"));
  CHECK(error.line() == 9);
  CHECK(contains(error.reason(), "monitor timeout 10000ms must be below its interval 10000ms"));
}

TEST_CASE("an endpoint interval at or below the profile's timeout is reported at the endpoint's monitor") {
  const auto error = load_error(profile_config("    monitor:\n"
                                               "      timeout: 8s\n",
                                               "        monitor:\n"
                                               "          interval: 5s\n"));
  CHECK(error.line() == 14);
  CHECK(contains(error.reason(), "monitor timeout 8000ms must be below its interval 5000ms"));
}

// --- zones ------------------------------------------------------------------------------------

TEST_CASE("a relative zone path is resolved against the config file's folder") {
  testing::TempDir dir;
  dir.write("zones/example.test.zone", testing::minimal_zone);
  const auto config_path = (dir.path() / "meridian.yaml").string();
  auto config = load_ok(R"(zones:
  - origin: example.test
    file: zones/example.test.zone
)",
                        config_path);
  REQUIRE(config->zones.size() == 1);
  CHECK(config->zones[0].file == (dir.path() / "zones/example.test.zone").string());
  CHECK(config->zones[0].records.size() == 3);
}

TEST_CASE("a missing zone file is reported at its zone's line in the config") {
  testing::TempDir dir;
  const auto error = load_error(R"(server:
  workers: 1
zones:
  - origin: example.test
    file: nothing-here.zone
)",
                                (dir.path() / "meridian.yaml").string());
  CHECK(error.file() == (dir.path() / "meridian.yaml").string());
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), "cannot open zone file " + (dir.path() / "nothing-here.zone").string()));
}

TEST_CASE("a zone origin listed twice is reported at the second origin, whatever its case") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
  - origin: Example.TEST.
    file: ZONE
)"));
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), "is listed twice"));
}

TEST_CASE("a config without zones is reported") {
  const auto error = load_error(R"(server:
  workers: 1
)");
  CHECK(contains(error.reason(), "no zones"));
}

// --- the YAML itself --------------------------------------------------------------------------

TEST_CASE("a YAML syntax error is reported at its line") {
  const auto error = load_error(with_zone(R"(zones:
  - origin: example.test
    file: ZONE
server:
  workers: 2
 nsid: badly-indented
profiles: []
)"));
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "end of map not found"));
}

TEST_CASE("a tab used for indentation is reported at its line") {
  const auto error = load_error(with_zone("zones:\n"
                                          "  - origin: example.test\n"
                                          "    file: ZONE\n"
                                          "server:\n"
                                          "\tworkers: 1\n"));
  CHECK(error.line() == 5);
  CHECK_FALSE(error.reason().empty());
}

TEST_CASE("an empty config is reported without a line") {
  const auto error = load_error("");
  CHECK(error.line() == 0);
  CHECK(contains(error.reason(), "the config is empty"));
  CHECK(std::string(error.what()) == "meridian.yaml: the config is empty");
}

TEST_CASE("a config of comments only is empty") {
  const auto error = load_error("# nothing yet\n\n# still nothing\n");
  CHECK(contains(error.reason(), "the config is empty"));
}

TEST_CASE("ConfigError's message is FILE:LINE: reason") {
  const conf::ConfigError error("meridian.yaml", 7, "something is wrong");
  CHECK(std::string(error.what()) == "meridian.yaml:7: something is wrong");
  CHECK(error.file() == "meridian.yaml");
  CHECK(error.line() == 7);
  CHECK(error.reason() == "something is wrong");
}

// --- names ------------------------------------------------------------------------------------

TEST_CASE("to_wire_name lower-cases and adds the root label; from_wire_name drops the final dot") {
  CHECK(conf::to_wire_name("WWW.Example.test.") == std::string("\3www\7example\4test\0", 18));
  CHECK(conf::to_wire_name("www.example.test") == std::string("\3www\7example\4test\0", 18));
  CHECK(conf::from_wire_name(std::string("\3www\7example\4test\0", 18)) == "www.example.test");
}

TEST_CASE("to_wire_name rejects an empty name and a label over 63 bytes") {
  CHECK_THROWS_AS(conf::to_wire_name(""), std::invalid_argument);
  CHECK_THROWS_AS(conf::to_wire_name(std::string(64, 'a') + ".test"), std::invalid_argument);
}
