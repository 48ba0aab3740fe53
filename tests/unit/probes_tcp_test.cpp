// TCP probes through libuv connects: open, closed and unanswered ports on 127.0.0.1, and ::1.
#include <doctest/doctest.h>

#include "tests/unit/probes_fixture.h"

using namespace meridian;
using namespace probes_test;
using namespace std::chrono_literals;
using model::MonitorProtocol;
using model::Status;

namespace {

model::Config tcp_endpoint(uint16_t port, unsigned tolerated = 0) {
  auto monitor = fast_monitor(MonitorProtocol::tcp, port);
  monitor.tolerated_failures = tolerated;
  model::Config config;
  add_profile(config, "tcp", {address_endpoint("a", monitor)});
  return config;
}

}  // namespace

TEST_CASE("a TCP probe of a listening port is Online") {
  HttpBackend listener;
  Probing probing(tcp_endpoint(listener.port()));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(probing.report().reason == "TCP connected");
  REQUIRE(probing.wait_results(0, 3));
  CHECK(probing.status() == Status::Online);
}

TEST_CASE("a TCP probe of a closed port degrades after tolerated_failures + 1 refusals") {
  Probing probing(tcp_endpoint(closed_port(), 2));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  auto report = probing.report();
  CHECK(report.reason == "connect refused");
  REQUIRE(report.last_transition);
  CHECK(report.last_transition->failures == 3);
}

TEST_CASE("a TCP connect that gets no answer times out") {
  FullListener listener;
  Probing probing(tcp_endpoint(listener.port()));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  CHECK(probing.report().reason == "timeout after 80ms");
}

TEST_CASE("IPv6 endpoints are probed over ::1, by HTTP and by TCP") {
  if (!ipv6_loopback_available()) {
    MESSAGE("skipped: no IPv6 loopback");
    return;
  }
  HttpBackend backend(/*ipv6=*/true);
  model::Config config;
  add_profile(config, "v6",
              {address_endpoint("http", fast_monitor(MonitorProtocol::http, backend.port()), loopback6()),
               address_endpoint("tcp", fast_monitor(MonitorProtocol::tcp, backend.port()), loopback6())});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  REQUIRE(probing.wait_status(1, Status::Online));
  CHECK(backend.last_request().host == "[::1]:" + std::to_string(backend.port()));
}
