// What outside conformance suites check (issue 21), asked of the real binary: additional data
// from authoritative data only (RFC 1034 4.2.1), SVCB/HTTPS additional data (RFC 9460 4.1),
// NOTIMP flags, CHAOS identity (RFC 4892), QCLASS ANY and Extended DNS Errors (RFC 8914).
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {

// conformance.test: MX and SRV targets in the zone, below its cut, and in other.test (served).
const char* conformance_zone = R"($ORIGIN conformance.test.
$TTL 3600
@         IN SOA ns1 hostmaster 1 7200 3600 1209600 300
          IN NS  ns1
          IN MX  10 mail
          IN MX  20 mx.sub
          IN MX  30 www.other.test.
ns1       IN A   192.0.2.53
mail      IN A   192.0.2.25
sub       IN NS  ns.sub
ns.sub    IN A   192.0.2.100
mx.sub    IN A   192.0.2.101
_sip._tcp IN SRV 0 0 5060 sip.sub
sip.sub   IN A   192.0.2.102
; SVCB and HTTPS (RFC 9460); `generic` is HTTPS 1 pool in the RFC 3597 form
svc       IN HTTPS 1 . alpn=h2
          IN A     192.0.2.1
          IN AAAA  2001:db8::1
alias     IN HTTPS 0 svc
generic   IN HTTPS \# 25 000104706f6f6c0b636f6e666f726d616e6365047465737400
pool      IN A     192.0.2.2
_dns      IN SVCB  1 pool alpn=dot
)";

// With an NSID and a version string (CH TXT id.server, version.bind).
Server& server() {
  static TempDir dir;
  static Server instance(Server::File{dir.write("meridian.yaml", R"(server:
  workers: 1
  nsid: replica-7
  version: "meridian conformance"
zones:
  - {origin: conformance.test, file: )" + dir.write("conformance.test.zone", conformance_zone) + R"(}
  - {origin: other.test, file: )" + dir.write("other.test.zone", other_test_zone) + "}\n")});
  return instance;
}

// Neither set.
Server& plain_server() {
  static TempDir dir;
  static Server instance(zones_config(dir, {{"conformance.test", conformance_zone}}));
  return instance;
}

// A query of class `qclass` (make_query asks in IN).
Packet ask_in_class(Server& target, const std::string& name, ldns_rr_type type, ldns_rr_class qclass,
                    const QueryOptions& options = {}) {
  auto query = make_query(name, type, options);
  ldns_rr_set_class(ldns_rr_list_rr(ldns_pkt_question(query.get()), 0), qclass);
  auto reply = udp_exchange(target.port(), to_wire(query.get()));
  REQUIRE_MESSAGE(reply.has_value(), "no reply for " << name);
  return parse(*reply);
}

}  // namespace

TEST_CASE("MX and SRV answers carry no glue from below a cut, nor another zone's addresses") {
  auto mx = query_udp(server().port(), "conformance.test.", LDNS_RR_TYPE_MX);
  CHECK(ldns_pkt_aa(mx.get()));
  CHECK(ldns_pkt_ancount(mx.get()) == 3);
  CHECK(section(mx.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"mail.conformance.test. 3600 IN A 192.0.2.25"});
  auto srv = query_udp(server().port(), "_sip._tcp.conformance.test.", LDNS_RR_TYPE_SRV);
  CHECK(ldns_pkt_ancount(srv.get()) == 1);
  CHECK(section(srv.get(), LDNS_SECTION_ADDITIONAL).empty());
  // The referral keeps its glue.
  auto referral = query_udp(server().port(), "host.sub.conformance.test.", LDNS_RR_TYPE_A);
  CHECK(section(referral.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"ns.sub.conformance.test. 3600 IN A 192.0.2.100"});
}

TEST_CASE("SVCB and HTTPS answers carry their TargetNames' addresses; AliasMode its target's records") {
  auto svc = query_udp(server().port(), "svc.conformance.test.", LDNS_RR_TYPE_HTTPS);
  CHECK(section(svc.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"svc.conformance.test. 3600 IN A 192.0.2.1",
                                 "svc.conformance.test. 3600 IN AAAA 2001:db8::1"});
  auto alias = query_udp(server().port(), "alias.conformance.test.", LDNS_RR_TYPE_HTTPS);
  CHECK(section(alias.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"svc.conformance.test. 3600 IN A 192.0.2.1",
                                 "svc.conformance.test. 3600 IN AAAA 2001:db8::1",
                                 "svc.conformance.test. 3600 IN HTTPS 1 . alpn=h2"});
  auto generic = query_udp(server().port(), "generic.conformance.test.", LDNS_RR_TYPE_HTTPS);
  CHECK(rdatas(generic.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_HTTPS) ==
        std::vector<std::string>{"1 pool.conformance.test."});
  CHECK(section(generic.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"pool.conformance.test. 3600 IN A 192.0.2.2"});
  auto svcb = query_udp(server().port(), "_dns.conformance.test.", LDNS_RR_TYPE_SVCB);
  CHECK(section(svcb.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"pool.conformance.test. 3600 IN A 192.0.2.2"});
}

TEST_CASE("NOTIMP to a non-QUERY opcode clears RD and CD, keeps the opcode, and answers EDNS with EDNS") {
  auto notify = make_query("conformance.test.", LDNS_RR_TYPE_SOA, {.rd = true});
  ldns_pkt_set_opcode(notify.get(), LDNS_PACKET_NOTIFY);
  ldns_pkt_set_cd(notify.get(), true);
  auto reply = parse(*udp_exchange(server().port(), to_wire(notify.get())));
  CHECK(rcode_name(reply.get()) == "NOTIMP");
  CHECK(ldns_pkt_get_opcode(reply.get()) == LDNS_PACKET_NOTIFY);
  CHECK_FALSE(ldns_pkt_rd(reply.get()));
  CHECK_FALSE(ldns_pkt_cd(reply.get()));
  CHECK(ldns_pkt_edns(reply.get()));
}

TEST_CASE("CH TXT id.server answers the NSID string; version.bind and version.server the version") {
  auto id = ask_in_class(server(), "id.server.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
  CHECK(rcode_name(id.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(id.get()));
  CHECK(section(id.get(), LDNS_SECTION_ANSWER) == std::vector<std::string>{"id.server. 0 CH TXT \"replica-7\""});
  for (const std::string name : {"version.bind.", "VERSION.server."}) {
    auto version = ask_in_class(server(), name, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
    CHECK(rcode_name(version.get()) == "NOERROR");
    CHECK(ldns_pkt_aa(version.get()));
    CHECK(section(version.get(), LDNS_SECTION_ANSWER) ==
          std::vector<std::string>{name + " 0 CH TXT \"meridian conformance\""});
  }
}

TEST_CASE("CH names whose string is unset, and other CH names, are REFUSED") {
  for (const char* name : {"id.server.", "version.bind.", "version.server."}) {
    CAPTURE(name);
    auto reply = ask_in_class(plain_server(), name, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
    CHECK(rcode_name(reply.get()) == "REFUSED");
    CHECK(ldns_pkt_ancount(reply.get()) == 0);
  }
  auto other = ask_in_class(server(), "hostname.bind.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
  CHECK(rcode_name(other.get()) == "REFUSED");
}

TEST_CASE("QCLASS ANY is answered from the IN data") {
  auto reply = ask_in_class(server(), "mail.conformance.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(section(reply.get(), LDNS_SECTION_QUESTION) == std::vector<std::string>{"mail.conformance.test. ANY A"});
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"mail.conformance.test. 3600 IN A 192.0.2.25"});
}

namespace {
// The INFO-CODE of the response's first EDE option (RFC 8914), if it has one.
std::optional<unsigned> ede_of(const ldns_pkt* reply) {
  const ldns_rdf* data = ldns_pkt_edns_data(reply);
  if (!data) return std::nullopt;
  const uint8_t* bytes = ldns_rdf_data(data);
  for (size_t at = 0; at + 4 <= ldns_rdf_size(data);) {
    const unsigned code = bytes[at] << 8 | bytes[at + 1], length = bytes[at + 2] << 8 | bytes[at + 3];
    if (code == 15 && length >= 2) return bytes[at + 4] << 8 | bytes[at + 5];
    at += 4 + length;
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("REFUSED carries an Extended DNS Error saying why, when the query has EDNS") {
  auto outside = query_udp(server().port(), "www.example.org.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(outside.get()) == "REFUSED");
  CHECK(ede_of(outside.get()) == std::optional<unsigned>(20));  // Not Authoritative
  auto axfr = query_udp(server().port(), "conformance.test.", LDNS_RR_TYPE_AXFR);
  CHECK(rcode_name(axfr.get()) == "REFUSED");
  CHECK(ede_of(axfr.get()) == std::optional<unsigned>(21));  // Not Supported
  auto hesiod = ask_in_class(server(), "mail.conformance.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_HS);
  CHECK(ede_of(hesiod.get()) == std::optional<unsigned>(21));
  auto hidden = ask_in_class(plain_server(), "version.bind.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
  CHECK(ede_of(hidden.get()) == std::optional<unsigned>(18));  // Prohibited
  auto unknown = ask_in_class(server(), "hostname.bind.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH);
  CHECK(ede_of(unknown.get()) == std::optional<unsigned>(20));
  auto without_edns = query_udp(server().port(), "www.example.org.", LDNS_RR_TYPE_A, {.edns = false});
  CHECK(rcode_name(without_edns.get()) == "REFUSED");
  CHECK_FALSE(ldns_pkt_edns(without_edns.get()));
}

TEST_CASE("meridian explain says a flattened endpoint answers the target's resolved addresses, not a CNAME") {
  TempDir dir;
  const std::string config = dir.write("meridian.yaml", R"(zones:
  - {origin: conformance.test, file: )" + dir.write("conformance.test.zone", conformance_zone) + R"(}
profiles:
  - name: apex
    fqdn: conformance.test
    method: priority
    ttl: 30
    monitor: {protocol: none}
    endpoints:
      - {name: app, target: app.upstream.test, flatten: true}
)");
  auto result = run_meridian({"explain", "--config", config, "--client", "192.0.2.1", "conformance.test"});
  CHECK(result.exit_code == 0);
  CHECK_MESSAGE(result.out.find("answer: flattened app.upstream.test: its A records as the resolver last resolved "
                                "them") != std::string::npos,
                result.out);
  CHECK(result.out.find("answer: conformance.test 30 IN A (flattened: the A records of app.upstream.test") !=
        std::string::npos);
  CHECK(result.out.find("CNAME") == std::string::npos);
  CHECK(result.out.find("not available yet") == std::string::npos);
}
