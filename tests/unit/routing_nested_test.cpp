// Nested profiles: availability from the child, min_child_endpoints, recursion, depth limit.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

// web prefers the child profile "eu" (two IPv4 endpoints and one IPv6), then a plain backup.
World parent_and_child() {
  return World({make_profile("web", Method::priority,
                             {nested_endpoint("europe", "eu"), address_endpoint("backup", "192.0.2.100")}),
                make_profile("eu", Method::priority,
                             {address_endpoint("paris", "192.0.2.1"), address_endpoint("london", "192.0.2.2"),
                              address_endpoint("paris6", "2001:db8::1")})});
}

}  // namespace

TEST_CASE("choosing a nested endpoint continues routing in the child profile") {
  World world = parent_and_child();
  Trace trace;
  const auto answer = world.ask("web", client("198.51.100.1"), 1, 1, &trace);
  CHECK(chosen(answer) == "paris");
  CHECK(trace_mentions(trace, "entered child profile eu"));
}

TEST_CASE("the child profile picks by its own method and health") {
  World world = parent_and_child();
  world.set("eu", "paris", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "london");
}

TEST_CASE("the child answers AAAA from its IPv6 endpoints") {
  World world = parent_and_child();
  const auto answer = world.ask("web", client("198.51.100.1"), 28);
  CHECK(chosen(answer) == "paris6");
  // The address comes from the child's digest, not the parent's.
  REQUIRE(answer.count == 1);
  CHECK(answer.addresses[0] == &world.profile("eu").digests[2].address);
  CHECK(*answer.addresses[0] == ip("2001:db8::1"));
}

TEST_CASE("a nested endpoint serves while its child has min_child_endpoints available") {
  World world = parent_and_child();
  world.mutable_profile("web").endpoints[0].min_child_endpoints = 2;
  world.set("eu", "paris", Status::Degraded);  // london and paris6 remain
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "london");
}

TEST_CASE("a nested endpoint whose child has fewer than min_child_endpoints available is passed over") {
  World world = parent_and_child();
  world.mutable_profile("web").endpoints[0].min_child_endpoints = 3;
  world.set("eu", "paris", Status::Degraded);
  Trace trace;
  CHECK(chosen(world.ask("web", client("198.51.100.1"), 1, 1, &trace)) == "backup");
  CHECK(trace_mentions(trace, "endpoint europe is Degraded: child profile eu has 2 available endpoint(s)"));
}

TEST_CASE("min_child_endpoints_ipv4 counts only the child's IPv4 address endpoints") {
  World world = parent_and_child();
  world.mutable_profile("web").endpoints[0].min_child_endpoints_ipv4 = 2;
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "paris");
  world.set("eu", "london", Status::Degraded);  // 1 IPv4 left, 2 endpoints in all
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("min_child_endpoints_ipv6 counts only the child's IPv6 address endpoints") {
  World world = parent_and_child();
  world.mutable_profile("web").endpoints[0].min_child_endpoints_ipv6 = 1;
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "paris");
  world.set("eu", "paris6", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("a nested endpoint whose child profile is disabled is Stopped and never chosen") {
  World world = parent_and_child();
  world.mutable_profile("eu").enabled = false;
  world.set("web", "backup", Status::Degraded);  // even failing open
  Trace trace;
  CHECK(chosen(world.ask("web", client("198.51.100.1"), 1, 1, &trace)) == "backup");
  CHECK(trace_mentions(trace, "Stopped"));
}

TEST_CASE("a nested endpoint whose child has no enabled endpoint is Stopped") {
  World world = parent_and_child();
  for (auto& endpoint : world.mutable_profile("eu").endpoints) endpoint.enabled = false;
  world.set("web", "backup", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("a nested endpoint whose child is all Degraded is Degraded, and the child fails open") {
  World world = parent_and_child();
  for (const char* name : {"paris", "london", "paris6"}) world.set("eu", name, Status::Degraded);
  world.set("web", "backup", Status::Degraded);
  // Both parent endpoints are unavailable: the parent fails open to "europe" (priority 1) and
  // the child fails open to paris.
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "paris");
}

TEST_CASE("nested availability is recursive through grandchildren") {
  World world({make_profile("top", Method::priority,
                            {nested_endpoint("mid", "middle"), address_endpoint("backup", "192.0.2.100")}),
               make_profile("middle", Method::priority, {nested_endpoint("low", "bottom")}),
               make_profile("bottom", Method::priority, {address_endpoint("leaf", "192.0.2.1")})});
  CHECK(chosen(world.ask("top", client("198.51.100.1"))) == "leaf");
  world.set("bottom", "leaf", Status::Degraded);  // bottom has 0 available -> low, then mid, Degraded
  CHECK(chosen(world.ask("top", client("198.51.100.1"))) == "backup");
}

TEST_CASE("a disabled nested endpoint is never chosen") {
  World world = parent_and_child();
  world.mutable_profile("web").endpoints[0].enabled = false;
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "backup");
}

TEST_CASE("routing follows at most 10 levels of nesting") {
  std::vector<model::Profile> profiles;
  for (int level = 0; level <= 11; ++level) {
    const std::string name = "level" + std::to_string(level);
    if (level == 11)
      profiles.push_back(make_profile(name, Method::priority, {address_endpoint("leaf", "192.0.2.1")}));
    else
      profiles.push_back(make_profile(name, Method::priority,
                                      {nested_endpoint("down", "level" + std::to_string(level + 1))}));
  }
  World world(std::move(profiles));
  // level1 reaches the leaf 10 levels down; level0 would need 11.
  CHECK(chosen(world.ask("level1", client("198.51.100.1"))) == "leaf");
  CHECK(world.ask("level0", client("198.51.100.1")).kind == Answer::Kind::nodata);
}
