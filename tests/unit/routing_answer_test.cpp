// The shape of an answer: family filtering, CNAMEs, NODATA for other types, TTL, trace.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

constexpr uint16_t a = 1;
constexpr uint16_t aaaa = 28;
constexpr uint16_t mx = 15;

World dual_stack() {
  return World({make_profile("web", Method::priority, {address_endpoint("v6", "2001:db8::1"),
                                                       address_endpoint("v4", "192.0.2.1")})});
}

}  // namespace

TEST_CASE("an A query considers only IPv4 address endpoints") {
  World world = dual_stack();
  const auto answer = world.ask("web", client("198.51.100.1"), a);
  CHECK(answer.kind == Answer::Kind::addresses);
  CHECK(names(answer) == std::vector<std::string>{"v4"});
}

TEST_CASE("an AAAA query considers only IPv6 address endpoints") {
  World world = dual_stack();
  CHECK(names(world.ask("web", client("198.51.100.1"), aaaa)) == std::vector<std::string>{"v6"});
}

TEST_CASE("a query for a family no endpoint has answers NODATA") {
  World world({make_profile("web", Method::priority, {address_endpoint("v4", "192.0.2.1")})});
  CHECK(world.ask("web", client("198.51.100.1"), aaaa).kind == Answer::Kind::nodata);
}

TEST_CASE("fail-open is decided among the endpoints of the queried family") {
  World world = dual_stack();
  world.set("web", "v4", Status::Degraded);
  // v6 serves but cannot answer A; the IPv4 endpoints all look down, so A fails open to v4.
  CHECK(chosen(world.ask("web", client("198.51.100.1"), a)) == "v4");
}

TEST_CASE("an FQDN endpoint answers a CNAME for A, AAAA and any other type") {
  World world({make_profile("web", Method::priority, {fqdn_endpoint("cdn", "cdn.example.net")})});
  for (uint16_t qtype : {a, aaaa, mx}) {
    const auto answer = world.ask("web", client("198.51.100.1"), qtype);
    CHECK(answer.kind == Answer::Kind::cname);
    REQUIRE(answer.count == 1);
    CHECK(answer.endpoints[0]->fqdn == "cdn.example.net");
  }
}

TEST_CASE("an FQDN endpoint with flatten is routed as its CNAME; the trace says the server answers its addresses") {
  World world({make_profile("web", Method::priority, {fqdn_endpoint("cdn", "cdn.example.net")})});
  world.mutable_profile("web").endpoints[0].flatten = true;
  Trace trace;
  CHECK(world.ask("web", client("198.51.100.1"), a, 1, &trace).kind == Answer::Kind::cname);
  CHECK(trace_mentions(trace, "answer: flattened cdn.example.net: its A records as the resolver last resolved them"));
  CHECK(trace_mentions(trace, "NODATA while it has none"));
  CHECK_FALSE(trace_mentions(trace, "CNAME"));
  Trace other;
  world.ask("web", client("198.51.100.1"), mx, 1, &other);
  CHECK(trace_mentions(other, "answer: flattened cdn.example.net: NODATA"));
}

TEST_CASE("a query of another type with only address endpoints answers NODATA") {
  World world = dual_stack();
  CHECK(world.ask("web", client("198.51.100.1"), mx).kind == Answer::Kind::nodata);
}

TEST_CASE("a query of another type gets a CNAME only when routing picks an FQDN endpoint") {
  World world({make_profile("web", Method::priority, {address_endpoint("v4", "192.0.2.1"),
                                                      fqdn_endpoint("cdn", "cdn.example.net")})});
  // The name is an address while v4 serves: no CNAME may appear beside it.
  CHECK(world.ask("web", client("198.51.100.1"), mx).kind == Answer::Kind::nodata);
  world.set("web", "v4", Status::Degraded);
  CHECK(world.ask("web", client("198.51.100.1"), mx).kind == Answer::Kind::cname);
}

TEST_CASE("the TTL is the queried profile's, also when a child profile answers") {
  World world({make_profile("web", Method::priority, {nested_endpoint("eu", "child")}),
               make_profile("child", Method::priority, {address_endpoint("paris", "192.0.2.1")})});
  world.mutable_profile("web").ttl = 30;
  world.mutable_profile("child").ttl = 300;
  CHECK(world.ask("web", client("198.51.100.1")).ttl == 30);
  CHECK(world.ask("child", client("198.51.100.1")).ttl == 300);
}

TEST_CASE("NODATA answers carry the profile TTL too") {
  World world = dual_stack();
  world.mutable_profile("web").ttl = 45;
  CHECK(world.ask("web", client("198.51.100.1"), mx).ttl == 45);
}

TEST_CASE("without a trace nothing is recorded; with one, the steps read as plain English") {
  World world = dual_stack();
  world.set("web", "v4", Status::Degraded);
  Trace trace;
  world.ask("web", client("198.51.100.1"), a, 1, &trace);
  INFO(joined(trace));
  CHECK(trace.steps.front() == "profile web (priority)");
  CHECK(trace_mentions(trace, "endpoint v6 skipped: its IPv6 target cannot answer A"));
  CHECK(trace_mentions(trace, "endpoint v4 skipped: Degraded"));
  CHECK(trace_mentions(trace, "no endpoint available: failing open"));
  CHECK(trace_mentions(trace, "endpoint v4 chosen"));
  CHECK(trace_mentions(trace, "answer: 192.0.2.1"));
}

TEST_CASE("trace steps inside a child profile are indented") {
  World world({make_profile("web", Method::priority, {nested_endpoint("eu", "child")}),
               make_profile("child", Method::priority, {address_endpoint("paris", "192.0.2.1")})});
  Trace trace;
  world.ask("web", client("198.51.100.1"), a, 1, &trace);
  INFO(joined(trace));
  CHECK(trace_mentions(trace, "entered child profile child"));
  CHECK(trace_mentions(trace, "  profile child (priority)"));
}

TEST_CASE("an address answer carries the address from the endpoint's digest") {
  World world = dual_stack();
  const auto answer = world.ask("web", client("198.51.100.1"), a);
  REQUIRE(answer.count == 1);
  const auto& profile = world.profile("web");
  CHECK(answer.addresses[0] == &profile.digests[1].address);
  CHECK(*answer.addresses[0] == answer.endpoints[0]->address);
}

TEST_CASE("a profile without endpoint digests answers NODATA and says why") {
  World world = dual_stack();
  const Context context = world.context();  // indexes every profile
  world.mutable_profile("web").digests.clear();
  Client asking = client("198.51.100.1");
  Random random(1);
  Trace trace;
  const auto answer = routing::answer(context, world.profile("web"), asking, a, random, &trace);
  CHECK(answer.kind == Answer::Kind::nodata);
  CHECK(trace_mentions(trace, "is not indexed"));
}

TEST_CASE("a performance profile without its positions answers NODATA and says why") {
  World world({make_profile("near", Method::performance, {address_endpoint("paris", "192.0.2.1")})});
  world.mutable_profile("near").endpoints[0].location = at(48.85, 2.35);
  const Context context = world.context();  // indexes: digests and positions
  REQUIRE(world.profile("near").positions.size() == 1);
  Client asking = client("198.51.100.1");
  Random random(1);
  CHECK(routing::answer(context, world.profile("near"), asking, a, random).kind == Answer::Kind::addresses);
  world.mutable_profile("near").positions.clear();
  Trace trace;
  const auto answer = routing::answer(context, world.profile("near"), asking, a, random, &trace);
  CHECK(answer.kind == Answer::Kind::nodata);
  CHECK(trace_mentions(trace, "is not indexed"));
}
