// conf::validate_profiles: every rule a profile can break, with its FILE:LINE message, and the
// fields it fills in (priorities, child_index).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "conf/config.h"
#include "conf/model.h"
#include "conf/profile_validation.h"

using namespace meridian;
using model::Method;

namespace {

int next_line = 10;

model::Endpoint address_endpoint(std::string name, const char* target = "192.0.2.1") {
  model::Endpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.address = *geo::Address::parse(target);
  endpoint.line = next_line++;
  return endpoint;
}

model::Endpoint fqdn_endpoint(std::string name, std::string target) {
  model::Endpoint endpoint = address_endpoint(std::move(name));
  endpoint.kind = model::TargetKind::fqdn;
  endpoint.fqdn = target;
  endpoint.fqdn_wire = conf::to_wire_name(target);
  return endpoint;
}

model::Endpoint nested_endpoint(std::string name, std::string child) {
  model::Endpoint endpoint = address_endpoint(std::move(name));
  endpoint.kind = model::TargetKind::nested;
  endpoint.child = std::move(child);
  return endpoint;
}

model::Profile profile(std::string name, Method method, std::vector<model::Endpoint> endpoints,
                       std::string fqdn = "") {
  model::Profile result;
  result.fqdn = fqdn.empty() ? name + ".example.com" : fqdn;
  result.fqdn_wire = conf::to_wire_name(result.fqdn);
  result.name = std::move(name);
  result.method = method;
  result.endpoints = std::move(endpoints);
  result.line = next_line++;
  return result;
}

model::Zone zone(const char* origin) {
  model::Zone result;
  result.origin = origin;
  result.origin_wire = conf::to_wire_name(origin);
  return result;
}

model::Config config(std::vector<model::Profile> profiles) {
  model::Config result;
  result.file = "meridian.yaml";
  result.zones.push_back(zone("example.com"));
  result.profiles = std::move(profiles);
  for (auto& p : result.profiles)
    for (auto& endpoint : p.endpoints) endpoint.id = static_cast<model::EndpointId>(result.endpoint_count++);
  return result;
}

// The message validate_profiles throws, or "" when the config is valid.
std::string error_of(model::Config config) {
  try {
    conf::validate_profiles(config);
  } catch (const conf::ConfigError& error) {
    return error.what();
  }
  return "";
}

model::Endpoint with_codes(model::Endpoint endpoint, std::vector<std::string> codes) {
  endpoint.geo_codes = std::move(codes);
  return endpoint;
}

model::Endpoint with_subnets(model::Endpoint endpoint, std::vector<const char*> subnets) {
  for (const char* subnet : subnets) endpoint.subnets.push_back(*geo::Cidr::parse(subnet));
  return endpoint;
}

}  // namespace

TEST_CASE("a valid config passes and nested endpoints learn their child's index") {
  auto valid = config({profile("web", Method::priority, {nested_endpoint("eu", "web-eu")}),
                       profile("web-eu", Method::priority, {address_endpoint("paris")})});
  conf::validate_profiles(valid);
  CHECK(valid.profiles[0].endpoints[0].child_index == 1);
}

TEST_CASE("endpoints without a priority are numbered in list order") {
  auto c = config({profile("web", Method::priority,
                           {address_endpoint("a"), address_endpoint("b"), address_endpoint("c")})});
  conf::validate_profiles(c);
  CHECK(c.profiles[0].endpoints[0].priority == 1);
  CHECK(c.profiles[0].endpoints[1].priority == 2);
  CHECK(c.profiles[0].endpoints[2].priority == 3);
}

TEST_CASE("endpoints without a priority come after the highest explicit one, in list order") {
  auto a = address_endpoint("a");
  auto b = address_endpoint("b");
  b.priority = 5;
  auto c = address_endpoint("c");
  auto d = address_endpoint("d");
  d.priority = 2;
  auto cfg = config({profile("web", Method::priority, {a, b, c, d})});
  conf::validate_profiles(cfg);
  const auto& endpoints = cfg.profiles[0].endpoints;
  CHECK(endpoints[0].priority == 6);
  CHECK(endpoints[1].priority == 5);
  CHECK(endpoints[2].priority == 7);
  CHECK(endpoints[3].priority == 2);
}

TEST_CASE("two endpoints with the same priority are rejected") {
  auto a = address_endpoint("a");
  a.priority = 1;
  auto b = address_endpoint("b");
  b.priority = 1;
  const int line = b.line;
  CHECK(error_of(config({profile("web", Method::priority, {a, b})})) ==
        "meridian.yaml:" + std::to_string(line) + ": profile web: priority 1 is used by endpoints a and b");
}

TEST_CASE("a priority above 1000 is rejected") {
  auto a = address_endpoint("a");
  a.priority = 1001;
  CHECK(error_of(config({profile("web", Method::priority, {a})})).find("priority 1001 is out of 1..1000") !=
        std::string::npos);
}

TEST_CASE("an endpoint without a priority after one at 1000 is rejected") {
  auto a = address_endpoint("a");
  a.priority = 1000;
  CHECK(error_of(config({profile("web", Method::priority, {a, address_endpoint("b")})}))
            .find("endpoint b has no priority and none is left") != std::string::npos);
}

TEST_CASE("a weight outside 1..1000 is rejected") {
  for (unsigned weight : {0u, 1001u}) {
    auto a = address_endpoint("a");
    a.weight = weight;
    CHECK(error_of(config({profile("web", Method::weighted, {a})}))
              .find("endpoint a: weight " + std::to_string(weight) + " is out of 1..1000") != std::string::npos);
  }
}

TEST_CASE("max_return outside 1..10 is rejected") {
  for (unsigned max_return : {0u, 11u}) {
    auto p = profile("web", Method::multivalue, {address_endpoint("a")});
    p.max_return = max_return;
    const int line = p.line;
    CHECK(error_of(config({p})) == "meridian.yaml:" + std::to_string(line) + ": profile web: max_return " +
                                       std::to_string(max_return) + " is out of 1..10");
  }
}

TEST_CASE("a geo code mapped by two endpoints is rejected") {
  auto paris = with_codes(address_endpoint("paris"), {"FR"});
  auto lyon = with_codes(address_endpoint("lyon"), {"FR"});
  const int line = lyon.line;
  CHECK(error_of(config({profile("web", Method::geographic, {paris, lyon})})) ==
        "meridian.yaml:" + std::to_string(line) + ": profile web: geo code \"FR\" is mapped by endpoints paris and lyon");
}

TEST_CASE("a geo code listed twice by one endpoint is rejected") {
  CHECK(error_of(config({profile("web", Method::geographic, {with_codes(address_endpoint("paris"), {"FR", "FR"})})}))
            .find("endpoint paris lists geo code \"FR\" twice") != std::string::npos);
}

TEST_CASE("an unknown geo code is rejected") {
  CHECK(error_of(config({profile("web", Method::geographic, {with_codes(address_endpoint("x"), {"ATLANTIS"})})}))
            .find("endpoint x: unknown geo code \"ATLANTIS\"") != std::string::npos);
}

TEST_CASE("every kind of geo code is accepted: WORLD, groupings, countries, non-ISO codes, subdivisions") {
  CHECK(error_of(config({profile("web", Method::geographic,
                                 {with_codes(address_endpoint("a"), {"WORLD"}),
                                  with_codes(address_endpoint("b"), {"GEO-EU", "GEO-ME"}),
                                  with_codes(address_endpoint("c"), {"US", "XK"}),
                                  with_codes(address_endpoint("d"), {"US-VA", "CA-QC"})})})) == "");
}

TEST_CASE("a geographic endpoint without a geo code is rejected") {
  CHECK(error_of(config({profile("web", Method::geographic,
                                 {with_codes(address_endpoint("a"), {"WORLD"}), address_endpoint("b")})}))
            .find("endpoint b has no geo codes") != std::string::npos);
}

TEST_CASE("a performance endpoint without a location is rejected") {
  auto a = address_endpoint("a");
  a.location = model::Location{std::nullopt, 52.37, 4.9, "azure:westeurope"};
  CHECK(error_of(config({profile("web", Method::performance, {a, address_endpoint("b")})}))
            .find("endpoint b has no location") != std::string::npos);
}

TEST_CASE("a nested endpoint in a multivalue profile is rejected") {
  CHECK(error_of(config({profile("web", Method::multivalue, {address_endpoint("a"), nested_endpoint("n", "child")}),
                         profile("child", Method::priority, {address_endpoint("c")})}))
            .find("endpoint n is a nested profile; multivalue takes address targets only") != std::string::npos);
}

TEST_CASE("an FQDN endpoint in a multivalue profile is rejected") {
  CHECK(error_of(config({profile("web", Method::multivalue, {fqdn_endpoint("cdn", "cdn.example.net")})}))
            .find("endpoint cdn targets a name; multivalue takes address targets only") != std::string::npos);
}

TEST_CASE("a nested endpoint naming a missing child profile is rejected") {
  auto n = nested_endpoint("eu", "web-eu");
  const int line = n.line;
  CHECK(error_of(config({profile("web", Method::priority, {n})})) ==
        "meridian.yaml:" + std::to_string(line) +
            ": profile web: endpoint eu names child profile \"web-eu\", which does not exist");
}

TEST_CASE("nested profiles that form a cycle are rejected") {
  CHECK(error_of(config({profile("a", Method::priority, {nested_endpoint("to-b", "b")}),
                         profile("b", Method::priority, {nested_endpoint("to-a", "a")})}))
            .find("nested profiles form a cycle: a -> b -> a") != std::string::npos);
}

TEST_CASE("a profile nested in itself is rejected") {
  CHECK(error_of(config({profile("a", Method::priority, {nested_endpoint("self", "a")})}))
            .find("nested profiles form a cycle: a -> a") != std::string::npos);
}

namespace {

// level0 -> level1 -> ... -> level<levels>, which holds an address.
model::Config chain(int levels) {
  std::vector<model::Profile> profiles;
  for (int level = 0; level <= levels; ++level) {
    const std::string name = "level" + std::to_string(level);
    if (level == levels)
      profiles.push_back(profile(name, Method::priority, {address_endpoint("leaf")}));
    else
      profiles.push_back(profile(name, Method::priority, {nested_endpoint("down", "level" + std::to_string(level + 1))}));
  }
  return config(std::move(profiles));
}

}  // namespace

TEST_CASE("ten levels of nesting are allowed") { CHECK(error_of(chain(10)) == ""); }

TEST_CASE("nesting deeper than ten levels is rejected") {
  CHECK(error_of(chain(11)).find("profile level0: nesting is 11 levels deep (level0 -> level1") !=
        std::string::npos);
}

TEST_CASE("a profile fqdn outside every served zone is rejected") {
  CHECK(error_of(config({profile("web", Method::priority, {address_endpoint("a")}, "www.example.org")}))
            .find("profile web: www.example.org is not inside any served zone") != std::string::npos);
}

TEST_CASE("zones contain names label by label, not by text suffix") {
  CHECK(error_of(config({profile("web", Method::priority, {address_endpoint("a")}, "wwwexample.com")}))
            .find("is not inside any served zone") != std::string::npos);
  CHECK(error_of(config({profile("web", Method::priority, {address_endpoint("a")}, "a.b.example.com")})) == "");
}

TEST_CASE("the root zone serves every name") {
  auto c = config({profile("web", Method::priority, {address_endpoint("a")}, "www.example.org")});
  c.zones.push_back(zone("."));
  CHECK(error_of(c) == "");
}

TEST_CASE("two profiles with the same fqdn are rejected") {
  CHECK(error_of(config({profile("one", Method::priority, {address_endpoint("a")}, "www.example.com"),
                         profile("two", Method::priority, {address_endpoint("b")}, "WWW.example.com.")}))
            .find("profile two: fqdn WWW.example.com. is already the name of profile one") != std::string::npos);
}

TEST_CASE("a profile below a DNAME's owner is rejected; one at the owner's side is not") {
  auto c = config({profile("web", Method::priority, {address_endpoint("a")}, "www.moved.example.com")});
  model::Record dname;
  dname.owner = conf::to_wire_name("moved.example.com");
  dname.type = 39;
  c.zones[0].records.push_back(dname);
  CHECK(error_of(c).find("profile web: www.moved.example.com lies below the DNAME at moved.example.com") !=
        std::string::npos);
  c.profiles[0].fqdn_wire = conf::to_wire_name("moved2.example.com");
  c.profiles[0].fqdn = "moved2.example.com";
  CHECK(error_of(c) == "");
}

TEST_CASE("a static A, AAAA or CNAME record at a profile's name is rejected") {
  for (uint16_t type : {uint16_t(1), uint16_t(28), uint16_t(5)}) {
    auto c = config({profile("web", Method::priority, {address_endpoint("a")}, "www.example.com")});
    model::Record record;
    record.owner = conf::to_wire_name("www.example.com");
    record.type = type;
    c.zones[0].records.push_back(record);
    CHECK(error_of(c).find("profile web: www.example.com also has static") != std::string::npos);
  }
}

TEST_CASE("other static records may share a profile's name, as SOA and NS do at an apex") {
  auto c = config({profile("web", Method::priority, {address_endpoint("a")}, "www.example.com")});
  model::Record record;
  record.owner = conf::to_wire_name("www.example.com");
  record.type = 16;  // TXT
  c.zones[0].records.push_back(record);
  CHECK(error_of(c) == "");
}

TEST_CASE("a profile that could answer a CNAME may not share its name with static records") {
  auto c = config({profile("web", Method::priority, {fqdn_endpoint("cdn", "cdn.example.net")}, "www.example.com")});
  model::Record record;
  record.owner = conf::to_wire_name("www.example.com");
  record.type = 16;
  c.zones[0].records.push_back(record);
  CHECK(error_of(c).find("endpoint cdn would answer a CNAME at www.example.com") != std::string::npos);
  c.profiles[0].endpoints[0].flatten = true;
  CHECK(error_of(c) == "");
}

TEST_CASE("a static record below a profile's name is allowed") {
  auto c = config({profile("web", Method::priority, {address_endpoint("a")}, "www.example.com")});
  model::Record record;
  record.owner = conf::to_wire_name("_acme.www.example.com");
  c.zones[0].records.push_back(record);
  CHECK(error_of(c) == "");
}

TEST_CASE("a subnet owned by two endpoints is rejected") {
  CHECK(error_of(config({profile("web", Method::subnet,
                                 {with_subnets(address_endpoint("a"), {"10.0.0.0/8"}),
                                  with_subnets(address_endpoint("b"), {"192.168.0.0/16", "10.0.0.0/8"})})}))
            .find("profile web: subnet 10.0.0.0/8 is owned by endpoints a and b") != std::string::npos);
}

TEST_CASE("a subnet listed twice by one endpoint is rejected") {
  CHECK(error_of(config({profile("web", Method::subnet,
                                 {with_subnets(address_endpoint("a"), {"2001:db8::/32", "2001:db8::/32"})})}))
            .find("endpoint a lists subnet 2001:db8::/32 twice") != std::string::npos);
}

TEST_CASE("overlapping subnets of different lengths are allowed (longest prefix wins)") {
  CHECK(error_of(config({profile("web", Method::subnet,
                                 {with_subnets(address_endpoint("a"), {"10.0.0.0/8"}),
                                  with_subnets(address_endpoint("b"), {"10.1.0.0/16"})})})) == "");
}

TEST_CASE("two subnet endpoints without subnets are rejected") {
  CHECK(error_of(config({profile("web", Method::subnet,
                                 {with_subnets(address_endpoint("a"), {"10.0.0.0/8"}), address_endpoint("b"),
                                  address_endpoint("c")})}))
            .find("endpoints b and c both have no subnets") != std::string::npos);
}

TEST_CASE("validation derives each profile's digests, and positions for performance") {
  model::Endpoint near = address_endpoint("near", "2001:db8::1");
  near.location = model::Location{std::nullopt, 48.85, 2.35, ""};  // no position yet: derived from lat, lon
  near.weight = 7;
  model::Endpoint drained = address_endpoint("drained");
  drained.enabled = false;
  drained.always_serve = true;
  drained.location = model::Location{geo::unit_vector({40.71, -74.0}), 40.71, -74.0, ""};
  model::Endpoint unprobed = address_endpoint("a");
  unprobed.monitor.protocol = model::MonitorProtocol::none;
  model::Config c =
      config({profile("fast", Method::performance, {near, drained}),
              profile("web", Method::priority, {unprobed, fqdn_endpoint("b", "b.example.net")})});
  conf::validate_profiles(c);

  for (const auto& p : c.profiles) {
    REQUIRE(p.digests.size() == p.endpoints.size());
    for (size_t i = 0; i < p.endpoints.size(); ++i) {
      const auto& endpoint = p.endpoints[i];
      const auto& digest = p.digests[i];
      CHECK(digest.id == endpoint.id);
      CHECK(digest.priority == endpoint.priority);  // assigned by validation: 1, 2
      CHECK(digest.weight == endpoint.weight);
      CHECK(digest.kind == endpoint.kind);
      CHECK(digest.enabled == endpoint.enabled);
      CHECK(digest.address == endpoint.address);
      CHECK(digest.has_location == endpoint.location.has_value());
    }
  }
  const auto& fast = c.profiles[0];
  CHECK(fast.digests[0].weight == 7);
  CHECK(fast.digests[0].address.family == geo::Family::v6);
  CHECK_FALSE(fast.digests[1].enabled);
  CHECK(fast.digests[1].unmonitored);        // always_serve
  CHECK_FALSE(fast.digests[0].unmonitored);  // monitored over HTTP, the default
  REQUIRE(fast.positions.size() == 2);
  const geo::Vector3 paris = geo::unit_vector({48.85, 2.35});
  CHECK(fast.positions[0].x == doctest::Approx(paris.x));
  CHECK(fast.positions[0].y == doctest::Approx(paris.y));
  CHECK(fast.positions[0].z == doctest::Approx(paris.z));
  CHECK(geo::chord_squared(fast.positions[1], *fast.endpoints[1].location->position) == 0);
  CHECK(c.profiles[1].positions.empty());  // only performance reads positions
  CHECK(c.profiles[1].digests[1].kind == model::TargetKind::fqdn);
  CHECK(c.profiles[1].digests[0].priority == 1);
  CHECK(c.profiles[1].digests[1].priority == 2);
  CHECK(c.profiles[1].digests[0].unmonitored);  // monitor protocol none
  CHECK_FALSE(c.profiles[1].digests[1].unmonitored);
}
