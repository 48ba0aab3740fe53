// Geographic routing: most specific code wins; health does not move the answer.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

model::Endpoint mapped(model::Endpoint endpoint, std::vector<std::string> codes) {
  endpoint.geo_codes = std::move(codes);
  return endpoint;
}

// One endpoint per level of the hierarchy, for a client in Virginia.
World levels() {
  return World({make_profile("web", Method::geographic,
                             {mapped(address_endpoint("virginia", "192.0.2.1"), {"US-VA"}),
                              mapped(address_endpoint("usa", "192.0.2.2"), {"US", "CA"}),
                              mapped(address_endpoint("americas", "192.0.2.3"), {"GEO-NA", "GEO-SA"}),
                              mapped(address_endpoint("europe", "192.0.2.4"), {"GEO-EU"}),
                              mapped(address_endpoint("world", "192.0.2.5"), {"WORLD"})})});
}

Client in(const char* country, const char* subdivision, const char* continent, unsigned prefix = 24) {
  return located_client("198.51.100.7", country, subdivision, continent, std::nullopt, prefix);
}

}  // namespace

TEST_CASE("geographic: a subdivision code beats its country") {
  World world = levels();
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"))) == "virginia");
}

TEST_CASE("geographic: a country code beats its Azure grouping") {
  World world = levels();
  CHECK(chosen(world.ask("web", in("US", "TX", "NA"))) == "usa");
  CHECK(chosen(world.ask("web", in("CA", "", "NA"))) == "usa");
}

TEST_CASE("geographic: an Azure grouping beats WORLD") {
  World world = levels();
  CHECK(chosen(world.ask("web", in("MX", "", "NA"))) == "americas");
  CHECK(chosen(world.ask("web", in("FR", "IDF", "EU"))) == "europe");
}

TEST_CASE("geographic: Azure's groupings are its own, not GeoIP continents") {
  World world({make_profile("web", Method::geographic,
                            {mapped(address_endpoint("europe", "192.0.2.1"), {"GEO-EU"}),
                             mapped(address_endpoint("middle-east", "192.0.2.2"), {"GEO-ME"}),
                             mapped(address_endpoint("africa", "192.0.2.3"), {"GEO-AF"}),
                             mapped(address_endpoint("world", "192.0.2.4"), {"WORLD"})})});
  CHECK(chosen(world.ask("web", in("TR", "", "AS"))) == "middle-east");
  CHECK(chosen(world.ask("web", in("IL", "", "AS"))) == "middle-east");
  CHECK(chosen(world.ask("web", in("EG", "", "AF"))) == "africa");
  CHECK(chosen(world.ask("web", in("RU", "", "EU"))) == "europe");
  CHECK(chosen(world.ask("web", in("CY", "", "AS"))) == "europe");
}

TEST_CASE("geographic: WORLD catches every other client, including unknown ones") {
  World world = levels();
  CHECK(chosen(world.ask("web", in("JP", "13", "AS"))) == "world");
  CHECK(chosen(world.ask("web", client("10.0.0.1"))) == "world");
}

TEST_CASE("geographic: a client with only a continent matches that continent's grouping") {
  World world = levels();
  CHECK(chosen(world.ask("web", in("", "", "EU"))) == "europe");
}

TEST_CASE("geographic: no matching code answers NODATA") {
  World world({make_profile("web", Method::geographic,
                            {mapped(address_endpoint("france", "192.0.2.1"), {"FR"})})});
  Trace trace;
  CHECK(world.ask("web", in("ES", "", "EU"), 1, 1, &trace).kind == Answer::Kind::nodata);
  CHECK(trace_mentions(trace, "no endpoint maps the client's location"));
}

TEST_CASE("geographic: a Degraded match is answered anyway") {
  World world = levels();
  world.set("web", "virginia", Status::Degraded);
  Trace trace;
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"), 1, 1, &trace)) == "virginia");
  CHECK(trace_mentions(trace, "although Degraded"));
}

TEST_CASE("geographic: a Disabled match is skipped and the lookup climbs to the broader code") {
  World world = levels();
  world.mutable_profile("web").endpoints[0].enabled = false;  // virginia
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"))) == "usa");
  world.set("web", "usa", Status::Disabled);  // drained
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"))) == "americas");
}

TEST_CASE("geographic: a Stopped match answers NODATA") {
  World world({make_profile("web", Method::geographic,
                            {mapped(nested_endpoint("spain", "es"), {"ES"}),
                             mapped(address_endpoint("world", "192.0.2.9"), {"WORLD"})}),
               make_profile("es", Method::priority, {address_endpoint("madrid", "192.0.2.1")})});
  world.mutable_profile("es").enabled = false;
  CHECK(world.ask("web", in("ES", "MD", "EU")).kind == Answer::Kind::nodata);
}

TEST_CASE("geographic: a nested child per region gives failover inside the region") {
  World world({make_profile("web", Method::geographic,
                            {mapped(nested_endpoint("spain", "es"), {"ES"}),
                             mapped(address_endpoint("world", "192.0.2.9"), {"WORLD"})}),
               make_profile("es", Method::priority, {address_endpoint("madrid", "192.0.2.1"),
                                                     address_endpoint("barcelona", "192.0.2.2")})});
  CHECK(chosen(world.ask("web", in("ES", "MD", "EU"))) == "madrid");
  world.set("es", "madrid", Status::Degraded);
  CHECK(chosen(world.ask("web", in("ES", "MD", "EU"))) == "barcelona");
}

TEST_CASE("geographic: geo_fallback hierarchy climbs past an unavailable match") {
  World world = levels();
  world.mutable_profile("web").geo_fallback = model::GeoFallback::hierarchy;
  world.set("web", "virginia", Status::Degraded);
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"))) == "usa");
  world.set("web", "usa", Status::Degraded);
  world.set("web", "americas", Status::Degraded);
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"))) == "world");
}

TEST_CASE("geographic: geo_fallback hierarchy climbs past a Stopped match") {
  World world({make_profile("web", Method::geographic,
                            {mapped(nested_endpoint("spain", "es"), {"ES"}),
                             mapped(address_endpoint("world", "192.0.2.9"), {"WORLD"})}),
               make_profile("es", Method::priority, {address_endpoint("madrid", "192.0.2.1")})});
  world.mutable_profile("web").geo_fallback = model::GeoFallback::hierarchy;
  world.mutable_profile("es").enabled = false;
  CHECK(chosen(world.ask("web", in("ES", "MD", "EU"))) == "world");
}

TEST_CASE("geographic: with geo_fallback hierarchy and nothing available, the most specific match answers") {
  World world = levels();
  world.mutable_profile("web").geo_fallback = model::GeoFallback::hierarchy;
  for (const char* name : {"virginia", "usa", "americas", "europe", "world"})
    world.set("web", name, Status::Degraded);
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"))) == "virginia");
}

TEST_CASE("geographic: a match of the other address family answers NODATA, without climbing") {
  World world({make_profile("web", Method::geographic,
                            {mapped(address_endpoint("us6", "2001:db8::1"), {"US"}),
                             mapped(address_endpoint("world", "192.0.2.9"), {"WORLD"})})});
  CHECK(world.ask("web", in("US", "VA", "NA"), 1).kind == Answer::Kind::nodata);
  CHECK(chosen(world.ask("web", in("US", "VA", "NA"), 28)) == "us6");
}

TEST_CASE("geographic: ECS scope is the client's GeoIP network, capped at the source prefix") {
  World world = levels();
  CHECK(world.ask("web", in("US", "VA", "NA", 20)).scope_prefix == 20);
  Client ecs = in("US", "VA", "NA", 28);
  ecs.source_prefix = 24;
  CHECK(world.ask("web", ecs).scope_prefix == 24);
}

TEST_CASE("geographic: a pinned location without a network prefix claims only the client's prefix") {
  World world = levels();
  Client ecs = in("US", "VA", "NA", 0);
  ecs.source_prefix = 24;
  CHECK(world.ask("web", ecs).scope_prefix == 24);
}

TEST_CASE("geographic: the trace names each code tried") {
  World world = levels();
  world.mutable_profile("web").endpoints[0].enabled = false;
  Trace trace;
  world.ask("web", in("US", "VA", "NA"), 1, 1, &trace);
  INFO(joined(trace));
  CHECK(trace_mentions(trace, "code US-VA: endpoint virginia is Disabled, trying the broader region"));
  CHECK(trace_mentions(trace, "code US: endpoint usa chosen (Online)"));
}
