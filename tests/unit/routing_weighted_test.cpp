// Weighted routing: random in proportion to weight, or by client subnet with affinity.
#include <cmath>

#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

// Chi-square critical values at p = 0.001: a correct implementation fails a fixed seed's check
// with chance 1 in 1000, and the seeds below are fixed, so the tests are deterministic.
constexpr double chi_square_limit_df2 = 13.82;

World weights_1_3_6() {
  auto light = address_endpoint("light", "192.0.2.1");
  light.weight = 100;
  auto middle = address_endpoint("middle", "192.0.2.2");
  middle.weight = 300;
  auto heavy = address_endpoint("heavy", "192.0.2.3");
  heavy.weight = 600;
  return World({make_profile("web", Method::weighted, {light, middle, heavy})});
}

std::vector<double> tally(const World& world, const std::vector<std::string>& order,
                          const std::vector<Client>& clients, Random& random) {
  std::vector<double> counts(order.size(), 0);
  for (auto client : clients) {
    const auto name = chosen(world.ask("web", client, 1, random));
    for (size_t i = 0; i < order.size(); ++i)
      if (order[i] == name) ++counts[i];
  }
  return counts;
}

}  // namespace

TEST_CASE("weighted: traffic splits in proportion to weight (chi-square over 100k draws)") {
  World world = weights_1_3_6();
  Random random(42);
  std::vector<double> counts(3, 0);
  const std::vector<std::string> order{"light", "middle", "heavy"};
  for (int draw = 0; draw < 100000; ++draw) {
    const auto name = chosen(world.ask("web", client("198.51.100.1"), 1, random));
    for (size_t i = 0; i < 3; ++i)
      if (order[i] == name) ++counts[i];
  }
  CHECK(counts[0] + counts[1] + counts[2] == 100000);
  CHECK(chi_square(counts, {1, 3, 6}) < chi_square_limit_df2);
}

TEST_CASE("weighted: an unavailable endpoint gets no traffic and the rest keep their ratio") {
  World world = weights_1_3_6();
  world.set("web", "middle", Status::Degraded);
  Random random(7);
  std::vector<double> counts(2, 0);
  for (int draw = 0; draw < 100000; ++draw) {
    const auto name = chosen(world.ask("web", client("198.51.100.1"), 1, random));
    REQUIRE(name != "middle");
    ++counts[name == "light" ? 0 : 1];
  }
  CHECK(chi_square(counts, {1, 6}) < 10.83);  // df 1
}

TEST_CASE("weighted: equal weights split evenly") {
  World world({make_profile("web", Method::weighted, {address_endpoint("a", "192.0.2.1"),
                                                      address_endpoint("b", "192.0.2.2"),
                                                      address_endpoint("c", "192.0.2.3")})});
  Random random(3);
  const std::vector<std::string> order{"a", "b", "c"};
  std::vector<Client> clients(30000, client("198.51.100.1"));
  CHECK(chi_square(tally(world, order, clients, random), {1, 1, 1}) < chi_square_limit_df2);
}

TEST_CASE("weighted: without affinity the answer does not depend on the client (ECS scope 0)") {
  World world = weights_1_3_6();
  CHECK(world.ask("web", ecs_client("198.51.100.0", 24)).scope_prefix == 0);
}

TEST_CASE("weighted: all Degraded fails open across every enabled endpoint") {
  World world = weights_1_3_6();
  for (const char* name : {"light", "middle", "heavy"}) world.set("web", name, Status::Degraded);
  Random random(5);
  const std::vector<std::string> order{"light", "middle", "heavy"};
  std::vector<Client> clients(30000, client("198.51.100.1"));
  CHECK(chi_square(tally(world, order, clients, random), {1, 3, 6}) < chi_square_limit_df2);
}

TEST_CASE("affinity: every address of one /24 gets the same endpoint whatever the random source") {
  World world = weights_1_3_6();
  world.mutable_profile("web").affinity = model::Affinity::client_subnet;
  const auto first = chosen(world.ask("web", client("203.0.113.1"), 1, 1));
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const std::string address = "203.0.113." + std::to_string(seed * 5);
    CHECK(chosen(world.ask("web", client(address.c_str()), 1, seed)) == first);
  }
}

TEST_CASE("affinity: every address of one IPv6 /56 gets the same endpoint") {
  auto a = address_endpoint("a", "2001:db8::1");
  auto b = address_endpoint("b", "2001:db8::2");
  World world({make_profile("web", Method::weighted, {a, b})});
  world.mutable_profile("web").affinity = model::Affinity::client_subnet;
  const auto first = chosen(world.ask("web", client("2001:db8:1:100::1"), 28, 1));
  for (const char* address : {"2001:db8:1:1ff::1", "2001:db8:1:180:ffff::", "2001:db8:1:100::abcd"})
    CHECK(chosen(world.ask("web", client(address), 28, 99)) == first);
}

TEST_CASE("affinity: ECS scope is /24 for IPv4 and /56 for IPv6, never past the source prefix") {
  World world({make_profile("web", Method::weighted, {address_endpoint("a", "192.0.2.1"),
                                                      address_endpoint("a6", "2001:db8::1")})});
  world.mutable_profile("web").affinity = model::Affinity::client_subnet;
  CHECK(world.ask("web", client("203.0.113.7")).scope_prefix == 24);
  CHECK(world.ask("web", ecs_client("203.0.113.0", 24)).scope_prefix == 24);
  CHECK(world.ask("web", ecs_client("203.0.112.0", 20)).scope_prefix == 20);
  CHECK(world.ask("web", client("2001:db8:1:100::1"), 28).scope_prefix == 56);
  CHECK(world.ask("web", ecs_client("2001:db8:1::", 48), 28).scope_prefix == 48);
}

TEST_CASE("affinity: across many client subnets traffic still follows the weights") {
  World world = weights_1_3_6();
  world.mutable_profile("web").affinity = model::Affinity::client_subnet;
  std::vector<Client> clients;
  for (int a = 0; a < 100; ++a)
    for (int b = 0; b < 200; ++b) {
      const std::string address = "10." + std::to_string(a) + "." + std::to_string(b) + ".1";
      clients.push_back(client(address.c_str()));
    }
  Random random(1);
  CHECK(chi_square(tally(world, {"light", "middle", "heavy"}, clients, random), {1, 3, 6}) <
        chi_square_limit_df2);
}

TEST_CASE("affinity: when an endpoint goes down only its own clients move") {
  World world = weights_1_3_6();
  world.mutable_profile("web").affinity = model::Affinity::client_subnet;
  std::vector<std::string> before;
  for (int b = 0; b < 256; ++b)
    before.push_back(chosen(world.ask("web", client(("10.1." + std::to_string(b) + ".1").c_str()))));
  world.set("web", "middle", Status::Degraded);
  for (int b = 0; b < 256; ++b) {
    const auto after = chosen(world.ask("web", client(("10.1." + std::to_string(b) + ".1").c_str())));
    if (before[b] != "middle") CHECK(after == before[b]);
    else CHECK(after != "middle");
  }
}
