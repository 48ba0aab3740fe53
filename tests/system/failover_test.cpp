// Health probes drive answers end to end: a backend dies, the answer moves within
// interval x (tolerated_failures + 1) + timeout, and moves back once it recovers.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "http_backend.h"

using namespace meridian::test;
using Clock = std::chrono::steady_clock;

namespace {

std::string answer_of(uint16_t port, const std::string& name, const QueryOptions& options = {}) {
  auto reply = query_udp(port, name, LDNS_RR_TYPE_A, options);
  auto values = rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A);
  return values.empty() ? "" : values.front();
}

// Polls the answer until it is `expected` or the deadline passes; returns how long it took.
std::optional<std::chrono::milliseconds> wait_for_answer(uint16_t port, const std::string& name,
                                                         const std::string& expected,
                                                         std::chrono::milliseconds deadline) {
  const auto start = Clock::now();
  while (Clock::now() - start < deadline) {
    if (answer_of(port, name) == expected)
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling pace, not synchronisation
  }
  return std::nullopt;
}

constexpr auto interval = std::chrono::milliseconds(200);
constexpr auto timeout = std::chrono::milliseconds(100);
constexpr int tolerated_failures = 1;

}  // namespace

TEST_CASE("a priority profile fails over when its primary's backend dies, and back when it recovers") {
  HttpBackend primary("127.0.0.11");
  HttpBackend secondary("127.0.0.12");
  std::string config = R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    ttl: 5
    monitor: {protocol: http, path: /healthz, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PRIMARY}}
      - {name: secondary, target: 127.0.0.12, monitor: {port: SECONDARY}}
)";
  config = fill(config, {{"PRIMARY", std::to_string(primary.port())}, {"SECONDARY", std::to_string(secondary.port())}});
  Server server(config);
  REQUIRE_MESSAGE(server.wait_for_log("probes: profile web ready online=2"), server.log());
  CHECK(answer_of(server.port(), "web.example.test.") == "127.0.0.11");

  primary.stop();
  const auto bound = interval * (tolerated_failures + 1) + timeout;
  auto moved = wait_for_answer(server.port(), "web.example.test.", "127.0.0.12", std::chrono::seconds(5));
  REQUIRE(moved.has_value());
  MESSAGE("failover took " << moved->count() << " ms; the bound is " << bound.count() << " ms");
  // Slack for the test's own polling and process scheduling on a loaded machine.
  CHECK(*moved <= bound + std::chrono::milliseconds(250));
  CHECK_MESSAGE(server.wait_for_log("web/primary Online -> Degraded reason=\"connect refused\" failures=2"), server.log());

  primary.start();
  auto back = wait_for_answer(server.port(), "web.example.test.", "127.0.0.11", std::chrono::seconds(5));
  REQUIRE(back.has_value());
  CHECK(*back <= interval + timeout + std::chrono::milliseconds(250));
  CHECK(server.wait_for_log("web/primary Degraded -> Online"));
}

TEST_CASE("a backend answering 503 is Degraded; expected_status ranges decide what counts as up") {
  HttpBackend unhappy("127.0.0.13", 503);
  HttpBackend no_content("127.0.0.14", 204);
  std::string config = R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: weighted
    monitor: {interval: 200ms, timeout: 100ms, tolerated_failures: 0, expected_status: ["200-299"]}
    endpoints:
      - {name: unhappy, target: 127.0.0.13, monitor: {port: UNHAPPY}}
      - {name: nocontent, target: 127.0.0.14, monitor: {port: NOCONTENT}}
)";
  config = fill(config, {{"UNHAPPY", std::to_string(unhappy.port())}, {"NOCONTENT", std::to_string(no_content.port())}});
  Server server(config);
  REQUIRE(server.wait_for_log("probes: profile web ready online=1 degraded=1"));
  CHECK(server.log().find("web/unhappy CheckingEndpoint -> Degraded reason=\"HTTP 503\"") != std::string::npos);
  for (int i = 0; i < 20; ++i) CHECK(answer_of(server.port(), "web.example.test.") == "127.0.0.14");
}

TEST_CASE("geographic: a Degraded match is still answered, because health never moves a geographic answer") {
  HttpBackend europe("127.0.0.15", 503);
  HttpBackend world("127.0.0.16");
  std::string config = R"(
geo:
  databases: ["{GEO}/maxmind-test-data/GeoIP2-City-Test.mmdb"]
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: geo
    fqdn: geo.example.test
    method: geographic
    monitor: {interval: 200ms, timeout: 100ms, tolerated_failures: 0}
    endpoints:
      - {name: europe, target: 127.0.0.15, geo: [GEO-EU], monitor: {port: EUROPE_PORT}}
      - {name: world, target: 127.0.0.16, geo: [WORLD], monitor: {port: WORLD_PORT}}
)";
  config = fill(config, {{"EUROPE_PORT", std::to_string(europe.port())}, {"WORLD_PORT", std::to_string(world.port())}});
  Server server(config);
  REQUIRE(server.wait_for_log("geo/europe CheckingEndpoint -> Degraded"));
  CHECK(answer_of(server.port(), "geo.example.test.", {.ecs = "81.2.69.160/27"}) == "127.0.0.15");  // London
  CHECK(answer_of(server.port(), "geo.example.test.", {.ecs = "216.160.83.56/29"}) == "127.0.0.16");
}
