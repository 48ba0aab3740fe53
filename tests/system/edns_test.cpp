// EDNS0 (RFC 6891), NSID (RFC 5001), Client Subnet (RFC 7871) and UDP truncation.
#include <doctest/doctest.h>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {
Server& server() {
  static Server instance(static_config, true);
  return instance;
}
}  // namespace

TEST_CASE("an EDNS query gets an OPT with our payload size, version 0") {
  auto reply = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.udp_size = 4096});
  CHECK(ldns_pkt_edns(reply.get()));
  CHECK(ldns_pkt_edns_udp_size(reply.get()) == 1232);
  CHECK(ldns_pkt_edns_version(reply.get()) == 0);
}

TEST_CASE("a query without EDNS gets no OPT") {
  auto reply = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.edns = false});
  CHECK_FALSE(ldns_pkt_edns(reply.get()));
  CHECK(ldns_pkt_arcount(reply.get()) == 0);
}

TEST_CASE("the DO bit is copied into the answer's OPT") {
  auto reply = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.dnssec_ok = true});
  CHECK(ldns_pkt_edns_do(reply.get()));
}

TEST_CASE("an EDNS version above 0 gets BADVERS with an OPT of version 0") {
  auto reply = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.edns_version = 1});
  CHECK(rcode_name(reply.get()) == "BADVERS");
  CHECK(ldns_pkt_edns(reply.get()));
  CHECK(ldns_pkt_edns_version(reply.get()) == 0);
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
}

TEST_CASE("NSID is answered when asked for, and only then") {
  auto asked = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.nsid = true});
  CHECK(nsid_of(asked.get()) == std::optional<std::string>("replica-7"));
  auto not_asked = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A);
  CHECK_FALSE(nsid_of(not_asked.get()).has_value());
}

TEST_CASE("unknown EDNS options are ignored") {
  auto query = make_query("www.example.test.", LDNS_RR_TYPE_A);
  const char option[] = {0x7f, 0x01, 0x00, 0x03, 'a', 'b', 'c'};
  ldns_pkt_set_edns_data(query.get(), ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, sizeof option, option));
  auto reply = parse(*udp_exchange(server().port(), to_wire(query.get())));
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("ECS on static data is echoed with scope 0") {
  auto v4 = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_A, {.ecs = "198.51.100.0/24"});
  auto ecs = ecs_of(v4.get());
  REQUIRE(ecs.has_value());
  CHECK(ecs->family == 1);
  CHECK(ecs->source == 24);
  CHECK(ecs->scope == 0);
  auto v6 = query_udp(server().port(), "www.example.test.", LDNS_RR_TYPE_AAAA, {.ecs = "2001:db8:1::/48"});
  ecs = ecs_of(v6.get());
  REQUIRE(ecs.has_value());
  CHECK(ecs->family == 2);
  CHECK(ecs->source == 48);
  CHECK(ecs->scope == 0);
}

TEST_CASE("a malformed ECS option is FORMERR") {
  auto send_ecs = [&](std::vector<uint8_t> payload) {
    auto query = make_query("www.example.test.", LDNS_RR_TYPE_A);
    std::vector<uint8_t> option{0x00, 0x08, 0x00, static_cast<uint8_t>(payload.size())};
    option.insert(option.end(), payload.begin(), payload.end());
    ldns_pkt_set_edns_data(query.get(), ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, option.size(), option.data()));
    auto reply = udp_exchange(server().port(), to_wire(query.get()));
    REQUIRE(reply.has_value());
    const auto packet = parse(*reply);
    // Even a FORMERR carries our OPT (RFC 6891 7), but never echoes the bad option.
    CHECK(ldns_pkt_edns(packet.get()));
    CHECK(ldns_pkt_edns_udp_size(packet.get()) == 1232);
    if (ldns_pkt_get_rcode(packet.get()) != LDNS_RCODE_NOERROR) CHECK_FALSE(ecs_of(packet.get()).has_value());
    return rcode_name(packet.get());
  };
  CHECK(send_ecs({0x00, 0x01, 24, 0, 198, 51, 100}) == "NOERROR");      // well formed
  CHECK(send_ecs({0x00, 0x03, 24, 0, 198, 51, 100}) == "FORMERR");      // unknown family
  CHECK(send_ecs({0x00, 0x01, 33, 0, 1, 2, 3, 4, 5}) == "FORMERR");     // prefix longer than IPv4
  CHECK(send_ecs({0x00, 0x01, 24, 0, 198, 51, 100, 7}) == "FORMERR");   // too many address bytes
  CHECK(send_ecs({0x00, 0x01, 24, 0, 198, 51}) == "FORMERR");           // too few address bytes
  CHECK(send_ecs({0x00, 0x01, 20, 0, 198, 51, 101}) == "FORMERR");      // bits set past the prefix
  CHECK(send_ecs({0x00, 0x01, 24, 8, 198, 51, 100}) == "FORMERR");      // scope set in a query
  CHECK(send_ecs({0x00, 0x01}) == "FORMERR");                           // cut short
}

TEST_CASE("an answer larger than the client's UDP limit is truncated with TC, and TCP gets it whole") {
  auto no_edns = query_udp(server().port(), "big.example.test.", LDNS_RR_TYPE_TXT, {.edns = false});
  CHECK(ldns_pkt_tc(no_edns.get()));
  CHECK(ldns_pkt_ancount(no_edns.get()) == 0);
  CHECK(to_wire(no_edns.get()).size() <= 512);

  auto small = query_udp(server().port(), "big.example.test.", LDNS_RR_TYPE_TXT, {.udp_size = 1232});
  CHECK(ldns_pkt_tc(small.get()));

  auto whole = query_tcp(server().port(), "big.example.test.", LDNS_RR_TYPE_TXT);
  CHECK_FALSE(ldns_pkt_tc(whole.get()));
  CHECK(ldns_pkt_ancount(whole.get()) == 20);
}

TEST_CASE("an answer that fits stays whole") {
  auto reply = query_udp(server().port(), "example.test.", LDNS_RR_TYPE_MX, {.edns = false});
  CHECK_FALSE(ldns_pkt_tc(reply.get()));
  CHECK(ldns_pkt_ancount(reply.get()) == 1);
}

TEST_CASE("the server answers over IPv6 too") {
  auto query = make_query("www.example.test.", LDNS_RR_TYPE_AAAA);
  std::string log = server().log();
  auto at = log.find("listening address=[::1]:");
  REQUIRE(at != std::string::npos);
  const auto port = static_cast<uint16_t>(std::stoi(log.substr(at + std::string("listening address=[::1]:").size())));
  auto reply = udp_exchange(port, to_wire(query.get()), std::chrono::seconds(2), true);
  REQUIRE(reply.has_value());
  CHECK(rdatas(parse(*reply).get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_AAAA) == std::vector<std::string>{"2001:db8::10"});
}
