// Who is probed and the fixed status of everyone else; when first probes run; the ready line.
#include <doctest/doctest.h>

#include <set>

#include "probes/plan.h"
#include "probes/schedule.h"
#include "probes/summary.h"
#include "tests/unit/probes_fixture.h"

using namespace meridian;
using namespace std::chrono_literals;
using model::Status;
using probes_test::add_profile;
using probes_test::address_endpoint;

namespace {

model::Endpoint http_endpoint(std::string name) {
  return address_endpoint(std::move(name), model::Monitor{});
}

model::Endpoint nested_endpoint(std::string name, size_t child_index) {
  model::Endpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.kind = model::TargetKind::nested;
  endpoint.child_index = child_index;
  return endpoint;
}

}  // namespace

TEST_CASE("an enabled address endpoint with a monitor is probed, starting CheckingEndpoint") {
  model::Config config;
  add_profile(config, "web", {http_endpoint("a")});
  auto plans = probes::plan_endpoints(config);
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].probed);
  CHECK(plans[0].initial == Status::CheckingEndpoint);
  CHECK(plans[0].reason.empty());
  CHECK(plans[0].profile == "web");
  CHECK(plans[0].endpoint == "a");
}

TEST_CASE("fixed statuses: disabled, inactive, always_serve, protocol none, FQDN") {
  model::Config config;
  auto disabled = http_endpoint("disabled");
  disabled.enabled = false;
  auto always = http_endpoint("always");
  always.always_serve = true;
  auto none = http_endpoint("none");
  none.monitor.protocol = model::MonitorProtocol::none;
  auto fqdn = http_endpoint("fqdn");
  fqdn.kind = model::TargetKind::fqdn;
  fqdn.fqdn = "origin.example.net";
  add_profile(config, "web", {disabled, always, none, fqdn});
  auto off = http_endpoint("off");
  off.enabled = false;
  add_profile(config, "off", {http_endpoint("x"), off}, /*enabled=*/false);

  auto plans = probes::plan_endpoints(config);
  REQUIRE(plans.size() == 6);
  auto expect = [&](size_t id, bool probed, Status status, const char* reason) {
    CAPTURE(id);
    CHECK(plans[id].probed == probed);
    CHECK(plans[id].initial == status);
    CHECK(plans[id].reason == reason);
  };
  expect(0, false, Status::Disabled, "endpoint disabled");
  expect(1, false, Status::NotMonitored, "always_serve");
  expect(2, false, Status::NotMonitored, "monitor protocol none");
  expect(3, true, Status::CheckingEndpoint, "awaiting resolver");  // probed once resolved
  expect(4, false, Status::Inactive, "profile disabled");  // a disabled profile wins over the rest
  expect(5, false, Status::Inactive, "profile disabled");
}

TEST_CASE("FQDN targets are resolved when probed, or when flattened and servable") {
  model::Config config;
  auto fqdn = [](std::string name, bool flatten) {
    auto endpoint = http_endpoint(std::move(name));
    endpoint.kind = model::TargetKind::fqdn;
    endpoint.fqdn = "origin.example.net";
    endpoint.flatten = flatten;
    return endpoint;
  };
  auto monitored = fqdn("monitored", false);
  auto always_flat = fqdn("always-flat", true);
  always_flat.always_serve = true;
  auto unmonitored_flat = fqdn("unmonitored-flat", true);
  unmonitored_flat.monitor.protocol = model::MonitorProtocol::none;
  auto always_cname = fqdn("always-cname", false);
  always_cname.always_serve = true;
  auto disabled_flat = fqdn("disabled-flat", true);
  disabled_flat.enabled = false;
  add_profile(config, "web", {monitored, always_flat, unmonitored_flat, always_cname, disabled_flat,
                              http_endpoint("address")});
  add_profile(config, "off", {fqdn("inactive-flat", true)}, /*enabled=*/false);

  auto plans = probes::plan_endpoints(config);
  std::vector<bool> resolve;
  for (const auto& plan : plans) resolve.push_back(plan.resolve);
  CHECK(resolve == std::vector<bool>{true, true, true, false, false, false, false});
  CHECK(plans[1].initial == Status::NotMonitored);  // resolved for its answers, not probed
  CHECK_FALSE(plans[1].probed);
}

TEST_CASE("a disabled endpoint is Disabled even when always_serve is set") {
  model::Config config;
  auto endpoint = http_endpoint("a");
  endpoint.enabled = false;
  endpoint.always_serve = true;
  add_profile(config, "web", {endpoint});
  CHECK(probes::plan_endpoints(config)[0].initial == Status::Disabled);
}

TEST_CASE("nested endpoints are not probed: Stopped when their child cannot serve") {
  model::Config config;
  add_profile(config, "parent",
              {nested_endpoint("live", 1), nested_endpoint("off", 2), nested_endpoint("empty", 3)});
  add_profile(config, "child-live", {http_endpoint("a")});
  add_profile(config, "child-off", {http_endpoint("b")}, /*enabled=*/false);
  auto disabled = http_endpoint("c");
  disabled.enabled = false;
  add_profile(config, "child-empty", {disabled});

  auto plans = probes::plan_endpoints(config);
  CHECK_FALSE(plans[0].probed);
  CHECK(plans[0].initial == Status::NotMonitored);
  CHECK(plans[0].reason == "nested: follows its child");
  CHECK(plans[1].initial == Status::Stopped);
  CHECK(plans[1].reason == "child profile disabled");
  CHECK(plans[2].initial == Status::Stopped);
  CHECK(plans[2].reason == "child profile has no enabled endpoint");
  CHECK(plans[3].probed);  // the child's own endpoint is probed
}

TEST_CASE("plans are indexed by endpoint id, and an id beyond endpoint_count is refused") {
  model::Config config;
  add_profile(config, "one", {http_endpoint("a"), http_endpoint("b")});
  add_profile(config, "two", {http_endpoint("c")});
  auto plans = probes::plan_endpoints(config);
  CHECK(plans[2].profile == "two");
  CHECK(plans[2].endpoint == "c");
  CHECK(plans[2].profile_index == 1);
  CHECK(plans[1].endpoint_index == 1);
  config.endpoint_count = 2;
  CHECK_THROWS_AS(probes::plan_endpoints(config), std::invalid_argument);
}

TEST_CASE("first probes are spread over min(interval, 1s), deterministically") {
  std::set<int64_t> delays;
  for (int i = 0; i < 100; ++i) {
    std::string key = "web/endpoint" + std::to_string(i);
    auto delay = probes::first_probe_delay(key, 30s);
    CHECK(delay >= 0ms);
    CHECK(delay < 1s);
    CHECK(delay == probes::first_probe_delay(key, 30s));
    delays.insert(delay.count());
    auto short_delay = probes::first_probe_delay(key, 100ms);
    CHECK(short_delay >= 0ms);
    CHECK(short_delay < 100ms);
  }
  CHECK(delays.size() > 50);  // not all at t=0
  CHECK(probes::first_probe_delay("x", 0ms) == 0ms);
}

TEST_CASE("the probe period is the interval, never 0") {
  CHECK(probes::probe_period(30s) == 30s);
  CHECK(probes::probe_period(0ms) == 1ms);
}

TEST_CASE("the ready line counts every status, zeros included") {
  std::vector<Status> statuses{Status::Online, Status::Online, Status::Degraded, Status::NotMonitored,
                               Status::CheckingEndpoint};
  CHECK(probes::ready_summary("web", statuses) ==
        "profile web ready online=2 degraded=1 checking=1 disabled=0 inactive=0 stopped=0 "
        "not_monitored=1");
}

TEST_CASE("an id that no endpoint uses keeps its own plan, unprobed") {
  model::Config config;
  add_profile(config, "web", {http_endpoint("a")});
  config.endpoint_count = 3;
  auto plans = probes::plan_endpoints(config);
  REQUIRE(plans.size() == 3);
  CHECK(plans[0].probed);
  CHECK(plans[2].id == 2);
  CHECK_FALSE(plans[2].probed);
}
