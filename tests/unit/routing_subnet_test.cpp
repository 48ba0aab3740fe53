// Subnet routing: the range holding the client (longest prefix), a catch-all, exact ECS scopes.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

model::Endpoint ranges(model::Endpoint endpoint, std::vector<const char*> subnets) {
  for (const char* subnet : subnets) endpoint.subnets.push_back(cidr(subnet));
  return endpoint;
}

// office: 10.1.0.0/16; lab: 10.1.2.0/24 inside it; v6: 2001:db8:100::/40; default: the rest.
World offices(bool with_catch_all = true) {
  std::vector<model::Endpoint> endpoints{
      ranges(address_endpoint("office", "192.0.2.1"), {"10.1.0.0/16"}),
      ranges(address_endpoint("lab", "192.0.2.2"), {"10.1.2.0/24"}),
      ranges(address_endpoint("v6", "192.0.2.3"), {"2001:db8:100::/40"})};
  if (with_catch_all) endpoints.push_back(address_endpoint("default", "192.0.2.4"));
  return World({make_profile("web", Method::subnet, endpoints)});
}

}  // namespace

TEST_CASE("subnet: the endpoint whose range holds the client wins") {
  World world = offices();
  CHECK(chosen(world.ask("web", client("10.1.7.9"))) == "office");
  CHECK(chosen(world.ask("web", client("2001:db8:1ff::1"))) == "v6");
}

TEST_CASE("subnet: the longest prefix wins where ranges overlap") {
  World world = offices();
  CHECK(chosen(world.ask("web", client("10.1.2.3"))) == "lab");
}

TEST_CASE("subnet: a client no range holds goes to the endpoint without ranges") {
  World world = offices();
  CHECK(chosen(world.ask("web", client("172.16.0.1"))) == "default");
}

TEST_CASE("subnet: without a catch-all endpoint an unmatched client gets NODATA") {
  World world = offices(false);
  CHECK(world.ask("web", client("172.16.0.1")).kind == Answer::Kind::nodata);
}

TEST_CASE("subnet: an unavailable match answers NODATA, not a broader range") {
  World world = offices();
  world.set("web", "lab", Status::Degraded);
  Trace trace;
  CHECK(world.ask("web", client("10.1.2.3"), 1, 1, &trace).kind == Answer::Kind::nodata);
  CHECK(trace_mentions(trace, "endpoint lab is Degraded: NODATA"));
}

TEST_CASE("subnet: an unavailable catch-all answers NODATA") {
  World world = offices();
  world.set("web", "default", Status::Degraded);
  CHECK(world.ask("web", client("172.16.0.1")).kind == Answer::Kind::nodata);
}

TEST_CASE("subnet: a disabled endpoint's ranges are skipped and a broader range takes the client") {
  World world = offices();
  world.mutable_profile("web").endpoints[1].enabled = false;  // lab
  CHECK(chosen(world.ask("web", client("10.1.2.3"))) == "office");
}

TEST_CASE("subnet: with every endpoint Degraded the match is served (fail open)") {
  World world = offices();
  for (const char* name : {"office", "lab", "v6", "default"}) world.set("web", name, Status::Degraded);
  CHECK(chosen(world.ask("web", client("10.1.2.3"))) == "lab");
}

TEST_CASE("subnet: the match's address family must fit the query") {
  World world = offices();
  CHECK(world.ask("web", client("10.1.2.3"), 28).kind == Answer::Kind::nodata);
}

TEST_CASE("subnet: ECS scope is the matched prefix when nothing longer lies inside it") {
  World world = offices();
  CHECK(world.ask("web", client("10.1.2.3")).scope_prefix == 24);
  CHECK(world.ask("web", client("2001:db8:1ff::1")).scope_prefix == 40);
}

TEST_CASE("subnet: ECS scope keeps a longer range inside the match out of the client's block") {
  World world = offices();
  // 10.1.3.9 matches the /16, but 10.1.2.0/24 (answering lab) shares its first 23 bits:
  // only a /24 block around the client is sure to answer office.
  CHECK(world.ask("web", client("10.1.3.9")).scope_prefix == 24);
  // 10.1.200.1 first differs from 10.1.2.0 at bit 16: a /17 block is already safe.
  CHECK(world.ask("web", client("10.1.200.1")).scope_prefix == 17);
}

TEST_CASE("subnet: ECS scope for an unmatched client keeps every range out of its block") {
  World world = offices();
  // 10.0.0.1 first differs from 10.1.0.0/16 at bit 15: /16 keeps it out.
  CHECK(world.ask("web", client("10.0.0.1")).scope_prefix == 16);
  // 128.0.0.1 differs from 10.x at bit 0.
  CHECK(world.ask("web", client("128.0.0.1")).scope_prefix == 1);
}

TEST_CASE("subnet: ECS scope is 0 when no range of the client's family exists") {
  World world({make_profile("web", Method::subnet,
                            {ranges(address_endpoint("v6", "192.0.2.3"), {"2001:db8:100::/40"}),
                             address_endpoint("default", "192.0.2.4")})});
  CHECK(world.ask("web", ecs_client("198.51.100.0", 24)).scope_prefix == 0);
}

TEST_CASE("subnet: ECS scope never exceeds the source prefix") {
  World world = offices();
  CHECK(world.ask("web", ecs_client("10.1.2.0", 20)).scope_prefix == 20);
}

TEST_CASE("subnet: every address inside the returned scope gets the same answer") {
  World world = offices();
  for (const char* address : {"10.1.3.9", "10.1.200.1", "10.0.0.1", "10.1.2.77", "11.0.0.1"}) {
    const auto answer = world.ask("web", client(address));
    const auto block = geo::Cidr{ip(address).masked(answer.scope_prefix), answer.scope_prefix};
    // Walk a sample of the block: its first and last addresses and a few in between.
    for (uint32_t step = 0; step < 16; ++step) {
      auto probe = block.network;
      const unsigned host_bits = 32 - block.prefix;
      const uint64_t span = host_bits >= 32 ? (1ULL << 32) : (1ULL << host_bits);
      uint32_t offset = static_cast<uint32_t>((span - 1) * step / 15);
      uint32_t value = (uint32_t(probe.bytes[0]) << 24 | uint32_t(probe.bytes[1]) << 16 |
                        uint32_t(probe.bytes[2]) << 8 | probe.bytes[3]) + offset;
      for (int i = 0; i < 4; ++i) probe.bytes[i] = static_cast<uint8_t>(value >> (24 - 8 * i));
      Client other = client(address);
      other.address = probe;
      CHECK_MESSAGE(chosen(world.ask("web", other)) == chosen(answer), address << " vs " << probe.to_string());
    }
  }
}
