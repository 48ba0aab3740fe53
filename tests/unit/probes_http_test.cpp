// HTTP probes against real backends on 127.0.0.1: verdicts, thresholds counted in requests,
// timeouts, expected statuses, redirects, what is sent.
#include <doctest/doctest.h>

#include "tests/unit/probes_fixture.h"

using namespace meridian;
using namespace probes_test;
using namespace std::chrono_literals;
using model::MonitorProtocol;
using model::Status;

namespace {

model::Config one_endpoint(const model::Monitor& monitor) {
  model::Config config;
  add_profile(config, "web", {address_endpoint("a", monitor)});
  return config;
}

}  // namespace

TEST_CASE("an answering backend turns CheckingEndpoint Online") {
  HttpBackend backend;
  Probing probing(one_endpoint(fast_monitor(MonitorProtocol::http, backend.port())));
  REQUIRE(probing.wait_status(0, Status::Online));
  auto report = probing.report();
  CHECK(report.probed);
  CHECK(report.reason == "HTTP 200");
  CHECK(report.last_ok == true);
  REQUIRE(report.last_transition);
  CHECK(report.last_transition->from == Status::CheckingEndpoint);
  CHECK(report.last_transition->to == Status::Online);
  CHECK(probing.health->get(0) == Status::Online);
  CHECK(backend.answered(200) >= 1);
}

TEST_CASE("a 503 backend degrades an Online endpoint after exactly tolerated_failures + 1") {
  const unsigned tolerated = 2;
  HttpBackend backend;
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port());
  monitor.tolerated_failures = tolerated;
  Probing probing(one_endpoint(monitor));
  REQUIRE(probing.wait_status(0, Status::Online));

  backend.respond(503);
  bool stayed_online_while_tolerated = true;
  bool degraded = wait_until([&] {
    auto report = probing.report();
    if (report.status == Status::Online && report.consecutive_failures > tolerated)
      stayed_online_while_tolerated = false;
    return report.status == Status::Degraded;
  });
  REQUIRE(degraded);
  CHECK(stayed_online_while_tolerated);
  auto report = probing.report();
  REQUIRE(report.last_transition);
  CHECK(report.last_transition->from == Status::Online);
  CHECK(report.last_transition->to == Status::Degraded);
  CHECK(report.last_transition->failures == tolerated + 1);
  CHECK(report.last_transition->reason == "HTTP 503");
  // The backend saw the failing probes: tolerated + 1, or one more already under way.
  CHECK(backend.answered(503) >= tolerated + 1);
  CHECK(backend.answered(503) <= tolerated + 2);
  CHECK(probing.health->get(0) == Status::Degraded);
}

TEST_CASE("a 503 backend from the start stays CheckingEndpoint until tolerated_failures + 1") {
  const unsigned tolerated = 3;
  HttpBackend backend;
  backend.respond(503);
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port());
  monitor.tolerated_failures = tolerated;
  Probing probing(one_endpoint(monitor));
  bool checking_while_tolerated = true;
  REQUIRE(wait_until([&] {
    auto report = probing.report();
    if (report.status == Status::CheckingEndpoint && report.consecutive_failures > tolerated)
      checking_while_tolerated = false;
    if (report.status == Status::Degraded && report.results < tolerated + 1) checking_while_tolerated = false;
    return report.status == Status::Degraded;
  }));
  CHECK(checking_while_tolerated);
  auto report = probing.report();
  REQUIRE(report.last_transition);
  CHECK(report.last_transition->from == Status::CheckingEndpoint);
  CHECK(report.last_transition->failures == tolerated + 1);
  CHECK(backend.answered(503) >= tolerated + 1);
  CHECK(backend.answered(503) <= tolerated + 2);
}

TEST_CASE("a closed port degrades after tolerated_failures + 1 refused connects") {
  auto monitor = fast_monitor(MonitorProtocol::http, closed_port());
  monitor.tolerated_failures = 1;
  Probing probing(one_endpoint(monitor));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  auto report = probing.report();
  CHECK(report.reason == "connect refused");
  REQUIRE(report.last_transition);
  CHECK(report.last_transition->failures == 2);
}

TEST_CASE("a Degraded endpoint recovers after healthy_threshold successes, not before") {
  const unsigned threshold = 3;
  HttpBackend backend;
  backend.respond(503);
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port());
  monitor.healthy_threshold = threshold;
  Probing probing(one_endpoint(monitor));
  REQUIRE(probing.wait_status(0, Status::Degraded));

  backend.respond(200);
  bool degraded_while_short = true;
  REQUIRE(wait_until([&] {
    auto report = probing.report();
    if (report.status == Status::Degraded && report.consecutive_successes >= threshold)
      degraded_while_short = false;
    return report.status == Status::Online;
  }));
  CHECK(degraded_while_short);
  auto report = probing.report();
  REQUIRE(report.last_transition);
  CHECK(report.last_transition->from == Status::Degraded);
  CHECK(report.last_transition->successes == threshold);
  CHECK(report.consecutive_failures == 0);
  CHECK(backend.answered(200) >= threshold);
  CHECK(backend.answered(200) <= threshold + 1);
}

TEST_CASE("a backend that never answers is caught by the timeout") {
  HttpBackend backend;
  backend.hang();
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port(), 200ms);
  REQUIRE(monitor.timeout == 160ms);
  Probing probing(one_endpoint(monitor));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  CHECK(probing.report().reason == "timeout after 160ms");
  CHECK(backend.requests() >= 1);
}

TEST_CASE("expected_status: a 204 fails against [200] and passes against [200-299]") {
  HttpBackend backend;
  backend.respond(204, 0);
  auto strict = fast_monitor(MonitorProtocol::http, backend.port());
  auto ranged = strict;
  ranged.expected_status = {{200, 299}};
  model::Config config;
  add_profile(config, "web", {address_endpoint("strict", strict), address_endpoint("ranged", ranged)});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  REQUIRE(probing.wait_status(1, Status::Online));
  CHECK(probing.report(0).reason == "HTTP 204");
  CHECK(probing.report(1).reason == "HTTP 204");
}

TEST_CASE("a redirect is not followed and fails unless its code is expected") {
  HttpBackend backend;
  HttpBackend elsewhere;
  backend.respond(302, 0, "http://127.0.0.1:" + std::to_string(elsewhere.port()) + "/");
  auto plain = fast_monitor(MonitorProtocol::http, backend.port());
  auto accepting = plain;
  accepting.expected_status = {{200, 200}, {300, 399}};
  model::Config config;
  add_profile(config, "web", {address_endpoint("plain", plain), address_endpoint("accepting", accepting)});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  REQUIRE(probing.wait_status(1, Status::Online));
  CHECK(probing.report(0).reason == "HTTP 302");
  CHECK(elsewhere.requests() == 0);
}

TEST_CASE("the configured path and Host header are sent, with our user agent") {
  HttpBackend backend;
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port());
  monitor.path = "/healthz?probe=1";
  monitor.headers = {{"Host", "www.meridian.test"}};
  Probing probing(one_endpoint(monitor));
  REQUIRE(probing.wait_status(0, Status::Online));
  auto request = backend.last_request();
  CHECK(request.path == "/healthz?probe=1");
  CHECK(request.host == "www.meridian.test");
  CHECK(request.user_agent.starts_with("Meridian-Monitor/"));
}

TEST_CASE("without a Host header, Host names the endpoint's address and port") {
  HttpBackend backend;
  Probing probing(one_endpoint(fast_monitor(MonitorProtocol::http, backend.port())));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(backend.last_request().host == "127.0.0.1:" + std::to_string(backend.port()));
  CHECK(backend.last_request().path == "/");
}

TEST_CASE("a large body is cut short without failing an expected status") {
  HttpBackend backend;
  backend.respond(200, 4 << 20);
  Probing probing(one_endpoint(fast_monitor(MonitorProtocol::http, backend.port())));
  REQUIRE(probing.wait_status(0, Status::Online));
  REQUIRE(probing.wait_results(0, 3));
  auto report = probing.report();
  CHECK(report.status == Status::Online);
  CHECK(report.consecutive_failures == 0);
  CHECK(report.reason == "HTTP 200");
}
