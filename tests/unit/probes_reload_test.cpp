// Reload: what a new ProbeService keeps of the running one (probes/carry.h), first as the pure
// mapping, then end to end with two services over real backends.
#include <doctest/doctest.h>

#include <functional>

#include "probes/carry.h"
#include "probes/plan.h"
#include "probes/verdict.h"
#include "tests/unit/probes_fixture.h"
#include "tests/unit/resolver_responder.h"

using namespace meridian;
using namespace probes_test;
using namespace std::chrono_literals;
using model::MonitorProtocol;
using model::Status;
using probes::EndpointReport;

namespace {

model::Monitor monitor() {
  return fast_monitor(MonitorProtocol::http, 8080);
}

model::Endpoint at(std::string name, const std::string& address) {
  return address_endpoint(std::move(name), monitor(), *geo::Address::parse(address));
}

model::Endpoint fqdn_at(std::string name, const std::string& fqdn) {
  auto endpoint = address_endpoint(std::move(name), monitor());
  endpoint.kind = model::TargetKind::fqdn;
  endpoint.address = {};
  endpoint.fqdn = fqdn;
  return endpoint;
}

EndpointReport online(uint64_t results = 5) {
  EndpointReport report;
  report.status = Status::Online;
  report.probed = true;
  report.results = results;
  report.consecutive_successes = unsigned(results);
  report.last_ok = true;
  report.reason = "HTTP 200";
  return report;
}

// The running side of a reload: a config, its plans and the reports its service shows.
struct Before {
  model::Config config;
  std::vector<probes::EndpointPlan> plans;
  std::vector<EndpointReport> reports;

  explicit Before(model::Config built) : config(std::move(built)), plans(probes::plan_endpoints(config)) {
    for (const auto& plan : plans) {
      EndpointReport report;
      report.profile = plan.profile;
      report.endpoint = plan.endpoint;
      report.status = plan.initial;
      report.probed = plan.probed;
      reports.push_back(report);
    }
  }
  void set(model::EndpointId id, EndpointReport report) { reports.at(id) = std::move(report); }

  probes::Carry to(const model::Config& after) const {
    return probes::carry_over(config, plans, reports, after, probes::plan_endpoints(after));
  }
};

}  // namespace

TEST_CASE("an endpoint with the same names, target and monitor keeps its verdict, wherever its id moved") {
  model::Config old;
  add_profile(old, "web", {at("a", "192.0.2.1"), at("b", "192.0.2.2")});
  Before before(old);
  before.set(0, online());
  auto degraded = online();
  degraded.status = Status::Degraded;
  degraded.consecutive_failures = 4;
  degraded.consecutive_successes = 0;
  before.set(1, degraded);

  model::Config next;
  add_profile(next, "api", {at("x", "192.0.2.9")});  // a new profile first: every id moves by one
  add_profile(next, "web", {at("b", "192.0.2.2"), at("a", "192.0.2.1")});
  auto carry = before.to(next);
  CHECK(carry.kept == 2);
  CHECK(carry.verdict(0) == nullptr);  // api/x is new
  REQUIRE(carry.verdict(1) != nullptr);
  CHECK(carry.verdict(1)->status == Status::Degraded);  // web/b
  CHECK(carry.verdict(1)->consecutive_failures == 4);
  REQUIRE(carry.verdict(2) != nullptr);
  CHECK(carry.verdict(2)->status == Status::Online);  // web/a
}

TEST_CASE("a changed target, monitor setting or profile name starts afresh") {
  model::Config old;
  add_profile(old, "web",
              {at("address", "192.0.2.1"), at("path", "192.0.2.2"), fqdn_at("fqdn", "a.example.net")});
  add_profile(old, "old-name", {at("a", "192.0.2.3")});
  Before before(old);
  for (model::EndpointId id = 0; id < 4; ++id) before.set(id, online());

  model::Config next;
  auto path = at("path", "192.0.2.2");
  path.monitor.path = "/healthz";
  add_profile(next, "web", {at("address", "192.0.2.10"), path, fqdn_at("fqdn", "b.example.net")});
  add_profile(next, "new-name", {at("a", "192.0.2.3")});
  auto carry = before.to(next);
  CHECK(carry.kept == 0);
  for (model::EndpointId id = 0; id < 4; ++id) CHECK(carry.verdict(id) == nullptr);
}

TEST_CASE("an endpoint that was not probed, or had no result yet, starts afresh") {
  model::Config old;
  auto disabled = at("disabled", "192.0.2.1");
  disabled.enabled = false;
  add_profile(old, "web", {disabled, at("fresh", "192.0.2.2")});
  Before before(old);  // fresh: probed, no result yet

  model::Config next;
  add_profile(next, "web", {at("disabled", "192.0.2.1"), at("fresh", "192.0.2.2")});
  auto carry = before.to(next);
  CHECK(carry.kept == 0);
  CHECK(carry.verdict(0) == nullptr);
  CHECK(carry.verdict(1) == nullptr);
}

TEST_CASE("an endpoint that is no longer probed keeps nothing: its status comes from the config") {
  model::Config old;
  add_profile(old, "web", {at("a", "192.0.2.1")});
  Before before(old);
  before.set(0, online());

  model::Config next;
  auto always = at("a", "192.0.2.1");
  always.always_serve = true;
  add_profile(next, "web", {always});
  auto carry = before.to(next);
  CHECK(carry.kept == 0);
  CHECK(carry.verdict(0) == nullptr);
}

TEST_CASE("every monitor setting counts as a change") {
  const model::Monitor base = monitor();
  CHECK(probes::same_monitor(base, base));
  std::vector<std::function<void(model::Monitor&)>> changes{
      [](model::Monitor& m) { m.protocol = MonitorProtocol::tcp; },
      [](model::Monitor& m) { m.port = 81; },
      [](model::Monitor& m) { m.path = "/other"; },
      [](model::Monitor& m) {
        m.headers = {{"Host", "www.example.com"}};
      },
      [](model::Monitor& m) { m.interval = 1s; },
      [](model::Monitor& m) { m.timeout = 50ms; },
      [](model::Monitor& m) { m.tolerated_failures = 3; },
      [](model::Monitor& m) { m.healthy_threshold = 2; },
      [](model::Monitor& m) {
        m.expected_status = {{200, 299}};
      },
      [](model::Monitor& m) { m.tls_verify = true; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    CAPTURE(i);
    model::Monitor changed = base;
    changes[i](changed);
    CHECK_FALSE(probes::same_monitor(base, changed));
  }
}

TEST_CASE(
    "an FQDN target keeps its last good addresses when its name is unchanged, even if its monitor changed") {
  model::Config old;
  add_profile(old, "web", {fqdn_at("same", "a.example.net"), fqdn_at("renamed", "b.example.net")});
  Before before(old);
  auto resolved = online();
  resolved.resolved = {*geo::Address::parse("192.0.2.7"), *geo::Address::parse("2001:db8::7")};
  before.set(0, resolved);
  before.set(1, resolved);

  model::Config next;
  auto same = fqdn_at("same", "a.example.net");
  same.monitor.port = 9090;
  add_profile(next, "web", {same, fqdn_at("renamed", "c.example.net")});
  auto carry = before.to(next);
  CHECK(carry.verdict(0) == nullptr);  // the monitor changed
  REQUIRE(carry.addresses(0).size() == 2);
  CHECK(carry.addresses(0)[0].to_string() == "192.0.2.7");
  CHECK(carry.addresses(1).empty());
}

TEST_CASE("a profile already announced and unchanged is not announced ready again; any change is") {
  model::Config old;
  add_profile(old, "same", {at("a", "192.0.2.1")});
  add_profile(old, "changed", {at("a", "192.0.2.2")});
  add_profile(old, "shrunk", {at("a", "192.0.2.3"), at("b", "192.0.2.4")});
  add_profile(old, "unsettled", {at("a", "192.0.2.5"), at("b", "192.0.2.6")});
  auto off = at("a", "192.0.2.7");
  off.enabled = false;
  add_profile(old, "fixed", {off});
  Before before(old);
  for (model::EndpointId id : {0u, 1u, 2u, 3u, 4u}) before.set(id, online());  // unsettled/b has no verdict

  model::Config next;
  add_profile(next, "same", {at("a", "192.0.2.1")});
  add_profile(next, "changed", {at("a", "192.0.2.20")});
  add_profile(next, "shrunk", {at("a", "192.0.2.3")});
  add_profile(next, "unsettled", {at("a", "192.0.2.5"), at("b", "192.0.2.6")});
  add_profile(next, "fixed", {off});
  add_profile(next, "new", {at("a", "192.0.2.8")});
  auto carry = before.to(next);
  CHECK(carry.is_quiet(0));
  CHECK_FALSE(carry.is_quiet(1));
  CHECK_FALSE(carry.is_quiet(2));
  CHECK_FALSE(carry.is_quiet(3));
  CHECK(carry.is_quiet(4));  // not probed, the same Disabled as before
  CHECK_FALSE(carry.is_quiet(5));
}

TEST_CASE("a resumed verdict goes on counting where the old one was") {
  auto monitor = fast_monitor(MonitorProtocol::http, 80);
  monitor.tolerated_failures = 2;
  probes::Verdict before(monitor, {});
  const auto t0 = probes::Timestamp{} + 1s;
  before.record({true, "HTTP 200"}, t0);
  before.record({false, "HTTP 503"}, t0 + 1s);
  before.record({false, "HTTP 503"}, t0 + 2s);
  EndpointReport report;
  report.status = before.status();
  report.consecutive_failures = before.consecutive_failures();
  report.consecutive_successes = before.consecutive_successes();
  report.reason = before.last_reason();
  report.last_ok = before.last_ok();
  report.last_result = before.last_result();
  report.last_change = before.last_change();
  report.results = before.results();
  report.last_transition = before.last_transition();

  auto resumed = probes::Verdict::resume(monitor, report);
  CHECK(resumed.status() == Status::Online);
  CHECK(resumed.results() == 3);
  CHECK(resumed.last_change() == t0);
  auto transition = resumed.record({false, "HTTP 503"}, t0 + 3s);  // the third failure in a row
  REQUIRE(transition.has_value());
  CHECK(transition->to == Status::Degraded);
  CHECK(transition->failures == 3);
}

TEST_CASE(
    "a reloaded service shows the kept statuses from start(), before probing, and continues the generation") {
  HttpBackend up;
  HttpBackend hung;  // accepts and never answers: an endpoint probed there stays CheckingEndpoint
  hung.hang();
  model::Config config;
  add_profile(config, "web",
              {address_endpoint("kept", fast_monitor(MonitorProtocol::http, up.port())),
               address_endpoint("moved", fast_monitor(MonitorProtocol::http, up.port()))});
  Probing running(config);
  REQUIRE(running.wait_status(0, Status::Online));
  REQUIRE(running.wait_status(1, Status::Online));
  const uint64_t generation = running.service->generation();

  model::Config next;
  add_profile(next, "api", {address_endpoint("new", fast_monitor(MonitorProtocol::http, hung.port(), 10s))});
  add_profile(next, "web",
              {address_endpoint("kept", fast_monitor(MonitorProtocol::http, up.port())),
               address_endpoint("moved", fast_monitor(MonitorProtocol::http, hung.port(), 10s))});
  auto shared = std::make_shared<const model::Config>(std::move(next));
  auto health = std::make_shared<probes::HealthTable>(shared->endpoint_count);
  probes::ProbeService reloaded(shared, health, nullptr, *running.service);
  CHECK(reloaded.kept_status() == 1);
  CHECK(reloaded.generation() == generation + 1);
  reloaded.start();
  CHECK(health->get(1) == Status::Online);  // web/kept, before the new service probed it
  const auto kept = reloaded.report(1);
  CHECK(kept.status == Status::Online);
  CHECK(kept.results >= 1);
  CHECK(health->get(2) == Status::CheckingEndpoint);  // web/moved starts afresh
  CHECK(reloaded.report(2).results == 0);
  CHECK(health->get(0) == Status::CheckingEndpoint);  // api/new
  running.service->stop();
  CHECK(wait_until([&] { return reloaded.report(1).results >= kept.results + 2; }));  // probed by the new one
  CHECK(health->get(1) == Status::Online);
  CHECK(reloaded.generation() == generation + 1);  // nothing changed status
}

TEST_CASE("a reloaded service publishes the kept addresses of an FQDN target before its first lookup") {
  resolver_test::Responder dns;
  dns.set("origin.meridian.test", resolver_test::Rule::addresses({"127.0.0.1"}));
  HttpBackend backend;
  model::Config config;
  config.resolver.servers = {*geo::SocketAddress::parse(dns.server())};
  auto endpoint = fqdn_at("origin", "origin.meridian.test");
  endpoint.monitor = fast_monitor(MonitorProtocol::http, backend.port());
  endpoint.flatten = true;
  add_profile(config, "web", {endpoint});
  Probing running(config);
  REQUIRE(running.wait_status(0, Status::Online));

  dns.set("origin.meridian.test", resolver_test::Rule::silence());  // the new resolver gets no answer
  auto next = std::make_shared<const model::Config>(config);
  auto table = std::make_shared<resolver::ResolvedTable>(next->endpoint_count);
  probes::ProbeService reloaded(next, std::make_shared<probes::HealthTable>(next->endpoint_count), table,
                                *running.service);
  reloaded.start();
  running.service->stop();
  geo::Address out[2];
  REQUIRE(table->read(0, geo::Family::v4, out) == 1);
  CHECK(out[0].to_string() == "127.0.0.1");
  CHECK(reloaded.report(0).status == Status::Online);
  // Its probes go on at the kept address although the name does not resolve now.
  const uint64_t results = reloaded.report(0).results;
  CHECK(wait_until([&] { return reloaded.report(0).results >= results + 2; }));
  CHECK(reloaded.report(0).status == Status::Online);
}
