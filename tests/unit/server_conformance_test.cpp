// server::Responder against what outside conformance suites check (issue 21): additional data
// from authoritative data only, SVCB/HTTPS additional data, NOTIMP flags, CHAOS, QCLASS ANY and
// Extended DNS Errors, on wire queries with no sockets.
#include <doctest/doctest.h>
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "conf/config.h"
#include "conf_test_support.h"
#include "probes/health_table.h"
#include "routing/routing.h"
#include "server/responder.h"
#include "server/snapshot.h"
#include "server_packet.h"

using namespace meridian;
using testing::Bytes;
using testing::Packet;

namespace {

struct PktDeleter {
  void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

// Zones (origin, text) served from one snapshot, with `server` lines under server: in the config.
struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::unique_ptr<server::Snapshot> snapshot;
  routing::Random random{42};
  server::Counters counters;
  geo::Address source = *geo::Address::parse("198.51.100.7");
  Bytes wire;

  Fixture(std::initializer_list<std::pair<std::string, std::string>> zones, const std::string& server = "") {
    std::string yaml = server.empty() ? "" : "server:\n" + server;
    yaml += "zones:\n";
    for (const auto& [origin, text] : zones) {
      dir.write(origin + ".zone", text);
      yaml += "  - {origin: " + origin + ", file: " + origin + ".zone}\n";
    }
    config = conf::load_from_string(yaml, (dir.path() / "meridian.yaml").string());
    health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    snapshot = std::make_unique<server::Snapshot>(config, health);
  }

  PktPtr ask(const Bytes& query) {
    const server::Responder responder{*snapshot, random, counters};
    wire.resize(server::max_response);
    const size_t size = responder.respond(query, source, false, wire).size;
    wire.resize(size);
    REQUIRE(size > 0);
    ldns_pkt* parsed = nullptr;
    REQUIRE(ldns_wire2pkt(&parsed, wire.data(), wire.size()) == LDNS_STATUS_OK);
    return PktPtr(parsed);
  }
};

// A query with RD set and an OPT (unless `edns` is false).
Bytes query(const std::string& name, unsigned qtype, unsigned qclass = 1, bool edns = true) {
  Packet packet;
  packet.header(0x4242, 0x0100, 1, 0, 0, edns ? 1 : 0).question(name, qtype, qclass);
  if (edns) packet.opt();
  return packet.data;
}

std::string text_of(const ldns_rr* rr) {
  std::unique_ptr<char, decltype(&free)> text(ldns_rr2str(rr), free);
  std::string line = text.get();
  while (!line.empty() && line.back() == '\n') line.pop_back();
  for (auto& c : line)
    if (c == '\t') c = ' ';
  return line;
}

// "owner ttl class type rdata" for each record of a section.
std::vector<std::string> section(const ldns_pkt* pkt, ldns_pkt_section which) {
  const ldns_rr_list* list = which == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(pkt)
                             : which == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(pkt)
                                                               : ldns_pkt_additional(pkt);
  std::vector<std::string> lines;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) lines.push_back(text_of(ldns_rr_list_rr(list, i)));
  return lines;
}

}  // namespace

// --- additional data comes from the answer's own zone's authoritative data ------------------

namespace {

const char* mx_zone = R"($ORIGIN example.test.
$TTL 3600
@         IN SOA ns1 hostmaster 1 7200 3600 1209600 300
          IN NS  ns1
          IN MX  10 mail
          IN MX  20 mx.sub
          IN MX  30 www.other.test.
          IN MX  40 mx.kid.other.test.
ns1       IN A   192.0.2.53
mail      IN A   192.0.2.25
sub       IN NS  ns.sub
ns.sub    IN A   192.0.2.100
mx.sub    IN A   192.0.2.101
_sip._tcp IN SRV 0 0 5060 sip.sub
          IN SRV 1 0 5060 sip
sip       IN A   192.0.2.60
sip.sub   IN A   192.0.2.102
)";

const char* other_zone = R"($ORIGIN other.test.
$TTL 600
@       IN SOA ns hostmaster 1 7200 3600 1209600 60
        IN NS  ns
ns      IN A   192.0.2.250
www     IN A   192.0.2.30
kid     IN NS  ns.kid
ns.kid  IN A   192.0.2.41
mx.kid  IN A   192.0.2.40
)";

}  // namespace

TEST_CASE("an MX answer carries no glue and no other zone's addresses, only its own zone's authoritative ones") {
  Fixture fixture({{"example.test", mx_zone}, {"other.test", other_zone}});
  auto response = fixture.ask(query("example.test", LDNS_RR_TYPE_MX));
  CHECK(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_ancount(response.get()) == 4);
  const auto additional = section(response.get(), LDNS_SECTION_ADDITIONAL);
  CHECK(additional == std::vector<std::string>{"mail.example.test. 3600 IN A 192.0.2.25"});
}

TEST_CASE("an SRV answer carries no glue from below a cut of its zone") {
  Fixture fixture({{"example.test", mx_zone}, {"other.test", other_zone}});
  auto response = fixture.ask(query("_sip._tcp.example.test", LDNS_RR_TYPE_SRV));
  CHECK(section(response.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"sip.example.test. 3600 IN A 192.0.2.60"});
}

TEST_CASE("a referral still carries the glue below its cut") {
  Fixture fixture({{"example.test", mx_zone}, {"other.test", other_zone}});
  auto response = fixture.ask(query("host.sub.example.test", LDNS_RR_TYPE_A));
  CHECK_FALSE(ldns_pkt_aa(response.get()));
  CHECK(section(response.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"ns.sub.example.test. 3600 IN A 192.0.2.100"});
}

// --- SVCB and HTTPS: the targets' addresses, and AliasMode targets' records (RFC 9460 4.1) ----

namespace {

// `generic` and `galias` are written in the RFC 3597 form: HTTPS 1 pool, HTTPS 0 svc.
const char* svcb_zone = R"($ORIGIN example.test.
$TTL 3600
@        IN SOA   ns1 hostmaster 1 7200 3600 1209600 300
         IN NS    ns1
ns1      IN A     192.0.2.53
svc      IN HTTPS 1 . alpn=h2
         IN A     192.0.2.1
         IN AAAA  2001:db8::1
web      IN HTTPS 1 pool alpn=h2
pool     IN A     192.0.2.2
alias    IN HTTPS 0 svc
generic  IN HTTPS \# 21 000104706f6f6c076578616d706c65047465737400
galias   IN TYPE65 \# 20 000003737663076578616d706c65047465737400
far      IN HTTPS 1 host.sub
sub      IN NS    ns.sub
ns.sub   IN A     192.0.2.100
host.sub IN A     192.0.2.101
_dns     IN SVCB  1 dns alpn=dot
dns      IN A     192.0.2.3
loop1    IN HTTPS 0 loop2
loop2    IN HTTPS 0 loop1
)";

std::vector<std::string> additional_of(Fixture& fixture, const std::string& name, unsigned qtype) {
  auto response = fixture.ask(query(name, qtype));
  CHECK(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_ancount(response.get()) == 1);
  return section(response.get(), LDNS_SECTION_ADDITIONAL);
}

}  // namespace

TEST_CASE("an HTTPS answer carries the TargetName's addresses, the owner's for \".\"") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(additional_of(fixture, "svc.example.test", 65) ==
        std::vector<std::string>{"svc.example.test. 3600 IN A 192.0.2.1", "svc.example.test. 3600 IN AAAA 2001:db8::1"});
  CHECK(additional_of(fixture, "web.example.test", 65) ==
        std::vector<std::string>{"pool.example.test. 3600 IN A 192.0.2.2"});
}

TEST_CASE("an SVCB answer carries the TargetName's addresses") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(additional_of(fixture, "_dns.example.test", 64) ==
        std::vector<std::string>{"dns.example.test. 3600 IN A 192.0.2.3"});
}

TEST_CASE("HTTPS records in the RFC 3597 generic form load and get their additional data too") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(additional_of(fixture, "generic.example.test", 65) ==
        std::vector<std::string>{"pool.example.test. 3600 IN A 192.0.2.2"});
  const auto alias = additional_of(fixture, "galias.example.test", 65);
  REQUIRE(alias.size() == 3);
  CHECK(alias[2] == "svc.example.test. 3600 IN HTTPS 1 . alpn=h2");
}

TEST_CASE("an AliasMode HTTPS answer carries its target's HTTPS RRset and that target's addresses") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(additional_of(fixture, "alias.example.test", 65) ==
        std::vector<std::string>{"svc.example.test. 3600 IN A 192.0.2.1", "svc.example.test. 3600 IN AAAA 2001:db8::1",
                                 "svc.example.test. 3600 IN HTTPS 1 . alpn=h2"});
}

TEST_CASE("an AliasMode loop adds each RRset once and never repeats the answer") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(additional_of(fixture, "loop1.example.test", 65) ==
        std::vector<std::string>{"loop2.example.test. 3600 IN HTTPS 0 loop1.example.test."});
}

TEST_CASE("an HTTPS TargetName below a cut gets no glue") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(additional_of(fixture, "far.example.test", 65).empty());
}

TEST_CASE("an AliasMode target's RRset that does not fit is left out whole, with the names it brought") {
  // t1's second HTTPS record (priority 2, ".", one 450-byte parameter) cannot fit in 512 bytes;
  // its first record, written before, must not leave its target's addresses behind.
  std::string big = "0002 00 fde9 01c2 " + std::string(900, 'a');
  std::string zone = std::string(R"($ORIGIN example.test.
$TTL 3600
@     IN SOA   ns1 hostmaster 1 7200 3600 1209600 300
      IN NS    ns1
ns1   IN A     192.0.2.53
alias IN HTTPS 0 t1
t1    IN A     192.0.2.10
      IN HTTPS 1 a
t1    IN HTTPS \# 457 )") + big + R"(
a     IN A     192.0.2.11
)";
  Fixture fixture({{"example.test", zone}});
  auto response = fixture.ask(query("alias.example.test", 65, 1, false));
  CHECK_FALSE(ldns_pkt_tc(response.get()));
  CHECK(section(response.get(), LDNS_SECTION_ADDITIONAL) ==
        std::vector<std::string>{"t1.example.test. 3600 IN A 192.0.2.10"});
}

// --- NOTIMP and FORMERR: flags and the OPT (RFC 1035 4.1.1, RFC 6891 7) ----------------------

TEST_CASE("NOTIMP clears RD and CD, keeps the opcode and answers a query's OPT with ours") {
  Fixture fixture({{"example.test", svcb_zone}});
  for (unsigned opcode : {1u, 2u, 4u, 5u, 6u}) {
    CAPTURE(opcode);
    // RD and CD set, with NSID asked for.
    const Bytes notify =
        Packet().header(7, opcode << 11 | 0x0110, 1, 0, 0, 1).question("example.test", 6).opt(testing::option(3, {})).data;
    auto response = fixture.ask(notify);
    CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_NOTIMPL);
    CHECK(static_cast<unsigned>(ldns_pkt_get_opcode(response.get())) == opcode);
    CHECK_FALSE(ldns_pkt_rd(response.get()));
    CHECK_FALSE(ldns_pkt_cd(response.get()));
    CHECK_FALSE(ldns_pkt_aa(response.get()));
    CHECK(ldns_pkt_edns(response.get()));
    CHECK(ldns_pkt_ancount(response.get()) == 0);
  }
}

TEST_CASE("FORMERR keeps RD and CD as a QUERY does, and answers an OPT with one carrying no option") {
  Fixture fixture({{"example.test", svcb_zone}}, "  nsid: replica-7\n");
  // Two questions, RD and CD set, an OPT asking for NSID.
  const Bytes bad =
      Packet().header(7, 0x0110, 2, 0, 0, 1).question().question().opt(testing::option(3, {})).data;
  auto response = fixture.ask(bad);
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_FORMERR);
  CHECK(ldns_pkt_rd(response.get()));
  CHECK(ldns_pkt_cd(response.get()));
  CHECK(ldns_pkt_edns(response.get()));
  CHECK(ldns_pkt_edns_data(response.get()) == nullptr);
}

// --- CHAOS: id.server, version.bind, version.server (RFC 4892) ------------------------------

namespace {

constexpr unsigned class_chaos = 3;

struct Chaos {
  std::string rcode;
  std::vector<std::string> answer;
  bool aa = false;
};

Chaos ask_chaos(Fixture& fixture, const std::string& name, unsigned qtype = LDNS_RR_TYPE_TXT) {
  auto response = fixture.ask(query(name, qtype, class_chaos));
  std::unique_ptr<char, decltype(&free)> rcode(ldns_pkt_rcode2str(ldns_pkt_get_rcode(response.get())), free);
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(response.get()), 0);
  CHECK(ldns_rr_get_class(question) == LDNS_RR_CLASS_CH);
  return {rcode.get(), section(response.get(), LDNS_SECTION_ANSWER), ldns_pkt_aa(response.get())};
}

}  // namespace

TEST_CASE("CH TXT id.server answers the NSID string, authoritatively, with TTL 0 and class CH") {
  Fixture fixture({{"example.test", svcb_zone}}, "  nsid: replica-7\n  version: \"meridian 0.1\"\n");
  for (const char* name : {"id.server", "ID.Server"}) {
    const auto chaos = ask_chaos(fixture, name);
    CHECK(chaos.rcode == "NOERROR");
    CHECK(chaos.aa);
    REQUIRE(chaos.answer.size() == 1);
    CHECK(chaos.answer[0].ends_with(" 0 CH TXT \"replica-7\""));
  }
  CHECK(ask_chaos(fixture, "id.server", LDNS_RR_TYPE_ANY).answer.size() == 1);
}

TEST_CASE("CH TXT version.bind and version.server answer server.version") {
  Fixture fixture({{"example.test", svcb_zone}}, "  nsid: replica-7\n  version: \"meridian 0.1\"\n");
  for (const char* name : {"version.bind", "version.server"}) {
    const auto chaos = ask_chaos(fixture, name);
    CHECK(chaos.rcode == "NOERROR");
    CHECK(chaos.aa);
    CHECK(chaos.answer == std::vector<std::string>{std::string(name) + ". 0 CH TXT \"meridian 0.1\""});
  }
}

TEST_CASE("CH names whose string is unset, other CH names and other CH types are REFUSED") {
  Fixture unset({{"example.test", svcb_zone}});
  for (const char* name : {"id.server", "version.bind", "version.server"}) {
    CAPTURE(name);
    CHECK(ask_chaos(unset, name).rcode == "REFUSED");
  }
  Fixture set({{"example.test", svcb_zone}}, "  nsid: replica-7\n  version: \"meridian 0.1\"\n");
  for (const char* name : {"hostname.bind", "authors.bind", "example.test", "server"}) {
    CAPTURE(name);
    const auto chaos = ask_chaos(set, name);
    CHECK(chaos.rcode == "REFUSED");
    CHECK_FALSE(chaos.aa);
    CHECK(chaos.answer.empty());
  }
  CHECK(ask_chaos(set, "id.server", LDNS_RR_TYPE_A).rcode == "REFUSED");
}

// --- QCLASS ANY is answered from the IN data --------------------------------------------------

TEST_CASE("QCLASS ANY gets the IN answer: the records of class IN, the question as asked") {
  Fixture fixture({{"example.test", svcb_zone}});
  auto response = fixture.ask(query("pool.example.test", LDNS_RR_TYPE_A, 255));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_aa(response.get()));
  CHECK(ldns_rr_get_class(ldns_rr_list_rr(ldns_pkt_question(response.get()), 0)) == LDNS_RR_CLASS_ANY);
  CHECK(section(response.get(), LDNS_SECTION_ANSWER) == std::vector<std::string>{"pool.example.test. 3600 IN A 192.0.2.2"});
  auto missing = fixture.ask(query("nothing.example.test", LDNS_RR_TYPE_A, 255));
  CHECK(ldns_pkt_get_rcode(missing.get()) == LDNS_RCODE_NXDOMAIN);
  CHECK(section(missing.get(), LDNS_SECTION_AUTHORITY).size() == 1);
}

TEST_CASE("classes other than IN, CH and ANY are REFUSED") {
  Fixture fixture({{"example.test", svcb_zone}});
  for (unsigned qclass : {2u, 4u, 254u}) {
    CAPTURE(qclass);
    CHECK(ldns_pkt_get_rcode(fixture.ask(query("pool.example.test", LDNS_RR_TYPE_A, qclass)).get()) ==
          LDNS_RCODE_REFUSED);
  }
}

// --- REFUSED says why: Extended DNS Errors (RFC 8914) ----------------------------------------

namespace {

// The INFO-CODEs of the EDE options (code 15) in a response's OPT, in order.
std::vector<unsigned> ede_codes(const ldns_pkt* response) {
  std::vector<unsigned> codes;
  const ldns_rdf* data = ldns_pkt_edns_data(response);
  if (!data) return codes;
  const uint8_t* bytes = ldns_rdf_data(data);
  const size_t size = ldns_rdf_size(data);
  for (size_t at = 0; at + 4 <= size;) {
    const unsigned code = bytes[at] << 8 | bytes[at + 1], length = bytes[at + 2] << 8 | bytes[at + 3];
    if (code == 15 && length >= 2 && at + 6 <= size) codes.push_back(bytes[at + 4] << 8 | bytes[at + 5]);
    at += 4 + length;
  }
  return codes;
}

std::vector<unsigned> refusal(Fixture& fixture, const std::string& name, unsigned qtype, unsigned qclass = 1) {
  auto response = fixture.ask(query(name, qtype, qclass));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_REFUSED);
  return ede_codes(response.get());
}

}  // namespace

TEST_CASE("REFUSED for a name outside every zone carries EDE 20 Not Authoritative") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(refusal(fixture, "www.example.org", LDNS_RR_TYPE_A) == std::vector<unsigned>{20});
  CHECK(refusal(fixture, "test", LDNS_RR_TYPE_SOA) == std::vector<unsigned>{20});
}

TEST_CASE("REFUSED for an unsupported class, AXFR or IXFR carries EDE 21 Not Supported") {
  Fixture fixture({{"example.test", svcb_zone}});
  CHECK(refusal(fixture, "pool.example.test", LDNS_RR_TYPE_A, 4) == std::vector<unsigned>{21});
  CHECK(refusal(fixture, "example.test", LDNS_RR_TYPE_AXFR) == std::vector<unsigned>{21});
  CHECK(refusal(fixture, "example.test", LDNS_RR_TYPE_IXFR) == std::vector<unsigned>{21});
}

TEST_CASE("REFUSED CHAOS queries say why: 18 for a hidden string, 20 for another name, 21 for another type") {
  Fixture unset({{"example.test", svcb_zone}});
  CHECK(refusal(unset, "version.bind", LDNS_RR_TYPE_TXT, class_chaos) == std::vector<unsigned>{18});
  CHECK(refusal(unset, "id.server", LDNS_RR_TYPE_TXT, class_chaos) == std::vector<unsigned>{18});
  CHECK(refusal(unset, "hostname.bind", LDNS_RR_TYPE_TXT, class_chaos) == std::vector<unsigned>{20});
  Fixture set({{"example.test", svcb_zone}}, "  nsid: replica-7\n");
  CHECK(refusal(set, "id.server", LDNS_RR_TYPE_A, class_chaos) == std::vector<unsigned>{21});
}

TEST_CASE("an EDE goes beside the other options, and only to a query with EDNS") {
  Fixture fixture({{"example.test", svcb_zone}}, "  nsid: replica-7\n");
  const Bytes with_nsid =
      Packet().header(1, 0, 1, 0, 0, 1).question("www.example.org", 1).opt(testing::option(3, {})).data;
  auto response = fixture.ask(with_nsid);
  CHECK(ede_codes(response.get()) == std::vector<unsigned>{20});
  const ldns_rdf* data = ldns_pkt_edns_data(response.get());
  REQUIRE(data);
  CHECK(ldns_rdf_size(data) == 4 + 9 + 6);  // NSID "replica-7", then the EDE
  auto plain = fixture.ask(query("www.example.org", LDNS_RR_TYPE_A, 1, false));
  CHECK(ldns_pkt_get_rcode(plain.get()) == LDNS_RCODE_REFUSED);
  CHECK_FALSE(ldns_pkt_edns(plain.get()));
  CHECK(ldns_pkt_arcount(plain.get()) == 0);
}
