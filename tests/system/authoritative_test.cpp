// Authoritative answers over UDP: header bits, rcodes and sections (RFC 1034, 1035, 2308).
#include <doctest/doctest.h>

#include <algorithm>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {
Server& server() {
  static Server instance(static_config);
  return instance;
}
bool has(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](const auto& line) { return line.find(text) != std::string::npos; });
}
}  // namespace

TEST_CASE("an answer echoes the ID, sets QR and AA, copies RD and preserves the question's case") {
  auto query = make_query("WwW.ExAmPlE.TeSt.", LDNS_RR_TYPE_A, {.rd = true});
  auto reply = parse(*udp_exchange(server().port(), to_wire(query.get())));
  CHECK(ldns_pkt_id(reply.get()) == ldns_pkt_id(query.get()));
  CHECK(ldns_pkt_qr(reply.get()));
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(ldns_pkt_rd(reply.get()));
  CHECK_FALSE(ldns_pkt_ra(reply.get()));
  CHECK(ldns_pkt_get_opcode(reply.get()) == LDNS_PACKET_QUERY);
  CHECK(section(reply.get(), LDNS_SECTION_QUESTION) == std::vector<std::string>{"WwW.ExAmPlE.TeSt. IN A"});
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("RD clear in the query stays clear in the answer") {
  auto reply = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.rd = false});
  CHECK_FALSE(ldns_pkt_rd(reply.get()));
}

TEST_CASE("a name holding the type answers NOERROR with the RRset and its TTL") {
  auto reply = query_udp(server().port(), "ns2.example.test.", LDNS_RR_TYPE_A);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) == std::vector<std::string>{"ns2.example.test. 60 IN A 198.51.100.53"});
  CHECK(ldns_pkt_nscount(reply.get()) == 0);
}

TEST_CASE("a name without the type is NODATA with the SOA at its negative TTL") {
  auto reply = query_udp(server().port(), "mail.example.test.", LDNS_RR_TYPE_TXT);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
  CHECK(ldns_pkt_aa(reply.get()));
  auto authority = section(reply.get(), LDNS_SECTION_AUTHORITY);
  REQUIRE(authority.size() == 1);
  CHECK(authority[0].starts_with("example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2026112401"));
}

TEST_CASE("a name that does not exist is NXDOMAIN with the SOA") {
  auto reply = query_udp(server().port(), "nope.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NXDOMAIN");
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
  CHECK(has(section(reply.get(), LDNS_SECTION_AUTHORITY), "IN SOA"));
}

TEST_CASE("an empty non-terminal is NODATA, not NXDOMAIN") {
  for (const char* name : {"deep.path.example.test.", "path.example.test."}) {
    auto reply = query_udp(server().port(), name, LDNS_RR_TYPE_A);
    CHECK(rcode_name(reply.get()) == "NOERROR");
    CHECK(ldns_pkt_ancount(reply.get()) == 0);
    CHECK(has(section(reply.get(), LDNS_SECTION_AUTHORITY), "IN SOA"));
  }
}

TEST_CASE("a CNAME is returned and followed inside the zone") {
  auto reply = query_udp(server().port(), "status.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"status.example.test. 3600 IN CNAME docs.example.test.",
                                 "docs.example.test. 3600 IN CNAME www.example.test.",
                                 "www.example.test. 3600 IN A 192.0.2.10"});
}

TEST_CASE("a query for the CNAME type itself gets the CNAME without following it") {
  auto reply = query_udp(server().port(), "docs.example.test.", LDNS_RR_TYPE_CNAME);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"docs.example.test. 3600 IN CNAME www.example.test."});
}

TEST_CASE("a CNAME to a missing name in the zone answers NXDOMAIN with the CNAME (RFC 6604)") {
  auto reply = query_udp(server().port(), "dangling.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NXDOMAIN");
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME) == std::vector<std::string>{"nothing-here.example.test."});
}

TEST_CASE("a CNAME out of our zones is returned alone and a CNAME loop ends") {
  auto outside = query_udp(server().port(), "outside.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(outside.get()) == "NOERROR");
  CHECK(section(outside.get(), LDNS_SECTION_ANSWER).size() == 1);
  // A loop ends where a name would come round again, each record of it once (RFC 2181 5), as
  // NSD and Knot answer: through two names, onto itself (in another case), through a wildcard.
  auto loop = query_udp(server().port(), "loop1.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(loop.get()) == "NOERROR");
  CHECK(section(loop.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"loop1.example.test. 3600 IN CNAME loop2.example.test.",
                                 "loop2.example.test. 3600 IN CNAME loop1.example.test."});
  auto self = query_udp(server().port(), "self.example.test.", LDNS_RR_TYPE_A);
  CHECK(section(self.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"self.example.test. 3600 IN CNAME SELF.example.test."});
  auto spin = query_udp(server().port(), "x.spin.example.test.", LDNS_RR_TYPE_AAAA);
  CHECK(section(spin.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"x.spin.example.test. 3600 IN CNAME again.spin.example.test.",
                                 "again.spin.example.test. 3600 IN CNAME again.spin.example.test."});
}

TEST_CASE("a name below a delegation gets a referral: NS in authority, glue in additional, AA clear") {
  for (const char* name : {"sub.example.test.", "host.sub.example.test.", "ns1.sub.example.test."}) {
    CAPTURE(name);
    auto reply = query_udp(server().port(), name, LDNS_RR_TYPE_A);
    CHECK(rcode_name(reply.get()) == "NOERROR");
    CHECK_FALSE(ldns_pkt_aa(reply.get()));
    CHECK(ldns_pkt_ancount(reply.get()) == 0);
    auto ns = rdatas(reply.get(), LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NS);
    std::sort(ns.begin(), ns.end());
    CHECK(ns == std::vector<std::string>{"ns.other.test.", "ns1.sub.example.test."});
    // ns.other.test's address (other.test is ours too) is no glue for example.test.
    CHECK(section(reply.get(), LDNS_SECTION_ADDITIONAL) ==
          std::vector<std::string>{"ns1.sub.example.test. 3600 IN A 192.0.2.100"});
  }
}

TEST_CASE("a CNAME into a delegated name keeps AA and adds the referral (RFC 1034 4.3.2 3b)") {
  auto reply = query_udp(server().port(), "into-sub.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"into-sub.example.test. 3600 IN CNAME host.sub.example.test."});
  auto ns = rdatas(reply.get(), LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NS);
  std::sort(ns.begin(), ns.end());
  CHECK(ns == std::vector<std::string>{"ns.other.test.", "ns1.sub.example.test."});
  CHECK(section(reply.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"ns1.sub.example.test. 3600 IN A 192.0.2.100"});
}

TEST_CASE("a DS query at a delegation is answered by the parent side, authoritatively") {
  auto reply = query_udp(server().port(), "sub.example.test.", LDNS_RR_TYPE_DS);
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(has(section(reply.get(), LDNS_SECTION_AUTHORITY), "IN SOA"));
}

TEST_CASE("a name outside every zone is REFUSED without AA") {
  for (const char* name : {"www.example.org.", "test.", "."}) {
    auto reply = query_udp(server().port(), name, LDNS_RR_TYPE_A);
    CHECK(rcode_name(reply.get()) == "REFUSED");
    CHECK_FALSE(ldns_pkt_aa(reply.get()));
    CHECK(ldns_pkt_ancount(reply.get()) == 0);
  }
}

TEST_CASE("each name is answered from its own zone") {
  auto reply = query_udp(server().port(), "ns.other.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.200"});
  auto missing = query_udp(server().port(), "x.other.test.", LDNS_RR_TYPE_A);
  CHECK(has(section(missing.get(), LDNS_SECTION_AUTHORITY), "other.test. 60 IN SOA"));
}

TEST_CASE("names are compared case-insensitively") {
  auto reply = query_udp(server().port(), "MAIL.EXAMPLE.TEST.", LDNS_RR_TYPE_AAAA);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_AAAA) == std::vector<std::string>{"2001:db8::25"});
}

TEST_CASE("ANY gets one RRset, not all of them (RFC 8482)") {
  auto reply = query_udp(server().port(), "example.test.", LDNS_RR_TYPE_ANY);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  const auto answer = section(reply.get(), LDNS_SECTION_ANSWER);
  REQUIRE_FALSE(answer.empty());
  const ldns_rr_type first = ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(reply.get()), 0));
  for (size_t i = 0; i < answer.size(); ++i)
    CHECK(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(reply.get()), i)) == first);
}

TEST_CASE("MX, SRV and NS answers carry the targets' in-zone addresses in additional") {
  auto mx = query_udp(server().port(), "example.test.", LDNS_RR_TYPE_MX);
  CHECK(has(section(mx.get(), LDNS_SECTION_ADDITIONAL), "mail.example.test. 3600 IN A 192.0.2.25"));
  CHECK(has(section(mx.get(), LDNS_SECTION_ADDITIONAL), "mail.example.test. 3600 IN AAAA 2001:db8::25"));
  auto srv = query_udp(server().port(), "_sip._tcp.example.test.", LDNS_RR_TYPE_SRV);
  CHECK(rdatas(srv.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_SRV) == std::vector<std::string>{"10 60 5060 sip.example.test."});
  CHECK(has(section(srv.get(), LDNS_SECTION_ADDITIONAL), "sip.example.test. 3600 IN A 192.0.2.60"));
  auto ns = query_udp(server().port(), "example.test.", LDNS_RR_TYPE_NS);
  CHECK(ldns_pkt_aa(ns.get()));
  CHECK(has(section(ns.get(), LDNS_SECTION_ADDITIONAL), "ns1.example.test. 3600 IN A 192.0.2.53"));
  CHECK(has(section(ns.get(), LDNS_SECTION_ADDITIONAL), "ns2.example.test. 3600 IN AAAA 2001:db8::53"));
}

TEST_CASE("records from real zone files survive: TXT strings and escapes, CAA, RFC 3597 types") {
  auto txt = query_udp(server().port(), "notes.example.test.", LDNS_RR_TYPE_TXT);
  CHECK(rdatas(txt.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT) ==
        std::vector<std::string>{R"("first string" "second \"quoted\" string" "semi;colon" )"
                                 "\"tab\tend\""});  // \009 is byte 9, which ldns prints raw
  auto caa = query_udp(server().port(), "example.test.", LDNS_RR_TYPE_CAA);
  CHECK(rdatas(caa.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CAA) == std::vector<std::string>{"0 issue \"letsencrypt.org\""});
  auto unknown = query_udp(server().port(), "legacy.example.test.", static_cast<ldns_rr_type>(65400));
  const auto answer = section(unknown.get(), LDNS_SECTION_ANSWER);
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].find("\\# 4 0a000001") != std::string::npos);
}

TEST_CASE("AXFR and IXFR are refused, not crashed on") {
  for (auto type : {LDNS_RR_TYPE_AXFR, LDNS_RR_TYPE_IXFR}) {
    auto reply = query_udp(server().port(), "example.test.", type);
    CHECK(rcode_name(reply.get()) == "REFUSED");
    auto over_tcp = query_tcp(server().port(), "example.test.", type);
    CHECK(rcode_name(over_tcp.get()) == "REFUSED");
  }
}

TEST_CASE("a zone's name asked in class CH is refused: only IN and ANY reach the zones") {
  auto query = make_query("www.example.test.", LDNS_RR_TYPE_A);
  ldns_rr_set_class(ldns_rr_list_rr(ldns_pkt_question(query.get()), 0), LDNS_RR_CLASS_CH);
  auto reply = parse(*udp_exchange(server().port(), to_wire(query.get())));
  CHECK(rcode_name(reply.get()) == "REFUSED");
}
