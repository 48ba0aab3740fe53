// Priority routing: the lowest priority value among available endpoints.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

// Listed out of order on purpose: the priority value decides, not the list position.
World three_tiers() {
  auto third = address_endpoint("third", "192.0.2.3");
  third.priority = 30;
  auto first = address_endpoint("first", "192.0.2.1");
  first.priority = 10;
  auto second = address_endpoint("second", "192.0.2.2");
  second.priority = 20;
  return World({make_profile("web", Method::priority, {third, first, second})});
}

}  // namespace

TEST_CASE("priority: the lowest priority value among available endpoints wins") {
  World world = three_tiers();
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "first");
}

TEST_CASE("priority: a Degraded primary moves traffic to the next priority") {
  World world = three_tiers();
  world.set("web", "first", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "second");
  world.set("web", "second", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "third");
}

TEST_CASE("priority: traffic returns to the primary when it serves again") {
  World world = three_tiers();
  world.set("web", "first", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "second");
  world.set("web", "first", Status::Online);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "first");
}

TEST_CASE("priority: failing open picks the lowest priority among enabled endpoints") {
  World world = three_tiers();
  world.mutable_profile("web").endpoints[1].enabled = false;  // first
  world.set("web", "second", Status::Degraded);
  world.set("web", "third", Status::Degraded);
  CHECK(chosen(world.ask("web", client("198.51.100.1"))) == "second");
}

TEST_CASE("priority: the answer does not depend on the client (ECS scope 0)") {
  World world = three_tiers();
  CHECK(world.ask("web", ecs_client("198.51.100.0", 24)).scope_prefix == 0);
}

TEST_CASE("priority: the answer does not depend on the random source") {
  World world = three_tiers();
  for (uint64_t seed = 0; seed < 20; ++seed)
    CHECK(chosen(world.ask("web", client("198.51.100.1"), 1, seed)) == "first");
}
