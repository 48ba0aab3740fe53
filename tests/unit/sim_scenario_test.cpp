// sim::load_scenario: the fields a valid scenario fills in, and the FILE:LINE of each mistake it reports.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "conf_test_support.h"
#include "geo/geo.h"
#include "sim/scenario.h"

using namespace meridian;
using namespace std::chrono_literals;

namespace {

// The config under test: `app` (HTTP, two loopback endpoints and one that is not), `db` (TCP),
// and relative paths of every kind `standalone` must make absolute.
constexpr std::string_view config_yaml = R"(server:
  state_file: state/overrides.json
zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: app
    fqdn: www.example.test
    method: priority
    monitor: {protocol: http, port: 8080, path: "/health", interval: 1s, timeout: 500ms}
    endpoints:
      - {name: west, target: 127.0.0.11, priority: 1}
      - {name: north, target: 127.0.0.12, priority: 2}
      - {name: remote, target: 192.0.2.9, priority: 3, monitor: {protocol: none}}
      - {name: secure, target: 127.0.0.13, priority: 4, monitor: {protocol: https}}
      - {name: unprobed, target: 127.0.0.14, priority: 5, monitor: {protocol: none}}
  - name: db
    fqdn: db.example.test
    method: priority
    monitor: {protocol: tcp, port: 5432}
    endpoints:
      - {name: primary, target: 127.0.0.21}
      - {name: same-socket, target: 127.0.0.11, monitor: {port: 8080}}
)";

// A config folder (meridian.yaml and its zone) with scenarios written beside it in scenarios/.
class Rehearsal {
 public:
  Rehearsal() {
    dir_.write("zones/example.test.zone", testing::minimal_zone);
    config_ = dir_.write("meridian.yaml", config_yaml);
  }

  const std::filesystem::path& folder() const { return dir_.path(); }
  const std::string& config() const { return config_; }
  std::string write(const std::string& name, std::string_view text) const { return dir_.write(name, text); }
  std::string scenario(std::string_view text) const { return write("scenarios/rehearsal.yaml", text); }

 private:
  testing::TempDir dir_;
  std::string config_;
};

// The scenario's first lines, on which the error cases add or change one thing.
constexpr std::string_view basics = R"(duration: 2m
config: ../meridian.yaml
regions:
  - name: westeurope
    endpoint: app/west
clients:
  - name: london
    subnet: 81.2.69.0/24
    query: www.example.test
)";

sim::Scenario load_ok(const std::string& path) {
  try {
    return sim::load_scenario(path);
  } catch (const conf::ConfigError& error) {
    FAIL("unexpected scenario error: " << std::string(error.what()));
  }
  return {};
}

// The ConfigError that loading `path` throws; fails the test when it loads.
conf::ConfigError scenario_error(const std::string& path) {
  try {
    sim::load_scenario(path);
  } catch (const conf::ConfigError& error) {
    return error;
  }
  FAIL("the scenario loaded, but an error was expected");
  return conf::ConfigError("", 0, "");  // not reached: FAIL throws
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::string geo_database() {
  return std::string(MERIDIAN_GEO_TESTDATA) + "/maxmind-test-data/GeoLite2-Country-Test.mmdb";
}

}  // namespace

// --- a valid scenario -------------------------------------------------------------------------

TEST_CASE("a scenario's regions take address, port, path and protocol from their endpoints") {
  Rehearsal rehearsal;
  const auto scenario = load_ok(rehearsal.scenario(R"(name: paired regions
duration: 2m
config: ../meridian.yaml
regions:
  - name: westeurope
    endpoint: app/west
    latency: 5ms
  - name: database
    endpoint: db/primary
clients:
  - name: london
    subnet: 81.2.69.0/24
    query: www.example.test
)"));
  CHECK(scenario.name == "paired regions");
  CHECK(scenario.duration == 2min);
  REQUIRE(scenario.regions.size() == 2);
  const auto& west = scenario.regions[0];
  CHECK(west.name == "westeurope");
  REQUIRE(west.endpoints.size() == 1);
  CHECK(west.endpoints[0] == sim::EndpointRef{"app", "west"});
  CHECK(west.protocol == model::MonitorProtocol::http);
  CHECK(west.address.to_string() == "127.0.0.11");
  CHECK(west.port == 8080);
  CHECK(west.path == "/health");
  CHECK(west.latency == 5ms);
  CHECK(west.line == 5);
  const auto& database = scenario.regions[1];
  CHECK(database.protocol == model::MonitorProtocol::tcp);
  CHECK(database.port == 5432);
  CHECK(database.latency == 0ms);
}

TEST_CASE("a config given as a path is read relative to the scenario's folder") {
  Rehearsal rehearsal;
  const auto scenario = load_ok(rehearsal.scenario(basics));
  CHECK(scenario.config.path == std::filesystem::path(rehearsal.config()).lexically_normal().string());
  CHECK(std::filesystem::path(scenario.config.path).is_absolute());
  CHECK(scenario.config.text.empty());
  CHECK(scenario.config.line == 2);
  REQUIRE(scenario.model);
  CHECK(scenario.model->profiles.size() == 2);
}

TEST_CASE("a scenario without a name is named after its file") {
  Rehearsal rehearsal;
  CHECK(load_ok(rehearsal.scenario(basics)).name == "rehearsal");
}

TEST_CASE("clients take subnet, query, type, rate and cache, with defaults A, 1/s and no cache") {
  Rehearsal rehearsal;
  const auto scenario = load_ok(rehearsal.scenario(std::string(basics) + R"(  - name: dublin
    subnet: 2001:db8::/48
    query: WWW.Example.Test.
    type: AAAA
    rate: 2.5
    cache: true
)"));
  REQUIRE(scenario.clients.size() == 2);
  const auto& london = scenario.clients[0];
  CHECK(london.subnet.to_string() == "81.2.69.0/24");
  CHECK(london.country.empty());
  CHECK(london.qtype == 1);
  CHECK(london.rate == 1);
  CHECK_FALSE(london.cache);
  const auto& dublin = scenario.clients[1];
  CHECK(dublin.subnet.to_string() == "2001:db8::/48");
  CHECK(dublin.query == "WWW.Example.Test");
  CHECK(dublin.qtype == 28);
  CHECK(dublin.rate == 2.5);
  CHECK(dublin.cache);
  CHECK(dublin.line == 10);
}

TEST_CASE("the timeline comes out in time order, events at the same time in file order") {
  Rehearsal rehearsal;
  rehearsal.write("other.yaml", config_yaml);
  const auto scenario = load_ok(rehearsal.scenario(std::string(basics) + R"(timeline:
  - {at: 50s, drain: app/north}
  - {at: 30s, fail: westeurope}
  - {at: 40s, slow: westeurope, delay: 3s}
  - {at: 30s, enable: app/north}
  - {at: 60s, reload: ../other.yaml}
  - {at: 70s, recover: westeurope}
)"));
  const auto& timeline = scenario.timeline;
  REQUIRE(timeline.size() == 6);
  CHECK(timeline[0].kind == sim::EventKind::fail);
  CHECK(timeline[0].region == "westeurope");
  CHECK(timeline[0].line == 12);
  CHECK(timeline[1].kind == sim::EventKind::enable);
  CHECK(timeline[1].profile == "app");
  CHECK(timeline[1].endpoint == "north");
  CHECK(timeline[2].kind == sim::EventKind::slow);
  CHECK(timeline[2].delay == 3s);
  CHECK(timeline[3].kind == sim::EventKind::drain);
  CHECK(timeline[3].at == 50s);
  CHECK(timeline[4].kind == sim::EventKind::reload);
  REQUIRE(timeline[4].config);
  CHECK(timeline[4].config->path == (rehearsal.folder() / "other.yaml").lexically_normal().string());
  REQUIRE(timeline[4].model);
  CHECK(timeline[4].model->file == timeline[4].config->path);
  CHECK(timeline[5].kind == sim::EventKind::recover);
}

TEST_CASE("an event kind prints as the key that names it") {
  CHECK(std::string(sim::to_string(sim::EventKind::fail)) == "fail");
  CHECK(std::string(sim::to_string(sim::EventKind::degrade)) == "degrade");
  CHECK(std::string(sim::to_string(sim::EventKind::reload)) == "reload");
}

TEST_CASE("a client given by country gets a network of the config's GeoIP data in that country") {
  Rehearsal rehearsal;
  rehearsal.write("geo.yaml", std::string(config_yaml) + "geo:\n  databases: [" + geo_database() + "]\n");
  const auto scenario = load_ok(rehearsal.scenario(R"(duration: 2m
config: ../geo.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, country: gb, query: www.example.test}
)"));
  REQUIRE(scenario.clients.size() == 1);
  CHECK(scenario.clients[0].country == "GB");
  CHECK(scenario.clients[0].subnet.network.family == geo::Family::v4);
  // The network the GeoIP data itself places in GB (the first one in address order).
  const auto geo = geo::GeoDb::open({geo_database()});
  CHECK(scenario.clients[0].subnet == geo->find_country("GB", geo::Family::v4));
  CHECK(geo->lookup(scenario.clients[0].subnet.network).country_code() == "GB");
}

// --- inline configs ---------------------------------------------------------------------------

TEST_CASE("an inline config is the mapping's own lines, numbered as in the scenario file") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(duration: 2m
config:
  zones:
    # the zone of the config folder, from the scenario's folder
    - origin: example.test
      file: ../zones/example.test.zone
  profiles:
    - name: app
      fqdn: www.example.test
      method: priority
      endpoints:
        - {name: west, target: 127.0.0.11}
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)");
  const auto scenario = load_ok(path);
  CHECK(scenario.config.path == path);
  CHECK(scenario.config.line == 3);
  CHECK(scenario.config.text.starts_with("\n\nzones:\n  # the zone"));
  CHECK(contains(scenario.config.text, "\nprofiles:\n  - name: app\n"));
  CHECK_FALSE(contains(scenario.config.text, "regions"));
  REQUIRE(scenario.model);
  REQUIRE(scenario.model->profiles.size() == 1);
  CHECK(scenario.model->profiles[0].line == 8);
}

TEST_CASE("a mistake inside an inline config is reported at the scenario file's line") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(duration: 2m
config:
  zones:
    - origin: example.test
      file: ../zones/example.test.zone
  profiles:
    - name: app
      fqdn: www.example.test
      method: fastest
      endpoints:
        - {name: west, target: 127.0.0.11}
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)");
  const auto error = scenario_error(path);
  CHECK(error.file() == path);
  CHECK(error.line() == 9);
  CHECK(contains(error.reason(), "fastest"));
}

TEST_CASE("an inline config written as a flow mapping is refused") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(duration: 2m
config: {zones: [{origin: example.test, file: ../zones/example.test.zone}]}
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)");
  const auto error = scenario_error(path);
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "block mapping"));
}

// --- standalone configs -----------------------------------------------------------------------

TEST_CASE("the standalone form of a config file loads from another folder, its paths made absolute") {
  Rehearsal rehearsal;
  const auto scenario = load_ok(rehearsal.scenario(basics));
  const auto standalone = conf::load_from_string(scenario.config.standalone, "/some/other/dir/x.yaml");
  REQUIRE(standalone->zones.size() == 1);
  CHECK(standalone->zones[0].file == (rehearsal.folder() / "zones/example.test.zone").string());
  CHECK(standalone->server.state_file == (rehearsal.folder() / "state/overrides.json").string());
  CHECK(standalone->profiles.size() == scenario.model->profiles.size());
}

TEST_CASE("the standalone form of an inline config anchors its paths at the scenario's folder") {
  Rehearsal rehearsal;
  const auto scenario = load_ok(rehearsal.scenario(R"(duration: 2m
config:
  zones:
    - {origin: example.test, file: ../zones/example.test.zone}
  profiles:
    - name: app
      fqdn: www.example.test
      method: priority
      endpoints:
        - {name: west, target: 127.0.0.11}
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)"));
  const auto standalone = conf::load_from_string(scenario.config.standalone, "/some/other/dir/x.yaml");
  REQUIRE(standalone->zones.size() == 1);
  CHECK(standalone->zones[0].file == (rehearsal.folder() / "zones/example.test.zone").string());
}

// --- mistakes ---------------------------------------------------------------------------------

TEST_CASE("an unknown key is an error at its line") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - name: westeurope
    endpoint: app/west
    latancy: 5ms
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)");
  const auto error = scenario_error(path);
  CHECK(error.file() == path);
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "unknown key \"latancy\""));
}

TEST_CASE("a scenario without a duration is an error at its first line") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(config: ../meridian.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)");
  const auto error = scenario_error(path);
  CHECK(error.file() == path);
  CHECK(error.line() == 1);
  CHECK(contains(error.reason(), "needs \"duration\""));
}

TEST_CASE("an event at or after the scenario's end is an error at its time") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(std::string(basics) + R"(timeline:
  - {at: 30s, fail: westeurope}
  - at: 2m
    recover: westeurope
)");
  const auto error = scenario_error(path);
  CHECK(error.line() == 12);
  CHECK(contains(error.reason(), "not before the scenario's end"));
}

TEST_CASE("an event naming an unknown region is an error at the name") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(std::string(basics) + R"(timeline:
  - at: 30s
    fail: northeurope
)");
  const auto error = scenario_error(path);
  CHECK(error.line() == 12);
  CHECK(contains(error.reason(), "no region named \"northeurope\""));
}

TEST_CASE("a region whose endpoint is not on loopback is an error at the endpoint") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - name: westeurope
    endpoint: app/remote
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)");
  const auto error = scenario_error(path);
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "the simulator starts regions on loopback only"));
}

TEST_CASE("a region may serve several endpoints that share its address and monitor") {
  Rehearsal rehearsal;
  rehearsal.write("paired.yaml", R"(zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: app
    fqdn: www.example.test
    method: priority
    monitor: {protocol: http, port: 8080, path: /health}
    endpoints:
      - {name: west, target: 127.0.0.11, priority: 1}
      - {name: north, target: 127.0.0.12, priority: 2}
  - name: app-north
    fqdn: north.example.test
    method: priority
    monitor: {protocol: http, port: 8080, path: /health}
    endpoints:
      - {name: north, target: 127.0.0.12, priority: 1}
      - {name: west, target: 127.0.0.11, priority: 2}
)");
  const auto scenario = load_ok(rehearsal.scenario(R"(duration: 2m
config: ../paired.yaml
regions:
  - name: westeurope
    endpoints: [app/west, app-north/west]
  - {name: northeurope, endpoints: [app/north, app-north/north]}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)"));
  REQUIRE(scenario.regions.size() == 2);
  const auto& region = scenario.regions[0];
  REQUIRE(region.endpoints.size() == 2);
  CHECK(region.serves("app", "west"));
  CHECK(region.serves("app-north", "west"));
  CHECK_FALSE(region.serves("app", "north"));
  CHECK(region.address.to_string() == "127.0.0.11");
  CHECK(region.port == 8080);
}

TEST_CASE("a region's endpoints must be probed alike: one region is one backend") {
  Rehearsal rehearsal;
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - name: westeurope
    endpoints: [app/west, app/north]
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "one region is one backend"));
}

TEST_CASE("an endpoint the server would probe off this machine is refused: nothing leaves loopback") {
  Rehearsal rehearsal;
  rehearsal.write("probed-remote.yaml", R"(zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: app
    fqdn: www.example.test
    method: priority
    monitor: {protocol: http, port: 8080}
    endpoints:
      - {name: west, target: 127.0.0.11, priority: 1}
      - {name: remote, target: 192.0.2.9, priority: 2}
)");
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../probed-remote.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)"));
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "app/remote would be probed at 192.0.2.9, off this machine"));
}

TEST_CASE("a region for an endpoint monitored over https or not at all is refused") {
  Rehearsal rehearsal;
  auto region_error = [&](const std::string& endpoint) {
    return scenario_error(
               rehearsal.scenario("duration: 2m\nconfig: ../meridian.yaml\nregions:\n"
                                  "  - {name: westeurope, endpoint: " +
                                  endpoint +
                                  "}\nclients:\n"
                                  "  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}\n"))
        .reason();
  };
  CHECK(contains(region_error("app/secure"), "https regions are not supported; use http"));
  CHECK(contains(region_error("app/unprobed"), "a region cannot change its answers"));
  CHECK(contains(region_error("app/missing"), "has no endpoint missing"));
}

TEST_CASE("two regions on the same address and port are refused") {
  Rehearsal rehearsal;
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - {name: westeurope, endpoint: app/west}
  - {name: twin, endpoint: db/same-socket}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
)"));
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "127.0.0.11 port 8080"));
}

TEST_CASE("a TCP region cannot hang") {
  Rehearsal rehearsal;
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - {name: database, endpoint: db/primary}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
timeline:
  - {at: 10s, fail: database}
  - {at: 30s, hang: database}
)"));
  CHECK(error.line() == 9);
  CHECK(contains(error.reason(), "a TCP region can only fail and recover"));
}

TEST_CASE("slow without a delay is an error at the event") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(std::string(basics) + R"(timeline:
  - {at: 30s, slow: westeurope}
)");
  const auto error = scenario_error(path);
  CHECK(error.line() == 11);
  CHECK(contains(error.reason(), "slow needs a delay"));
}

TEST_CASE("a drain naming an endpoint the config does not have is an error at the name") {
  Rehearsal rehearsal;
  const auto error = scenario_error(rehearsal.scenario(std::string(basics) + R"(timeline:
  - {at: 30s, drain: app/nowhere}
)"));
  CHECK(error.line() == 11);
  CHECK(contains(error.reason(), "profile app of the config has no endpoint nowhere"));
}

TEST_CASE("a client querying a name no profile answers is an error at the query") {
  Rehearsal rehearsal;
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - name: london
    subnet: 81.2.69.0/24
    query: mail.example.test
)"));
  CHECK(error.line() == 8);
  CHECK(contains(error.reason(), "no profile of the config answers mail.example.test"));
}

TEST_CASE("a client given by country needs a config with GeoIP data") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - name: london
    country: GB
    query: www.example.test
)");
  const auto error = scenario_error(path);
  CHECK(error.file() == path);
  CHECK(error.line() == 7);
  CHECK(contains(error.reason(), "no geo databases"));
}

TEST_CASE("a country the GeoIP data has no network for is an error at the country") {
  Rehearsal rehearsal;
  rehearsal.write("geo.yaml", std::string(config_yaml) + "geo:\n  databases: [" + geo_database() + "]\n");
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../geo.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: nowhere, country: ZZ, query: www.example.test}
)"));
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "no network of the GeoIP data is in country ZZ"));
}

TEST_CASE("a config file that does not exist is an error at the line naming it") {
  Rehearsal rehearsal;
  const auto path = rehearsal.scenario(std::string("duration: 2m\nconfig: ../missing.yaml\n") +
                                       std::string(basics.substr(basics.find("regions"))));
  const auto error = scenario_error(path);
  CHECK(error.file() == path);
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "cannot read the config file"));
}

TEST_CASE("a reload that moves a region's endpoint elsewhere is refused at the reload") {
  Rehearsal rehearsal;
  std::string moved(config_yaml);
  moved.replace(moved.find("127.0.0.11, priority: 1"), 10, "127.0.0.19");
  rehearsal.write("moved.yaml", moved);
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test}
timeline:
  - {at: 10s, reload: ../moved.yaml}
)"));
  CHECK(error.line() == 8);
  CHECK(contains(error.reason(), "moves app/west (region westeurope)"));
}

TEST_CASE("a client rate below one query an hour is refused") {
  Rehearsal rehearsal;
  const auto error = scenario_error(rehearsal.scenario(R"(duration: 2m
config: ../meridian.yaml
regions:
  - {name: westeurope, endpoint: app/west}
clients:
  - {name: london, subnet: 81.2.69.0/24, query: www.example.test, rate: 1e-10}
)"));
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "at least 1/3600"));
}
