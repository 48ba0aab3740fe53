// server::Responder::respond on wire queries: authoritative flags and rcodes, referrals, truncation and
// counters, with no sockets.
#include <doctest/doctest.h>
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "conf_test_support.h"
#include "probes/health_table.h"
#include "routing/routing.h"
#include "server/responder.h"
#include "server/snapshot.h"

namespace {
struct PktDeleter {
  void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;
}  // namespace

using namespace meridian;

namespace {

using Bytes = std::vector<uint8_t>;

const std::string big_text(200, 'x');

std::string zone_text() {
  return "$ORIGIN example.test.\n"
         "$TTL 3600\n"
         "@        IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
         "         IN NS  ns1\n"
         "ns1      IN A   192.0.2.53\n"
         "www      IN A   192.0.2.10\n"
         "sub      IN NS  ns1.sub\n"
         "ns1.sub  IN A   192.0.2.100\n"
         "big      IN TXT \"1" +
         big_text +
         "\"\n"
         "big      IN TXT \"2" +
         big_text +
         "\"\n"
         "big      IN TXT \"3" +
         big_text + "\"\n";
}

// A snapshot of one zone (example.test) and a responder over it.
struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::unique_ptr<server::Snapshot> snapshot;
  routing::Random random{42};
  server::Counters counters;
  geo::Address source = *geo::Address::parse("198.51.100.7");

  Fixture() {
    dir.write("example.test.zone", zone_text());
    config = conf::load_from_string(
        "zones:\n"
        "  - origin: example.test\n"
        "    file: example.test.zone\n",
        (dir.path() / "meridian.yaml").string());
    health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    snapshot = std::make_unique<server::Snapshot>(config, health);
  }

  // Sends `query`; returns the parsed response (null when there is none) and keeps its wire form.
  PktPtr ask(const Bytes& query, bool tcp = false) {
    const server::Responder responder{*snapshot, random, counters};
    wire.resize(server::max_response);
    const size_t size = responder.respond(query, source, tcp, wire).size;
    wire.resize(size);
    if (size == 0) return nullptr;
    ldns_pkt* parsed = nullptr;
    REQUIRE(ldns_wire2pkt(&parsed, wire.data(), wire.size()) == LDNS_STATUS_OK);
    return PktPtr(parsed);
  }

  Bytes wire;
};

Bytes query(const char* name, ldns_rr_type type, uint16_t id = 0x4242, uint16_t edns_udp_size = 0) {
  PktPtr pkt(ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD));
  REQUIRE(pkt);
  ldns_pkt_set_id(pkt.get(), id);
  if (edns_udp_size) ldns_pkt_set_edns_udp_size(pkt.get(), edns_udp_size);
  uint8_t* wire = nullptr;
  size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt.get(), &size) == LDNS_STATUS_OK);
  Bytes bytes(wire, wire + size);
  free(wire);
  return bytes;
}

std::string owner_of(const ldns_rr* rr) {
  std::unique_ptr<char, decltype(&free)> text(ldns_rdf2str(ldns_rr_owner(rr)), free);
  return text.get();
}

std::string rdata_text(const ldns_rr* rr, size_t index = 0) {
  std::unique_ptr<char, decltype(&free)> text(ldns_rdf2str(ldns_rr_rdf(rr, index)), free);
  return text.get();
}

}  // namespace

TEST_CASE("a name with data of the asked type gets an authoritative answer") {
  Fixture fixture;
  auto response = fixture.ask(query("WWW.example.test.", LDNS_RR_TYPE_A, 0x1234));
  REQUIRE(response);
  CHECK(ldns_pkt_id(response.get()) == 0x1234);
  CHECK(ldns_pkt_qr(response.get()));
  CHECK(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_rd(response.get()));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_NOERROR);
  REQUIRE(ldns_pkt_qdcount(response.get()) == 1);
  CHECK(owner_of(ldns_rr_list_rr(ldns_pkt_question(response.get()), 0)) == "WWW.example.test.");
  REQUIRE(ldns_pkt_ancount(response.get()) == 1);
  const ldns_rr* answer = ldns_rr_list_rr(ldns_pkt_answer(response.get()), 0);
  CHECK(ldns_rr_get_type(answer) == LDNS_RR_TYPE_A);
  CHECK(rdata_text(answer) == "192.0.2.10");
  CHECK(ldns_rr_ttl(answer) == 3600);
}

TEST_CASE("a name without data of the asked type gets NODATA with the SOA at its negative TTL") {
  Fixture fixture;
  auto response = fixture.ask(query("www.example.test.", LDNS_RR_TYPE_AAAA));
  REQUIRE(response);
  CHECK(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_ancount(response.get()) == 0);
  REQUIRE(ldns_pkt_nscount(response.get()) == 1);
  const ldns_rr* soa = ldns_rr_list_rr(ldns_pkt_authority(response.get()), 0);
  CHECK(ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA);
  CHECK(owner_of(soa) == "example.test.");
  CHECK(ldns_rr_ttl(soa) == 300);  // RFC 2308 3: min(SOA TTL 3600, MINIMUM 300)
}

TEST_CASE("a name that does not exist gets an authoritative NXDOMAIN with the SOA") {
  Fixture fixture;
  auto response = fixture.ask(query("nothing.example.test.", LDNS_RR_TYPE_A));
  REQUIRE(response);
  CHECK(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_NXDOMAIN);
  CHECK(ldns_pkt_ancount(response.get()) == 0);
  REQUIRE(ldns_pkt_nscount(response.get()) == 1);
  CHECK(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(response.get()), 0)) == LDNS_RR_TYPE_SOA);
}

TEST_CASE("a name outside every zone is REFUSED, not authoritatively") {
  Fixture fixture;
  auto response = fixture.ask(query("www.example.org.", LDNS_RR_TYPE_A));
  REQUIRE(response);
  CHECK_FALSE(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_REFUSED);
  CHECK(ldns_pkt_ancount(response.get()) == 0);
  CHECK(ldns_pkt_nscount(response.get()) == 0);
}

TEST_CASE("a name below a delegation gets a referral: no AA, the cut's NS and their glue") {
  Fixture fixture;
  auto response = fixture.ask(query("host.sub.example.test.", LDNS_RR_TYPE_A));
  REQUIRE(response);
  CHECK_FALSE(ldns_pkt_aa(response.get()));
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_ancount(response.get()) == 0);
  REQUIRE(ldns_pkt_nscount(response.get()) == 1);
  const ldns_rr* ns = ldns_rr_list_rr(ldns_pkt_authority(response.get()), 0);
  CHECK(ldns_rr_get_type(ns) == LDNS_RR_TYPE_NS);
  CHECK(owner_of(ns) == "sub.example.test.");
  CHECK(rdata_text(ns) == "ns1.sub.example.test.");
  REQUIRE(ldns_pkt_arcount(response.get()) == 1);
  const ldns_rr* glue = ldns_rr_list_rr(ldns_pkt_additional(response.get()), 0);
  CHECK(owner_of(glue) == "ns1.sub.example.test.");
  CHECK(rdata_text(glue) == "192.0.2.100");
}

TEST_CASE("an answer over 512 bytes to a query without EDNS is truncated over UDP") {
  Fixture fixture;
  auto response = fixture.ask(query("big.example.test.", LDNS_RR_TYPE_TXT));
  REQUIRE(response);
  CHECK(fixture.wire.size() <= 512);
  CHECK(ldns_pkt_tc(response.get()));
  CHECK(ldns_pkt_ancount(response.get()) == 0);
  CHECK(ldns_pkt_qdcount(response.get()) == 1);
  CHECK(fixture.counters.truncated.get() == 1);
}

TEST_CASE("the same answer over TCP comes whole") {
  Fixture fixture;
  auto response = fixture.ask(query("big.example.test.", LDNS_RR_TYPE_TXT), true);
  REQUIRE(response);
  CHECK(fixture.wire.size() > 512);
  CHECK_FALSE(ldns_pkt_tc(response.get()));
  CHECK(ldns_pkt_ancount(response.get()) == 3);
  CHECK(fixture.counters.truncated.get() == 0);
}

TEST_CASE("the same answer over UDP fits when EDNS allows a larger payload") {
  Fixture fixture;
  auto response = fixture.ask(query("big.example.test.", LDNS_RR_TYPE_TXT, 1, 4096));
  REQUIRE(response);
  CHECK_FALSE(ldns_pkt_tc(response.get()));
  CHECK(ldns_pkt_ancount(response.get()) == 3);
  CHECK(ldns_pkt_edns(response.get()));
  CHECK(ldns_pkt_edns_udp_size(response.get()) == 1232);
}

TEST_CASE("responses are counted by rcode") {
  Fixture fixture;
  REQUIRE(fixture.ask(query("www.example.test.", LDNS_RR_TYPE_A)));
  REQUIRE(fixture.ask(query("www.example.test.", LDNS_RR_TYPE_AAAA)));
  REQUIRE(fixture.ask(query("nothing.example.test.", LDNS_RR_TYPE_A)));
  REQUIRE(fixture.ask(query("www.example.org.", LDNS_RR_TYPE_A)));
  Bytes no_question{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  REQUIRE(fixture.ask(no_question));
  // By zone: 1 is example.test, 0 no zone of ours (REFUSED, and FORMERR before a name is read).
  const auto slot = fixture.snapshot->counters().slot(fixture.counters.slot);
  CHECK(slot.response(1, LDNS_RCODE_NOERROR).get() == 2);
  CHECK(slot.response(1, LDNS_RCODE_NXDOMAIN).get() == 1);
  CHECK(slot.response(0, LDNS_RCODE_REFUSED).get() == 1);
  CHECK(slot.response(0, LDNS_RCODE_FORMERR).get() == 1);
  CHECK(slot.response(1, LDNS_RCODE_REFUSED).get() == 0);
  CHECK(slot.response(0, LDNS_RCODE_NOERROR).get() == 0);
  CHECK(fixture.counters.dropped.get() == 0);
}

TEST_CASE("a malformed query gets FORMERR with its id") {
  Fixture fixture;
  Bytes no_question{0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto response = fixture.ask(no_question);
  REQUIRE(response);
  CHECK(ldns_pkt_id(response.get()) == 0xabcd);
  CHECK(ldns_pkt_get_rcode(response.get()) == LDNS_RCODE_FORMERR);
}

TEST_CASE("a 5-byte packet gets no response and is counted as dropped") {
  Fixture fixture;
  const Bytes packet{0x12, 0x34, 0x01, 0x00, 0x00};
  const server::Responder responder{*fixture.snapshot, fixture.random, fixture.counters};
  std::vector<uint8_t> out(server::max_response);
  CHECK(responder.respond(packet, fixture.source, false, out).size == 0);
  CHECK(fixture.counters.dropped.get() == 1);
  const auto slot = fixture.snapshot->counters().slot(fixture.counters.slot);
  for (size_t zone = 0; zone <= 1; ++zone)
    for (unsigned rcode = 0; rcode < server::rcode_count; ++rcode)
      CHECK(slot.response(zone, rcode).get() == 0);
}
