// Traffic profiles over the wire: ECS clients from the GeoIP test database get the endpoint
// their location calls for, and the ECS scope in the reply says how far the answer holds.
#include <doctest/doctest.h>

#include "harness.h"

using namespace meridian::test;

namespace {

// GeoIP2-City-Test.mmdb places 81.2.69.160/27 in London, 89.160.20.128/25 in Linköping (SE),
// 216.160.83.56/29 in Milton WA (US), 214.0.0.0/24 in Singapore, 2001:218::/32 in Japan,
// 2a02:d180::/29 in Germany; 1.1.1.1 is not in it.
constexpr const char* config = R"(
server:
  workers: 1
geo:
  databases: ["{GEO}/maxmind-test-data/GeoIP2-City-Test.mmdb"]
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: nearest
    fqdn: nearest.example.test
    method: performance
    ttl: 20
    monitor: {protocol: none}
    endpoints:
      - {name: london, target: 192.0.2.1, location: {lat: 51.5, lon: -0.1}}
      - {name: seattle, target: 192.0.2.2, location: "azure:westus2"}
      - {name: singapore, target: 192.0.2.3, location: "azure:southeastasia"}
      - {name: london6, target: "2001:db8::1", location: {lat: 51.5, lon: -0.1}}
      - {name: tokyo6, target: "2001:db8::2", location: "azure:japaneast"}
  - name: geo
    fqdn: geo.example.test
    method: geographic
    monitor: {protocol: none}
    endpoints:
      - {name: england, target: 192.0.2.11, geo: [GB-ENG]}
      - {name: sweden, target: 192.0.2.12, geo: [SE], enabled: false}
      - {name: europe, target: 192.0.2.13, geo: [GEO-EU]}
      - {name: us, target: 192.0.2.14, geo: [US]}
      - {name: japan, target: "2001:db8::14", geo: [JP]}
  - name: failover
    fqdn: failover.example.test
    method: priority
    monitor: {protocol: none}
    endpoints:
      - {name: primary, target: 192.0.2.21, priority: 1, enabled: false}
      - {name: secondary, target: 192.0.2.22, priority: 2}
      - {name: tertiary, target: 192.0.2.23, priority: 3}
  - name: parent
    fqdn: parent.example.test
    method: priority
    endpoints:
      - {name: thin, profile: child-thin, priority: 1, min_child_endpoints: 2}
      - {name: full, profile: child-full, priority: 2}
  - name: child-thin
    fqdn: thin.example.test
    method: weighted
    monitor: {protocol: none}
    endpoints:
      - {name: a, target: 192.0.2.31}
      - {name: b, target: 192.0.2.32, enabled: false}
  - name: child-full
    fqdn: full.example.test
    method: weighted
    monitor: {protocol: none}
    endpoints:
      - {name: c, target: 192.0.2.41}
      - {name: d, target: 192.0.2.41}
  - name: cname
    fqdn: alias.example.test
    method: priority
    monitor: {protocol: none}
    endpoints:
      - {name: app, target: app.cdn.example.net}
)";

Server& server() {
  static Server instance(config);
  return instance;
}

std::vector<std::string> a_records(const std::string& name, const std::string& subnet, ldns_rr_type type = LDNS_RR_TYPE_A) {
  auto reply = query_udp(server().port(), name, type, {.ecs = subnet});
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(reply.get()));
  return rdatas(reply.get(), LDNS_SECTION_ANSWER, type);
}

std::vector<std::string> one(const char* value) { return {value}; }

}  // namespace

TEST_CASE("performance: each client gets the nearest endpoint of the queried family") {
  CHECK(a_records("nearest.example.test.", "81.2.69.160/27") == one("192.0.2.1"));
  CHECK(a_records("nearest.example.test.", "216.160.83.56/29") == one("192.0.2.2"));
  CHECK(a_records("nearest.example.test.", "214.0.0.0/24") == one("192.0.2.3"));
  CHECK(a_records("nearest.example.test.", "2001:218::/32", LDNS_RR_TYPE_AAAA) == one("2001:db8::2"));
  CHECK(a_records("nearest.example.test.", "2a02:d180::/29", LDNS_RR_TYPE_AAAA) == one("2001:db8::1"));
}

TEST_CASE("performance: the reply's ECS scope is the client's GeoIP network") {
  // The database places 81.2.69.160/27 in London: a longer source prefix inside it gets /27.
  for (const char* subnet : {"81.2.69.160/28", "81.2.69.160/32"}) {
    auto reply = query_udp(server().port(), "nearest.example.test.", LDNS_RR_TYPE_A, {.ecs = subnet});
    auto ecs = ecs_of(reply.get());
    REQUIRE(ecs.has_value());
    CHECK(ecs->scope == 27);
  }
}

TEST_CASE("performance: a client the database cannot place gets its own prefix as scope") {
  // 81.2.69.0/24 is outside every London network of the test database.
  auto reply = query_udp(server().port(), "nearest.example.test.", LDNS_RR_TYPE_A, {.ecs = "81.2.69.0/24"});
  auto ecs = ecs_of(reply.get());
  REQUIRE(ecs.has_value());
  CHECK(ecs->source == 24);
  CHECK(ecs->scope == 24);
}

TEST_CASE("geographic: the most specific code wins") {
  CHECK(a_records("geo.example.test.", "81.2.69.160/27") == one("192.0.2.11"));   // GB-ENG
  CHECK(a_records("geo.example.test.", "216.160.83.56/29") == one("192.0.2.14"));  // US
}

TEST_CASE("geographic: a disabled endpoint's code is skipped and the lookup climbs to the region") {
  CHECK(a_records("geo.example.test.", "89.160.20.128/25") == one("192.0.2.13"));  // SE disabled -> GEO-EU
}

TEST_CASE("geographic: no matching code is NODATA, and the scope still tells the resolver how far") {
  auto reply = query_udp(server().port(), "geo.example.test.", LDNS_RR_TYPE_A, {.ecs = "214.0.0.0/24"});  // SG
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
  CHECK(ldns_pkt_nscount(reply.get()) == 1);
  auto ecs = ecs_of(reply.get());
  REQUIRE(ecs.has_value());
  CHECK(ecs->scope == 24);
}

TEST_CASE("geographic: a match of the other family is NODATA for this family") {
  auto reply = query_udp(server().port(), "geo.example.test.", LDNS_RR_TYPE_A, {.ecs = "2001:218::/32"});  // JP
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
  CHECK(a_records("geo.example.test.", "2001:218::/32", LDNS_RR_TYPE_AAAA) == one("2001:db8::14"));
}

TEST_CASE("priority: a disabled preferred endpoint falls to the next, scope 0") {
  auto reply = query_udp(server().port(), "failover.example.test.", LDNS_RR_TYPE_A, {.ecs = "81.2.69.0/24"});
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == one("192.0.2.22"));
  auto ecs = ecs_of(reply.get());
  REQUIRE(ecs.has_value());
  CHECK(ecs->scope == 0);
}

TEST_CASE("nested: a child below its minimum of endpoints is skipped") {
  CHECK(a_records("parent.example.test.", "81.2.69.0/24") == one("192.0.2.41"));
}

TEST_CASE("the source address routes when the query has no ECS") {
  // 127.0.0.1 is in no database: every endpoint is equally close, and the answer is one of them.
  auto reply = query_udp(server().port(), "nearest.example.test.", LDNS_RR_TYPE_A);
  const auto answer = rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A);
  REQUIRE(answer.size() == 1);
  CHECK((answer[0] == "192.0.2.1" || answer[0] == "192.0.2.2" || answer[0] == "192.0.2.3"));
  CHECK_FALSE(ecs_of(reply.get()).has_value());
}

TEST_CASE("an FQDN endpoint answers with a CNAME at the profile's TTL") {
  auto reply = query_udp(server().port(), "alias.example.test.", LDNS_RR_TYPE_A);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) == one("alias.example.test. 60 IN CNAME app.cdn.example.net."));
}

TEST_CASE("a static CNAME into a profile name is followed into the profile") {
  auto reply = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.ecs = "214.0.0.0/24"});
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"www.example.test. 300 IN CNAME nearest.example.test.",
                                 "nearest.example.test. 20 IN A 192.0.2.3"});
}

TEST_CASE("a profile name answers NODATA for types it has no records of") {
  auto reply = query_udp(server().port(), "nearest.example.test.", LDNS_RR_TYPE_MX);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
  CHECK(ldns_pkt_nscount(reply.get()) == 1);
}
