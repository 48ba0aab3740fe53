// Performance routing: closest available endpoint by latency table or great-circle distance.
#include "tests/unit/routing_fixture.h"

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

using LatencyTable = geo::CidrTable<std::vector<std::pair<std::string, double>>>;

const geo::Coordinates london{51.51, -0.09};
const geo::Coordinates new_york{40.71, -74.0};

model::Endpoint located(model::Endpoint endpoint, model::Location location) {
  endpoint.location = std::move(location);
  return endpoint;
}

// Amsterdam, Virginia and Singapore, as cloud regions.
World three_regions() {
  return World({make_profile(
      "web", Method::performance,
      {located(address_endpoint("eastus", "192.0.2.1"), at(37.37, -79.82, "azure:eastus")),
       located(address_endpoint("westeurope", "192.0.2.2"), at(52.37, 4.90, "azure:westeurope")),
       located(address_endpoint("southeastasia", "192.0.2.3"), at(1.28, 103.83, "azure:southeastasia"))})});
}

Client londoner() { return located_client("81.2.69.160", "GB", "ENG", "EU", london, 27); }
Client new_yorker() { return located_client("198.51.100.7", "US", "NY", "NA", new_york, 24); }

}  // namespace

TEST_CASE("performance: the endpoint closest to the client wins") {
  World world = three_regions();
  CHECK(chosen(world.ask("web", londoner())) == "westeurope");
  CHECK(chosen(world.ask("web", new_yorker())) == "eastus");
}

TEST_CASE("performance: an unavailable closest endpoint gives way to the next closest") {
  World world = three_regions();
  world.set("web", "westeurope", Status::Degraded);
  CHECK(chosen(world.ask("web", londoner())) == "eastus");
}

TEST_CASE("performance: equally close endpoints share traffic evenly") {
  World world({make_profile(
      "web", Method::performance,
      {located(address_endpoint("ams1", "192.0.2.1"), at(52.37, 4.90, "azure:westeurope")),
       located(address_endpoint("ams2", "192.0.2.2"), at(52.37, 4.90, "azure:westeurope")),
       located(address_endpoint("far", "192.0.2.3"), at(1.28, 103.83))})});
  Random random(11);
  std::vector<double> counts(2, 0);
  for (int draw = 0; draw < 20000; ++draw) {
    const auto name = chosen(world.ask("web", londoner(), 1, random));
    REQUIRE(name != "far");
    ++counts[name == "ams1" ? 0 : 1];
  }
  CHECK(chi_square(counts, {1, 1}) < 10.83);
}

TEST_CASE("performance: a client that cannot be placed finds every endpoint equally close") {
  World world = three_regions();
  Random random(12);
  std::vector<double> counts(3, 0);
  const std::vector<std::string> order{"eastus", "westeurope", "southeastasia"};
  for (int draw = 0; draw < 30000; ++draw) {
    const auto name = chosen(world.ask("web", client("10.0.0.1"), 1, random));
    for (size_t i = 0; i < 3; ++i)
      if (order[i] == name) ++counts[i];
  }
  CHECK(chi_square(counts, {1, 1, 1}) < 13.82);
}

TEST_CASE("performance: a located client without coordinates cannot be placed either") {
  World world = three_regions();
  Trace trace;
  world.ask("web", located_client("2.3.3.1", "", "", "EU", std::nullopt, 24), 1, 1, &trace);
  CHECK(trace_mentions(trace, "cannot be placed"));
}

TEST_CASE("performance: ECS scope is the client's GeoIP network, capped at the source prefix") {
  World world = three_regions();
  CHECK(world.ask("web", londoner()).scope_prefix == 27);  // source /32
  Client ecs = londoner();
  ecs.source_prefix = 24;
  CHECK(world.ask("web", ecs).scope_prefix == 24);
}

TEST_CASE("performance: without GeoIP data the answer does not depend on the client (scope 0)") {
  World world = three_regions();
  CHECK(world.ask("web", ecs_client("198.51.100.0", 24)).scope_prefix == 0);
}

TEST_CASE("performance: a latency table covering the client overrides distance") {
  World world = three_regions();
  LatencyTable table;
  table.insert(cidr("81.2.69.0/24"), {{"azure:eastus", 12}, {"azure:westeurope", 80}});
  table.freeze();
  world.use_latency(&table);
  Trace trace;
  CHECK(chosen(world.ask("web", londoner(), 1, 1, &trace)) == "eastus");
  CHECK(trace_mentions(trace, "round-trip time"));
}

TEST_CASE("performance: the latency table's closest unavailable endpoint gives way to the next") {
  World world = three_regions();
  LatencyTable table;
  table.insert(cidr("81.2.69.0/24"), {{"azure:eastus", 12}, {"azure:westeurope", 80}});
  table.freeze();
  world.use_latency(&table);
  world.set("web", "eastus", Status::Degraded);
  CHECK(chosen(world.ask("web", londoner())) == "westeurope");
}

TEST_CASE("performance: endpoints the latency table does not measure count as farther") {
  World world = three_regions();
  LatencyTable table;
  table.insert(cidr("81.2.69.0/24"), {{"azure:southeastasia", 300}});
  table.freeze();
  world.use_latency(&table);
  CHECK(chosen(world.ask("web", londoner())) == "southeastasia");
}

TEST_CASE("performance: the latency table names a coordinates-only endpoint by its name") {
  World world({make_profile("web", Method::performance,
                            {located(address_endpoint("lab", "192.0.2.1"), at(1.0, 1.0)),
                             located(address_endpoint("near", "192.0.2.2"), at(51.0, 0.0))})});
  LatencyTable table;
  table.insert(cidr("81.2.69.0/24"), {{"lab", 5}, {"near", 40}});
  table.freeze();
  world.use_latency(&table);
  CHECK(chosen(world.ask("web", londoner())) == "lab");
}

TEST_CASE("performance: a latency table that does not cover the client falls back to distance") {
  World world = three_regions();
  LatencyTable table;
  table.insert(cidr("203.0.113.0/24"), {{"azure:eastus", 1}});
  table.freeze();
  world.use_latency(&table);
  Trace trace;
  CHECK(chosen(world.ask("web", londoner(), 1, 1, &trace)) == "westeurope");
  CHECK(trace_mentions(trace, "does not cover the client"));
}

TEST_CASE("performance: a latency row measuring only unavailable endpoints falls back to distance") {
  World world = three_regions();
  LatencyTable table;
  table.insert(cidr("81.2.69.0/24"), {{"azure:eastus", 1}});
  table.freeze();
  world.use_latency(&table);
  world.set("web", "eastus", Status::Degraded);
  CHECK(chosen(world.ask("web", londoner())) == "westeurope");
}

TEST_CASE("performance: with a latency table the ECS scope is the client's own prefix") {
  World world = three_regions();
  LatencyTable table;
  table.insert(cidr("81.2.0.0/16"), {{"azure:eastus", 12}});
  table.insert(cidr("81.2.69.0/24"), {{"azure:westeurope", 12}});
  table.freeze();
  world.use_latency(&table);
  // 81.2.0.0/16 answers eastus, but the /24 inside it answers otherwise: /16 would be wrong.
  Client ecs = located_client("81.2.70.0", "GB", "ENG", "EU", london, 16);
  ecs.source_prefix = 24;
  const auto answer = world.ask("web", ecs);
  CHECK(chosen(answer) == "eastus");
  CHECK(answer.scope_prefix == 24);
}

TEST_CASE("performance: the trace gives each endpoint's distance and the choice") {
  World world = three_regions();
  Trace trace;
  world.ask("web", londoner(), 1, 1, &trace);
  INFO(joined(trace));
  CHECK(trace_mentions(trace, "client 81.2.69.160 located in GB-ENG (EU) at 51.51,-0.09"));
  CHECK(trace_mentions(trace, "endpoint westeurope: 355 km"));
  CHECK(trace_mentions(trace, "endpoint westeurope chosen: closest at 355 km"));
}
