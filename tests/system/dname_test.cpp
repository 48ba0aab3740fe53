// DNAME (RFC 6672): names below a DNAME's owner are answered with the DNAME and a CNAME
// synthesised from it, followed like any CNAME.
#include <doctest/doctest.h>

#include <string>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {

// A target so long that a two-label prefix makes the synthesised name exceed 255 bytes.
std::string long_target() {
  std::string target;
  for (int i = 0; i < 4; ++i) target += std::string(60, char('a' + i)) + ".";
  return target;
}

Server& server() {
  static TempDir dir;
  static Server instance(zones_config(dir, {{"d.test", R"($ORIGIN d.test.
$TTL 3600
@       IN SOA ns hostmaster 1 7200 3600 1209600 300
        IN NS  ns
ns      IN A   192.0.2.1
old     IN DNAME new.d.test.
        IN TXT "moved"
host.new IN A  192.0.2.20
to-old  IN CNAME host.old
away    300 IN DNAME other.test.
far     IN DNAME example.invalid.
long    IN DNAME )" + long_target() + "\n"},
                                            {"other.test", other_test_zone}}));
  return instance;
}

}  // namespace

TEST_CASE("a name below a DNAME gets the DNAME, the synthesised CNAME and the target's answer") {
  auto reply = query_udp(server().port(), "host.old.d.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"old.d.test. 3600 IN DNAME new.d.test.",
                                 "host.old.d.test. 3600 IN CNAME host.new.d.test.",
                                 "host.new.d.test. 3600 IN A 192.0.2.20"});
}

TEST_CASE("a DNAME into another zone of ours is followed there; one out of our zones is not") {
  auto away = query_udp(server().port(), "www.away.d.test.", LDNS_RR_TYPE_A);
  CHECK(section(away.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"away.d.test. 300 IN DNAME other.test.",
                                 "www.away.d.test. 300 IN CNAME www.other.test.",  // the DNAME's TTL
                                 "www.other.test. 600 IN A 192.0.2.30"});
  auto far = query_udp(server().port(), "a.b.far.d.test.", LDNS_RR_TYPE_AAAA);
  CHECK(rcode_name(far.get()) == "NOERROR");
  CHECK(section(far.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"far.d.test. 3600 IN DNAME example.invalid.",
                                 "a.b.far.d.test. 3600 IN CNAME a.b.example.invalid."});
}

TEST_CASE("a synthesised name that does not exist answers NXDOMAIN with the chain (RFC 6604)") {
  auto reply = query_udp(server().port(), "missing.old.d.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NXDOMAIN");
  CHECK(ldns_pkt_ancount(reply.get()) == 2);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME) ==
        std::vector<std::string>{"missing.new.d.test."});
}

TEST_CASE("the DNAME's owner itself is not redirected") {
  auto a = query_udp(server().port(), "old.d.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(a.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(a.get()) == 0);
  auto txt = query_udp(server().port(), "old.d.test.", LDNS_RR_TYPE_TXT);
  CHECK(rdatas(txt.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT) == std::vector<std::string>{"\"moved\""});
  auto dname = query_udp(server().port(), "old.d.test.", LDNS_RR_TYPE_DNAME);
  CHECK(rdatas(dname.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_DNAME) ==
        std::vector<std::string>{"new.d.test."});
}

TEST_CASE("a CNAME query below a DNAME gets the DNAME and the CNAME, not what the CNAME points to") {
  auto reply = query_udp(server().port(), "host.old.d.test.", LDNS_RR_TYPE_CNAME);
  CHECK(ldns_pkt_ancount(reply.get()) == 2);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME) ==
        std::vector<std::string>{"host.new.d.test."});
}

TEST_CASE("the owner names keep the question's case") {
  auto reply = query_udp(server().port(), "HoSt.OlD.d.TeSt.", LDNS_RR_TYPE_A);
  const auto answer = section(reply.get(), LDNS_SECTION_ANSWER);
  REQUIRE(answer.size() == 3);
  CHECK(answer[0].rfind("OlD.d.TeSt. 3600 IN DNAME ", 0) == 0);
  CHECK(answer[1].rfind("HoSt.OlD.d.TeSt. 3600 IN CNAME ", 0) == 0);
}

TEST_CASE("a synthesised name longer than 255 bytes is YXDOMAIN with the DNAME (RFC 6672 2.2)") {
  // The target is 245 bytes in wire form: a 9-letter label above the owner (10 bytes) makes
  // exactly 255, a 10-letter one 256.
  auto longest = query_udp(server().port(), std::string(9, 'x') + ".long.d.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(longest.get()) == "NOERROR");
  CHECK(rdatas(longest.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME) ==
        std::vector<std::string>{std::string(9, 'x') + "." + long_target()});
  auto too_long = query_udp(server().port(), std::string(10, 'x') + ".long.d.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(too_long.get()) == "YXDOMAIN");
  CHECK(ldns_pkt_ancount(too_long.get()) == 1);
  CHECK(rdatas(too_long.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME).empty());
}

TEST_CASE("a CNAME into a name below a DNAME is followed through it") {
  auto reply = query_udp(server().port(), "to-old.d.test.", LDNS_RR_TYPE_A);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{
            "to-old.d.test. 3600 IN CNAME host.old.d.test.", "old.d.test. 3600 IN DNAME new.d.test.",
            "host.old.d.test. 3600 IN CNAME host.new.d.test.", "host.new.d.test. 3600 IN A 192.0.2.20"});
}
