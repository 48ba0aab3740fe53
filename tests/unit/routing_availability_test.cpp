// Which endpoints may serve: statuses, disabled endpoints and profiles, fail-open.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

World two_endpoints() {
  return World({make_profile("web", Method::priority, {address_endpoint("primary", "192.0.2.1"),
                                                       address_endpoint("backup", "192.0.2.2")})});
}

}  // namespace

TEST_CASE("Online, CheckingEndpoint and NotMonitored endpoints serve") {
  for (auto status : {Status::Online, Status::CheckingEndpoint, Status::NotMonitored}) {
    World world = two_endpoints();
    world.set("web", "primary", status);
    CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "primary");
  }
}

TEST_CASE("Degraded, Stopped and Inactive endpoints are passed over while another serves") {
  for (auto status : {Status::Degraded, Status::Stopped, Status::Inactive}) {
    World world = two_endpoints();
    world.set("web", "primary", status);
    CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
  }
}

TEST_CASE("an endpoint with enabled: false is never chosen, even failing open") {
  World world = two_endpoints();
  world.mutable_profile("web").endpoints[0].enabled = false;
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
  world.set("web", "backup", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("an endpoint drained in the health table (Disabled) is never chosen, even failing open") {
  World world = two_endpoints();
  world.set("web", "primary", Status::Disabled);
  world.set("web", "backup", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("always_serve keeps an endpoint serving whatever the probes say") {
  World world = two_endpoints();
  world.mutable_profile("web").endpoints[0].always_serve = true;
  world.set("web", "primary", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "primary");
}

TEST_CASE("an endpoint with monitor protocol none is NotMonitored and serves") {
  World world = two_endpoints();
  world.mutable_profile("web").endpoints[0].monitor.protocol = model::MonitorProtocol::none;
  world.set("web", "primary", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "primary");
}

TEST_CASE("always_serve does not bring back a drained endpoint") {
  World world = two_endpoints();
  world.mutable_profile("web").endpoints[0].always_serve = true;
  world.set("web", "primary", Status::Disabled);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("fail open: with every endpoint Degraded the profile routes as if all were available") {
  World world = two_endpoints();
  world.set("web", "primary", Status::Degraded);
  world.set("web", "backup", Status::Degraded);
  Trace trace;
  CHECK(chosen(world.ask("web", client("198.51.100.1"), 1, 1, &trace)) == "primary");
  CHECK(trace_mentions(trace, "failing open"));
}

TEST_CASE("fail open passes over Stopped endpoints") {
  World world({make_profile("web", Method::priority,
                            {nested_endpoint("stopped-child", "off"), address_endpoint("backup", "192.0.2.2")}),
               make_profile("off", Method::priority, {address_endpoint("x", "192.0.2.9")})});
  world.mutable_profile("off").enabled = false;
  world.set("web", "backup", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("a profile with only Stopped endpoints answers NODATA") {
  World world({make_profile("web", Method::priority, {nested_endpoint("stopped-child", "off")}),
               make_profile("off", Method::priority, {address_endpoint("x", "192.0.2.9")})});
  world.mutable_profile("off").enabled = false;
  CHECK(world.ask("web", client("198.51.100.1")).kind == Answer::Kind::nodata);
}

TEST_CASE("a disabled profile answers NODATA") {
  World world = two_endpoints();
  world.mutable_profile("web").enabled = false;
  Trace trace;
  const auto answer = world.ask("web", client("198.51.100.1"), 1, 1, &trace);
  CHECK(answer.kind == Answer::Kind::nodata);
  CHECK(answer.count == 0);
  CHECK(trace_mentions(trace, "disabled"));
}

TEST_CASE("a profile whose endpoints are all disabled answers NODATA") {
  World world = two_endpoints();
  for (auto& endpoint : world.mutable_profile("web").endpoints) endpoint.enabled = false;
  CHECK(world.ask("web", client("198.51.100.1")).kind == Answer::Kind::nodata);
}

TEST_CASE("a health slot past the table's end counts as CheckingEndpoint") {
  World world = two_endpoints();
  world.mutable_profile("web").endpoints[0].id = 1000;
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "primary");
}
