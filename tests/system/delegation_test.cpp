// Delegations when we serve more than one side of them: which glue a referral carries, when it
// must be truncated (RFC 9471), and where DS comes from (RFC 4035 3.1.4.1).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {

// glue.test delegates kid and fat (which we do not serve) and served (which we serve too);
// other.test, which we serve, holds a name server of kid's, with an address of its own.
std::string glue_zone() {
  std::string zone = R"($ORIGIN glue.test.
$TTL 3600
@       IN SOA ns hostmaster 1 7200 3600 1209600 300
        IN NS  ns
ns      IN A   192.0.2.1
; kid: one in-domain name server, six siblings elsewhere in glue.test, one in other.test
kid     IN NS  ns.kid
        IN NS  ns.other.test.
ns.kid  IN A   192.0.2.53
served  IN NS  ns.served
        IN DS  54321 13 2 3ab5c3c5e6c1b5c7d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5
ns.served IN A 192.0.2.56
; fat: twelve in-domain name servers, more glue than 512 bytes hold
into-fat IN CNAME www.fat
)";
  for (int i = 1; i <= 6; ++i) zone += "kid IN NS s" + std::to_string(i) + "\n";
  for (int i = 1; i <= 6; ++i)
    for (int a = 1; a <= 4; ++a) {
      zone += "s" + std::to_string(i) + " IN A 198.51.100." + std::to_string(i * 10 + a) + "\n";
      zone += "s" + std::to_string(i) + " IN AAAA 2001:db8::" + std::to_string(i * 10 + a) + "\n";
    }
  // wide: eight name servers with long names elsewhere, 600 bytes of NS records
  zone += "into-wide IN CNAME www.wide\n";
  for (int i = 1; i <= 8; ++i)
    zone += "wide IN NS " + std::string(60, 'n') + std::to_string(i) + ".example.net.\n";
  for (char c = 'a'; c <= 'l'; ++c) {
    zone += std::string("fat IN NS ") + c + ".fat\n";
    zone += std::string(1, c) + ".fat IN A 192.0.2." + std::to_string(100 + c - 'a') + "\n";
    zone += std::string(1, c) + ".fat IN AAAA 2001:db8::" + std::to_string(100 + c - 'a') + "\n";
  }
  return zone;
}

Server& server() {
  static TempDir dir;
  static Server instance(zones_config(dir, {{"glue.test", glue_zone()},
                                            {"served.glue.test", R"($ORIGIN served.glue.test.
$TTL 120
@       IN SOA ns hostmaster 1 7200 3600 1209600 120
        IN NS  ns
ns      IN A   192.0.2.54
www     IN A   192.0.2.55
)"},
                                            {"orphan.glue.test", R"($ORIGIN orphan.glue.test.
$TTL 120
@       IN SOA ns hostmaster 1 7200 3600 1209600 120
        IN NS  ns
ns      IN A   192.0.2.57
)"},
                                            {"other.test", other_test_zone}}));
  return instance;
}

bool has_soa_of(const ldns_pkt* reply, const std::string& zone) {
  const auto authority = section(reply, LDNS_SECTION_AUTHORITY);
  return authority.size() == 1 && authority[0].rfind(zone + " ", 0) == 0 &&
         authority[0].find(" IN SOA ") != std::string::npos;
}

}  // namespace

TEST_CASE("a referral carries its own zone's glue, not addresses from another zone we serve") {
  // ns.other.test's address, in another zone of ours, is no glue for glue.test.
  auto reply = query_tcp(server().port(), "www.kid.glue.test.", LDNS_RR_TYPE_A);  // room for all
  REQUIRE(rcode_name(reply.get()) == "NOERROR");
  CHECK_FALSE(ldns_pkt_aa(reply.get()));
  CHECK_FALSE(ldns_pkt_tc(reply.get()));
  const auto additional = section(reply.get(), LDNS_SECTION_ADDITIONAL);
  CHECK(std::count(additional.begin(), additional.end(), "ns.kid.glue.test. 3600 IN A 192.0.2.53") == 1);
  for (const auto& line : additional) {
    CAPTURE(line);
    CHECK(line.find("other.test.") == std::string::npos);
  }
  CHECK(additional.size() == 1 + 6 * 8);  // ns.kid, and the siblings s1..s6 (4 A + 4 AAAA each)
}

TEST_CASE("sibling glue that does not fit is left out without truncation; in-domain glue never is") {
  // 512 bytes without EDNS: the eight NS records and ns.kid's address fit, the siblings' 48
  // addresses do not. RFC 9471 asks for TC only when in-domain glue is missing.
  auto kid = query_udp(server().port(), "www.kid.glue.test.", LDNS_RR_TYPE_A, {.edns = false});
  CHECK_FALSE(ldns_pkt_tc(kid.get()));
  CHECK(ldns_pkt_nscount(kid.get()) == 8);
  const auto additional = section(kid.get(), LDNS_SECTION_ADDITIONAL);
  REQUIRE_FALSE(additional.empty());
  CHECK(additional.front() == "ns.kid.glue.test. 3600 IN A 192.0.2.53");
  CHECK(additional.size() < 1 + 6 * 8);
  // What does go in, goes in whole: each sibling's four A (or four AAAA) records or none.
  for (int i = 1; i <= 6; ++i)
    for (const char* type : {" IN A ", " IN AAAA "}) {
      const std::string owner = "s" + std::to_string(i) + ".glue.test. ";
      const auto count = std::count_if(additional.begin(), additional.end(), [&](const std::string& line) {
        return line.rfind(owner, 0) == 0 && line.find(type) != std::string::npos;
      });
      CHECK_MESSAGE((count == 0 || count == 4), owner << type << count);
    }
  // fat's twelve in-domain name servers need 24 addresses: over 512 bytes, so TC.
  auto fat = query_udp(server().port(), "www.fat.glue.test.", LDNS_RR_TYPE_A, {.edns = false});
  CHECK(ldns_pkt_tc(fat.get()));
  auto fat_edns = query_udp(server().port(), "www.fat.glue.test.", LDNS_RR_TYPE_A, {.udp_size = 1232});
  CHECK_FALSE(ldns_pkt_tc(fat_edns.get()));
  CHECK(section(fat_edns.get(), LDNS_SECTION_ADDITIONAL).size() == 24);
}

TEST_CASE("a CNAME into a delegation carries the referral as far as it fits, never truncated") {
  // Without EDNS the CNAME and fat's twelve NS fit in 512 bytes, its 24 addresses do not: past
  // the first step a referral is optional data (RFC 1034 4.3.2 3b), not a reason for TC.
  auto reply = query_udp(server().port(), "into-fat.glue.test.", LDNS_RR_TYPE_A, {.edns = false});
  CHECK_FALSE(ldns_pkt_tc(reply.get()));
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"into-fat.glue.test. 3600 IN CNAME www.fat.glue.test."});
  CHECK(ldns_pkt_nscount(reply.get()) == 12);
  CHECK(section(reply.get(), LDNS_SECTION_ADDITIONAL).size() < 24);
  // wide's NS records alone do not fit: the CNAME goes out without them.
  auto wide = query_udp(server().port(), "into-wide.glue.test.", LDNS_RR_TYPE_A, {.edns = false});
  CHECK_FALSE(ldns_pkt_tc(wide.get()));
  CHECK(section(wide.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"into-wide.glue.test. 3600 IN CNAME www.wide.glue.test."});
  CHECK(ldns_pkt_nscount(wide.get()) == 0);
}

TEST_CASE("DS at the apex of a zone we serve comes from the parent zone when we serve that too") {
  auto reply = query_udp(server().port(), "served.glue.test.", LDNS_RR_TYPE_DS);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(reply.get()));
  const auto answer = section(reply.get(), LDNS_SECTION_ANSWER);
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].rfind("served.glue.test. 3600 IN DS 54321 13 2 ", 0) == 0);
  // Every other type at that name is the child's.
  auto soa = query_udp(server().port(), "served.glue.test.", LDNS_RR_TYPE_SOA);
  CHECK(rdatas(soa.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_SOA).size() == 1);
  CHECK(section(soa.get(), LDNS_SECTION_ANSWER)[0].find(" 120 IN SOA ") != std::string::npos);
  // DS for a zone of ours that our parent zone does not delegate: the zone's own NODATA, not the
  // parent's NXDOMAIN.
  auto orphan = query_udp(server().port(), "orphan.glue.test.", LDNS_RR_TYPE_DS);
  CHECK(rcode_name(orphan.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(orphan.get()) == 0);
  CHECK(has_soa_of(orphan.get(), "orphan.glue.test."));
  // DS for a zone whose parent we do not serve: the zone's own NODATA.
  auto top = query_udp(server().port(), "glue.test.", LDNS_RR_TYPE_DS);
  CHECK(ldns_pkt_ancount(top.get()) == 0);
  CHECK(rcode_name(top.get()) == "NOERROR");
}
