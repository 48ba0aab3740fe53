// Multivalue routing: up to max_return available addresses of the queried family.
#include <set>

#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

World four_v4_one_v6(unsigned max_return) {
  World world({make_profile("web", Method::multivalue,
                            {address_endpoint("a", "192.0.2.1"), address_endpoint("b", "192.0.2.2"),
                             address_endpoint("c", "192.0.2.3"), address_endpoint("d", "192.0.2.4"),
                             address_endpoint("six", "2001:db8::1")})});
  world.mutable_profile("web").max_return = max_return;
  return world;
}

}  // namespace

TEST_CASE("multivalue: returns max_return distinct available endpoints of the queried family") {
  World world = four_v4_one_v6(3);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const auto answer = world.ask("web", client("198.51.100.1"), 1, seed);
    CHECK(answer.kind == Answer::Kind::addresses);
    const auto chosen_names = names(answer);
    const std::set<std::string> distinct(chosen_names.begin(), chosen_names.end());
    CHECK(distinct.size() == 3);
    // The answer's addresses (what the responder writes) stay in step with its endpoints
    // through the reservoir and the shuffle.
    for (size_t i = 0; i < answer.count; ++i) CHECK(*answer.addresses[i] == answer.endpoints[i]->address);
    CHECK(distinct.count("six") == 0);
  }
}

TEST_CASE("multivalue: returns fewer when fewer are available") {
  World world = four_v4_one_v6(3);
  world.set("web", "a", Status::Degraded);
  world.set("web", "b", Status::Degraded);
  const auto chosen_names = names(world.ask("web", client("198.51.100.1")));
  CHECK(std::set<std::string>(chosen_names.begin(), chosen_names.end()) == std::set<std::string>{"c", "d"});
}

TEST_CASE("multivalue: AAAA returns the IPv6 endpoints only") {
  World world = four_v4_one_v6(3);
  CHECK(names(world.ask("web", client("198.51.100.1"), 28)) == std::vector<std::string>{"six"});
}

TEST_CASE("multivalue: fails open to every enabled endpoint when none is available") {
  World world = four_v4_one_v6(10);
  for (const char* name : {"a", "b", "c", "d"}) world.set("web", name, Status::Degraded);
  world.mutable_profile("web").endpoints[0].enabled = false;  // a
  const auto chosen_names = names(world.ask("web", client("198.51.100.1")));
  CHECK(std::set<std::string>(chosen_names.begin(), chosen_names.end()) ==
        std::set<std::string>{"b", "c", "d"});
}

TEST_CASE("multivalue: a query of another type answers NODATA") {
  World world = four_v4_one_v6(2);
  CHECK(world.ask("web", client("198.51.100.1"), 16).kind == Answer::Kind::nodata);
}

TEST_CASE("multivalue: the answer does not depend on the client (ECS scope 0)") {
  World world = four_v4_one_v6(2);
  CHECK(world.ask("web", ecs_client("198.51.100.0", 24)).scope_prefix == 0);
}

TEST_CASE("multivalue: never more than max_answers, whatever max_return says") {
  std::vector<model::Endpoint> endpoints;
  for (int i = 1; i <= 20; ++i)
    endpoints.push_back(address_endpoint("e" + std::to_string(i), ("192.0.2." + std::to_string(i)).c_str()));
  World world({make_profile("web", Method::multivalue, endpoints)});
  world.mutable_profile("web").max_return = 50;
  CHECK(world.ask("web", client("198.51.100.1")).count == max_answers);
}

TEST_CASE("multivalue: every endpoint is returned equally often, and first equally often") {
  World world = four_v4_one_v6(2);
  Random random(9);
  std::vector<double> returned(4, 0);
  std::vector<double> first(4, 0);
  for (int draw = 0; draw < 40000; ++draw) {
    const auto answer = world.ask("web", client("198.51.100.1"), 1, random);
    REQUIRE(answer.count == 2);
    for (size_t i = 0; i < answer.count; ++i) ++returned[answer.endpoints[i]->name[0] - 'a'];
    ++first[answer.endpoints[0]->name[0] - 'a'];
  }
  CHECK(chi_square(returned, {1, 1, 1, 1}) < 16.27);  // df 3, p = 0.001
  CHECK(chi_square(first, {1, 1, 1, 1}) < 16.27);
}
