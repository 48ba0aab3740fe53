// Routing with a real GeoIP database (MaxMind's test data): lazy lookups, codes and scopes.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

const std::string city_test_db = std::string(MERIDIAN_GEO_TESTDATA) + "/maxmind-test-data/GeoIP2-City-Test.mmdb";

model::Endpoint mapped(model::Endpoint endpoint, std::vector<std::string> codes) {
  endpoint.geo_codes = std::move(codes);
  return endpoint;
}

model::Endpoint located(model::Endpoint endpoint, model::Location location) {
  endpoint.location = std::move(location);
  return endpoint;
}

World geographic_world() {
  return World({make_profile("geo", Method::geographic,
                             {mapped(address_endpoint("washington", "192.0.2.1"), {"US-WA"}),
                              mapped(address_endpoint("sweden", "192.0.2.2"), {"SE"}),
                              mapped(address_endpoint("europe", "192.0.2.3"), {"GEO-EU"}),
                              mapped(address_endpoint("world", "192.0.2.4"), {"WORLD"})})});
}

World performance_world() {
  return World({make_profile(
      "perf", Method::performance,
      {located(address_endpoint("eastus", "192.0.2.1"), at(37.37, -79.82, "azure:eastus")),
       located(address_endpoint("westeurope", "192.0.2.2"), at(52.37, 4.90, "azure:westeurope")),
       located(address_endpoint("westus2", "192.0.2.3"), at(47.23, -119.85, "azure:westus2"))})});
}

}  // namespace

TEST_CASE("routing looks the client up in the GeoIP data only when a method needs its location") {
  auto db = geo::GeoDb::open({city_test_db});
  World world({make_profile("web", Method::priority, {address_endpoint("a", "192.0.2.1")})});
  world.use_geo(db.get());
  Client priority_client = client("81.2.69.160");
  Random random(1);
  answer(world.context(), world.profile("web"), priority_client, 1, random);
  CHECK_FALSE(priority_client.located);

  World geographic = geographic_world();
  geographic.use_geo(db.get());
  Client geographic_client = client("81.2.69.160");
  answer(geographic.context(), geographic.profile("geo"), geographic_client, 1, random);
  CHECK(geographic_client.located);
  CHECK(geographic_client.info.country_code() == "GB");
}

TEST_CASE("a location the caller pinned is not looked up again") {
  auto db = geo::GeoDb::open({city_test_db});
  World world = geographic_world();
  world.use_geo(db.get());
  // 81.2.69.160 is London in the database; the pinned location says Sweden.
  CHECK(chosen(world.ask("geo", located_client("81.2.69.160", "SE", "", "EU", std::nullopt, 27))) == "sweden");
}

TEST_CASE("geographic with GeoIP data: subdivision, country, grouping and WORLD") {
  auto db = geo::GeoDb::open({city_test_db});
  World world = geographic_world();
  world.use_geo(db.get());
  CHECK(chosen(world.ask("geo", client("216.160.83.56"))) == "washington");  // US-WA, Milton
  CHECK(chosen(world.ask("geo", client("89.160.20.112"))) == "sweden");      // SE
  CHECK(chosen(world.ask("geo", client("81.2.69.160"))) == "europe");        // GB -> GEO-EU
  CHECK(chosen(world.ask("geo", client("2.3.3.1"))) == "europe");            // continent EU only
  CHECK(chosen(world.ask("geo", client("1.1.1.1"))) == "world");             // not in the data
  CHECK(chosen(world.ask("geo", client("2a02:cfc0::1"), 1)) == "europe");    // FR, IPv6 client
}

TEST_CASE("geographic with GeoIP data: ECS scope is the database network's prefix") {
  auto db = geo::GeoDb::open({city_test_db});
  World world = geographic_world();
  world.use_geo(db.get());
  CHECK(world.ask("geo", client("81.2.69.160")).scope_prefix == 27);        // 81.2.69.160/27
  CHECK(world.ask("geo", ecs_client("81.2.69.160", 24)).scope_prefix == 24);
  CHECK(world.ask("geo", client("216.160.83.56")).scope_prefix == 29);
}

TEST_CASE("geographic with GeoIP data: a client not in the data claims only its own prefix") {
  // The database does not say how far the gap around 1.1.1.0 reaches, so only the client's own
  // block is sure to share its (lack of) location.
  auto db = geo::GeoDb::open({city_test_db});
  World world = geographic_world();
  world.use_geo(db.get());
  CHECK(world.ask("geo", ecs_client("1.1.1.0", 24)).scope_prefix == 24);
}

TEST_CASE("performance with GeoIP data: the database's coordinates place the client") {
  auto db = geo::GeoDb::open({city_test_db});
  World world = performance_world();
  world.use_geo(db.get());
  CHECK(chosen(world.ask("perf", client("81.2.69.160"))) == "westeurope");  // London
  CHECK(chosen(world.ask("perf", client("216.160.83.56"))) == "westus2");   // Milton, WA
  CHECK(chosen(world.ask("perf", client("149.101.100.1"))) == "eastus");    // Kansas
}
