// The ProbeService as a whole: initial statuses, lifecycle, generation, logs, one thread.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "tests/unit/captured_log.h"
#include "tests/unit/probes_fixture.h"
#include "tests/unit/resolver_responder.h"

using namespace meridian;
using namespace probes_test;
using namespace std::chrono_literals;
using model::MonitorProtocol;
using model::Status;

namespace {

size_t thread_count() {
  size_t count = 0;
  for ([[maybe_unused]] auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

using meridian::testing::CapturedLog;

}  // namespace

TEST_CASE("endpoints that are not probed get their status at start() and no traffic") {
  HttpBackend untouched;
  HttpBackend sentinel;
  auto monitor = fast_monitor(MonitorProtocol::http, untouched.port());
  model::Config config;
  auto disabled = address_endpoint("disabled", monitor);
  disabled.enabled = false;
  auto always = address_endpoint("always", monitor);
  always.always_serve = true;
  auto none = address_endpoint("none", monitor);
  none.monitor.protocol = MonitorProtocol::none;
  auto fqdn = address_endpoint("fqdn", monitor);
  fqdn.kind = model::TargetKind::fqdn;
  fqdn.fqdn = "origin.meridian.test";
  resolver_test::Responder dns;  // never answers: the FQDN stays awaiting its first lookup
  dns.set("origin.meridian.test", resolver_test::Rule::silence());
  config.resolver.servers = {*geo::SocketAddress::parse(dns.server())};
  model::Endpoint nested;
  nested.name = "nested";
  nested.kind = model::TargetKind::nested;
  nested.child_index = 1;
  add_profile(config, "web",
              {disabled, always, none, fqdn, nested,
               address_endpoint("sentinel", fast_monitor(MonitorProtocol::http, sentinel.port()))});
  add_profile(config, "off", {address_endpoint("x", monitor)}, /*enabled=*/false);

  Probing probing(std::move(config), /*start=*/false);
  CHECK(probing.health->get(0) == Status::CheckingEndpoint);  // nothing before start()
  probing.service->start();
  std::vector<Status> expected{Status::Disabled,         Status::NotMonitored, Status::NotMonitored,
                               Status::CheckingEndpoint, Status::Stopped,      Status::CheckingEndpoint,
                               Status::Inactive};
  for (model::EndpointId id = 0; id < 7; ++id) {
    CAPTURE(id);
    CHECK(probing.health->get(id) == expected[id]);
    CHECK(probing.report(id).status == expected[id]);
  }
  CHECK(probing.report(3).reason == "awaiting resolver");
  CHECK(probing.report(3).probed);  // once resolved
  CHECK(probing.report(4).reason == "child profile disabled");
  CHECK_FALSE(probing.report(0).probed);
  CHECK(probing.report(5).probed);

  REQUIRE(probing.wait_results(5, 3));  // the sentinel was probed three times meanwhile
  CHECK(untouched.requests() == 0);
  CHECK(probing.status(3) == Status::CheckingEndpoint);
  CHECK(probing.report(3).results == 0);  // a lookup under way is not a failed probe
}

TEST_CASE("generation bumps once per status change, after the status is visible") {
  HttpBackend backend;
  model::Config config;
  add_profile(config, "web", {address_endpoint("a", fast_monitor(MonitorProtocol::http, backend.port()))});
  Probing probing(std::move(config));
  CHECK(probing.service->generation() <= 1);
  REQUIRE(wait_until([&] { return probing.service->generation() == 1; }));
  CHECK(probing.health->get(0) == Status::Online);
  CHECK(probing.status() == Status::Online);
  REQUIRE(probing.wait_results(0, 3));
  CHECK(probing.service->generation() == 1);  // successes that change nothing bump nothing

  backend.respond(500);
  REQUIRE(wait_until([&] { return probing.service->generation() == 2; }));
  CHECK(probing.health->get(0) == Status::Degraded);
  CHECK(probing.status() == Status::Degraded);
}

TEST_CASE("each change is logged once, and a ready line per profile once it has verdicts") {
  CapturedLog log;
  HttpBackend up;
  HttpBackend down;
  down.respond(503);
  model::Config config;
  auto always = address_endpoint("always", fast_monitor(MonitorProtocol::http, up.port()));
  always.always_serve = true;
  add_profile(config, "web",
              {address_endpoint("up", fast_monitor(MonitorProtocol::http, up.port())),
               address_endpoint("down", fast_monitor(MonitorProtocol::http, down.port())), always});
  auto disabled = address_endpoint("x", fast_monitor(MonitorProtocol::http, up.port()));
  disabled.enabled = false;
  add_profile(config, "quiet", {disabled});
  Probing probing(std::move(config));

  const std::string ready =
      "info probes: profile web ready online=1 degraded=1 checking=0 disabled=0 inactive=0 "
      "stopped=0 not_monitored=1";
  REQUIRE(wait_until([&] { return log.count(ready) == 1; }));
  REQUIRE(probing.wait_results(0, 4));
  REQUIRE(probing.wait_results(1, 4));
  CHECK(log.count(ready) == 1);
  CHECK(log.count("info probes: profile quiet ready online=0 degraded=0 checking=0 disabled=1 "
                  "inactive=0 stopped=0 not_monitored=0") == 1);
  CHECK(log.count("info probes: web/up CheckingEndpoint -> Online reason=\"HTTP 200\" "
                  "failures=0 successes=1") == 1);
  CHECK(log.count("info probes: web/down CheckingEndpoint -> Degraded reason=\"HTTP 503\" "
                  "failures=1 successes=0") == 1);
  CHECK(log.count("info probes: web/") == 2);
  CHECK(log.count("info probes: started endpoints=4 probed=2 resolving=0") == 1);
  probing.service->stop();
  CHECK(log.count("info probes: stopped") == 1);
}

TEST_CASE("stop() is safe before start(), twice, and left to the destructor") {
  HttpBackend backend;
  model::Config config;
  add_profile(config, "web", {address_endpoint("a", fast_monitor(MonitorProtocol::http, backend.port()))});
  {
    Probing never_started(config, /*start=*/false);
    never_started.service->stop();
  }
  {
    Probing probing(config);
    probing.service->start();  // a second start() does nothing
    REQUIRE(probing.wait_status(0, Status::Online));
    probing.service->stop();
    probing.service->stop();
    auto seen = backend.requests();
    CHECK(probing.status() == Status::Online);  // reports outlive the thread
    probing.service->start();                   // a stopped service stays stopped
    CHECK(probing.report().results <= seen);
  }
  {
    Probing left_running(config);
    REQUIRE(left_running.wait_results(0, 1));
  }  // the destructor stops it
}

TEST_CASE("stopping cancels probes in flight") {
  HttpBackend hung;
  hung.hang();
  auto monitor = fast_monitor(MonitorProtocol::http, hung.port(), 10s);
  model::Config config;
  add_profile(config, "web",
              {address_endpoint("http", monitor),
               address_endpoint("tcp", fast_monitor(MonitorProtocol::tcp, FullListener().port(), 10s))});
  Probing probing(std::move(config));
  REQUIRE(wait_until([&] { return hung.requests() == 1; }));
  auto started = std::chrono::steady_clock::now();
  probing.service->stop();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(probing.report(0).results == 0);
}

TEST_CASE("bad arguments: a short health table, an unknown endpoint id") {
  model::Config config;
  add_profile(config, "web", {address_endpoint("a", model::Monitor{})});
  auto shared = std::make_shared<const model::Config>(config);
  CHECK_THROWS_AS(probes::ProbeService(shared, std::make_shared<probes::HealthTable>(0)),
                  std::invalid_argument);
  CHECK_THROWS_AS(probes::ProbeService(shared, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(probes::ProbeService(nullptr, std::make_shared<probes::HealthTable>(1)),
                  std::invalid_argument);
  CHECK_THROWS_AS(probes::ProbeService(shared, std::make_shared<probes::HealthTable>(1),
                                       std::make_shared<resolver::ResolvedTable>(0)),
                  std::invalid_argument);
  probes::ProbeService service(shared, std::make_shared<probes::HealthTable>(1));
  CHECK_THROWS_AS(service.report(1), std::out_of_range);
}

TEST_CASE("hundreds of endpoints are probed at once by the one probe thread") {
  CapturedLog quiet;  // 300 transitions
  HttpBackend http;
  HttpBackend tcp;
  model::Config config;
  std::vector<model::Endpoint> endpoints;
  for (int i = 0; i < 300; ++i) {
    auto protocol = i % 3 == 0 ? MonitorProtocol::tcp : MonitorProtocol::http;
    auto port = protocol == MonitorProtocol::tcp ? tcp.port() : http.port();
    endpoints.push_back(address_endpoint("e" + std::to_string(i), fast_monitor(protocol, port, 500ms)));
  }
  add_profile(config, "many", std::move(endpoints));
  size_t before = thread_count();
  Probing probing(std::move(config));
  size_t most = before;
  bool all_online = wait_until([&] {
    most = std::max(most, thread_count());
    for (model::EndpointId id = 0; id < 300; ++id)
      if (probing.health->get(id) != Status::Online) return false;
    return true;
  });
  CHECK(all_online);
  CHECK(most == before + 1);
}

TEST_CASE("the probe loop stamps its health table while it runs") {
  HttpBackend backend;
  model::Config config;
  add_profile(config, "web", {address_endpoint("a", fast_monitor(MonitorProtocol::http, backend.port()))});
  Probing probing(std::move(config), /*start=*/false);
  const auto created = probing.health->last_beat();
  probing.service->start();
  REQUIRE(wait_until([&] { return probing.health->last_beat() > created; }, 5s));
  const auto first = probing.health->last_beat();
  CHECK(wait_until([&] { return probing.health->last_beat() > first; }, 5s));  // and goes on beating
}
