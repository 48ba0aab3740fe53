// The query path does not allocate: every method answers with trace == nullptr under a counting
// global operator new.
#include <cstdlib>
#include <new>

#include "tests/unit/routing_fixture.h"

namespace {
// Counts every allocation made by this test executable; the test reads the difference.
size_t allocations = 0;
}  // namespace

// None of these is inlined: once inlined, GCC's -Wmismatched-new-delete sees malloc paired with
// operator delete, or a `new` with free(), and warns.
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }

using namespace meridian;
using namespace meridian::routing;
using namespace meridian::routing::testing;

namespace {

model::Endpoint with(model::Endpoint endpoint, std::vector<std::string> codes, std::vector<const char*> subnets,
                     model::Location location, unsigned weight) {
  endpoint.geo_codes = std::move(codes);
  for (const char* subnet : subnets) endpoint.subnets.push_back(cidr(subnet));
  endpoint.location = std::move(location);
  endpoint.weight = weight;
  return endpoint;
}

}  // namespace

TEST_CASE("answering a query without a trace allocates nothing, for every method") {
  using LatencyTable = geo::CidrTable<std::vector<std::pair<std::string, double>>>;
  auto db = geo::GeoDb::open({std::string(MERIDIAN_GEO_TESTDATA) + "/maxmind-test-data/GeoIP2-City-Test.mmdb"});
  std::vector<model::Profile> profiles;
  for (auto method : {Method::priority, Method::weighted, Method::performance, Method::geographic,
                      Method::multivalue, Method::subnet}) {
    std::vector<model::Endpoint> endpoints{
        with(address_endpoint("one", "192.0.2.1"), {"GB"}, {"81.2.0.0/16"}, at(52.37, 4.9, "azure:westeurope"), 3),
        with(address_endpoint("two", "192.0.2.2"), {"WORLD"}, {}, at(37.37, -79.82, "azure:eastus"), 5)};
    if (method != Method::multivalue)
      endpoints.push_back(with(nested_endpoint("child", "leaf"), {"US"}, {"10.0.0.0/8"}, at(1, 1), 2));
    profiles.push_back(make_profile(model::to_string(method), method, std::move(endpoints)));
  }
  profiles.push_back(make_profile("leaf", Method::priority, {address_endpoint("leaf1", "192.0.2.9")}));
  World world(std::move(profiles));
  world.use_geo(db.get());
  LatencyTable latency;
  latency.insert(cidr("81.2.69.0/24"), {{"azure:eastus", 9}});
  latency.freeze();

  Random random(1);
  // Each thread sets up the GeoIP record cache on its first lookup, once: per query, nothing.
  (void)db->lookup(*geo::Address::parse("81.2.69.160"));
  for (const auto& profile : world.config().profiles) {
    for (bool with_latency : {false, true}) {
      world.use_latency(with_latency ? &latency : nullptr);
      for (const char* address : {"81.2.69.160", "216.160.83.56", "10.1.1.1", "2a02:cfc0::1"}) {
        for (uint16_t qtype : {uint16_t(1), uint16_t(28), uint16_t(15)}) {
          Client query_client = client(address);
          const Context context = world.context();
          const size_t before = allocations;
          const Answer result = answer(context, profile, query_client, qtype, random);
          const size_t made = allocations - before;
          CHECK_MESSAGE(made == 0, profile.name << " " << address << " type " << qtype);
          (void)result;
        }
      }
    }
  }
  // The counter works: the same query with a trace does allocate.
  Client query_client = client("81.2.69.160");
  Trace trace;
  const Context context = world.context();
  const size_t before = allocations;
  answer(context, world.profile("performance"), query_client, 1, random, &trace);
  CHECK(allocations > before);
}
