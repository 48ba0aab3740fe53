// Response rate limiting (server/rate_limiter.h): the token buckets, the keys they are charged
// to, slip, the whitelist, and the answer kinds the responder reports for them.
#include <doctest/doctest.h>
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on

#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "conf_test_support.h"
#include "probes/health_table.h"
#include "routing/routing.h"
#include "server/rate_limiter.h"
#include "server/responder.h"
#include "server/snapshot.h"
#include "server_packet.h"

using namespace meridian;
using server::AnswerKind;
using server::RateLimiter;

namespace {

geo::Address address(const char* text) { return *geo::Address::parse(text); }

// One zone with every kind of answer, and rrl settings from `rrl` (YAML, may be empty).
struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::unique_ptr<server::Snapshot> snapshot;
  routing::Random random{7};
  server::Counters counters;
  std::vector<uint8_t> wire = std::vector<uint8_t>(server::max_response);

  explicit Fixture(const std::string& rrl = "") {
    dir.write("example.test.zone",
              "$ORIGIN example.test.\n$TTL 300\n"
              "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
              "  IN NS ns1\n"
              "ns1 IN A 192.0.2.53\n"
              "www IN A 192.0.2.10\n"
              "*.apps IN A 192.0.2.80\n"
              "sub IN NS ns1.sub\n"
              "ns1.sub IN A 192.0.2.100\n");
    config = conf::load_from_string(rrl + "zones:\n  - origin: example.test\n    file: example.test.zone\n",
                                    (dir.path() / "meridian.yaml").string());
    health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    snapshot = std::make_unique<server::Snapshot>(config, health);
  }

  server::Query query;
  server::Response ask(const std::string& name, unsigned qtype = 1, bool edns = false, unsigned qclass = 1) {
    testing::Packet packet;
    packet.header(0x1234, 0x0100, 1, 0, 0, edns ? 1 : 0).question(name, qtype, qclass);
    if (edns) packet.opt();
    REQUIRE(server::parse_query(packet.data, query) == server::ParseOutcome::ok);
    const server::Responder responder{*snapshot, random, counters};
    return responder.respond(query, server::ParseOutcome::ok, address("198.51.100.7"), false, wire);
  }
};

}  // namespace

TEST_CASE("a bucket holds one second of answers and refills at the rate") {
  RateLimiter table(1);
  const uint32_t t = 1000;
  for (int i = 0; i < 10; ++i) CHECK(table.allow(42, 10, t));
  CHECK_FALSE(table.allow(42, 10, t));
  CHECK(table.allow(43, 10, t));  // another key has its own bucket
  // Half a second later: five more.
  for (int i = 0; i < 5; ++i) CHECK(table.allow(42, 10, t + RateLimiter::ticks_per_second / 2));
  CHECK_FALSE(table.allow(42, 10, t + RateLimiter::ticks_per_second / 2));
  // A long quiet spell fills it to one second's worth, not more.
  const uint32_t later = t + 100 * RateLimiter::ticks_per_second;
  for (int i = 0; i < 10; ++i) CHECK(table.allow(42, 10, later));
  CHECK_FALSE(table.allow(42, 10, later));
  // The tick counter wraps at 16 bits: still one tick later, not 4,095 seconds earlier.
  RateLimiter wrapping(2);
  CHECK(wrapping.allow(7, 1, 0xffff));
  CHECK_FALSE(wrapping.allow(7, 1, 0xffff));
  CHECK(wrapping.allow(7, 1, 0x10000 + 15));  // 16 ticks = one second on
}

TEST_CASE("answers are charged per client prefix, kind and name") {
  Fixture f;
  const auto& rrl = f.config->rrl;
  CHECK(rrl.enabled);
  CHECK(rrl.responses_per_second == 200);
  CHECK(rrl.slip == 2);
  RateLimiter table(99);
  auto key = [&](const char* source, const std::string& name, unsigned qtype = 1) {
    const auto response = f.ask(name, qtype);
    return table.key(rrl, address(source), f.query, response);
  };
  // One /24 is one client; the next /24 another.
  CHECK(key("192.0.2.1", "www.example.test") == key("192.0.2.200", "www.example.test"));
  CHECK(key("192.0.2.1", "www.example.test") != key("192.0.3.1", "www.example.test"));
  // IPv6: one /56.
  CHECK(key("2001:db8:0:100::1", "www.example.test") == key("2001:db8:0:1ff::9", "www.example.test"));
  CHECK(key("2001:db8:0:100::1", "www.example.test") != key("2001:db8:0:200::1", "www.example.test"));
  // Positive answers by name; NXDOMAIN, NODATA, wildcards and referrals by zone, so a flood
  // of random names shares one bucket; errors by prefix alone.
  CHECK(key("192.0.2.1", "www.example.test") != key("192.0.2.1", "ns1.example.test"));
  CHECK(key("192.0.2.1", "nx1.example.test") == key("192.0.2.1", "nx2.example.test"));
  CHECK(key("192.0.2.1", "a.apps.example.test") == key("192.0.2.1", "b.apps.example.test"));
  CHECK(key("192.0.2.1", "a.sub.example.test") == key("192.0.2.1", "b.sub.example.test"));
  CHECK(key("192.0.2.1", "www.example.test", 16) == key("192.0.2.1", "ns1.example.test", 16));
  CHECK(key("192.0.2.1", "a.example.org") == key("192.0.2.1", "b.example.net"));
  // ... and each kind apart from the others.
  CHECK(key("192.0.2.1", "www.example.test", 16) != key("192.0.2.1", "nx1.example.test"));
  CHECK(key("192.0.2.1", "a.example.org") != key("192.0.2.1", "nx1.example.test"));
}

TEST_CASE("the responder says what kind of answer it gave") {
  Fixture f;
  CHECK(f.ask("www.example.test").kind == AnswerKind::positive);
  CHECK_FALSE(f.ask("www.example.test").wildcard);
  CHECK(f.ask("www.example.test", 16).kind == AnswerKind::nodata);
  CHECK(f.ask("nope.example.test").kind == AnswerKind::nxdomain);
  CHECK(f.ask("nope.example.test").rcode == 3);
  CHECK(f.ask("host.sub.example.test").kind == AnswerKind::referral);
  const auto wildcard = f.ask("shop.apps.example.test");
  CHECK(wildcard.kind == AnswerKind::positive);
  CHECK(wildcard.wildcard);
  const auto refused = f.ask("www.example.org");
  CHECK(refused.kind == AnswerKind::error);
  CHECK(refused.rcode == 5);
  CHECK(refused.zone == 0);
  CHECK(f.ask("www.example.test").zone == 1);
}

TEST_CASE("limited answers are dropped, every slip-th goes out truncated with its question and OPT") {
  Fixture f("rrl:\n  responses_per_second: 2\n  slip: 3\n");
  RateLimiter table(5);
  server::ResponseRateLimit limit(table);
  const auto source = address("203.0.113.9");
  std::vector<size_t> sizes;
  for (int i = 0; i < 8; ++i) {
    const auto response = f.ask("www.example.test", 1, true);
    sizes.push_back(limit.apply(f.config->rrl, 500, f.query, response, source, f.wire, f.counters));
    if (i == 4) {  // the third limited answer slips: parse it
      REQUIRE(sizes.back() > 0);
      ldns_pkt* parsed = nullptr;
      REQUIRE(ldns_wire2pkt(&parsed, f.wire.data(), sizes.back()) == LDNS_STATUS_OK);
      CHECK(ldns_pkt_tc(parsed));
      CHECK(ldns_pkt_aa(parsed));
      CHECK(ldns_pkt_id(parsed) == 0x1234);
      CHECK(ldns_pkt_ancount(parsed) == 0);
      CHECK(ldns_pkt_nscount(parsed) == 0);
      CHECK(ldns_pkt_qdcount(parsed) == 1);
      CHECK(ldns_pkt_edns(parsed));  // the OPT record stays: the query had one
      CHECK(ldns_pkt_edns_udp_size(parsed) == f.config->server.udp_payload);
      ldns_pkt_free(parsed);
    }
  }
  const auto full = f.ask("www.example.test", 1, true).size;
  REQUIRE(sizes.size() == 8);
  CHECK(sizes[0] == full);
  CHECK(sizes[1] == full);
  // Limited: drop, drop, slip, drop, drop, slip.
  CHECK(sizes[2] == 0);
  CHECK(sizes[3] == 0);
  CHECK(sizes[4] > 0);
  CHECK(sizes[4] < full);
  CHECK(sizes[5] == 0);
  CHECK(sizes[6] == 0);
  CHECK(sizes[7] == sizes[4]);
  CHECK(f.counters.rate_limit_dropped.get() == 4);
  CHECK(f.counters.rate_limit_slipped.get() == 2);
}

TEST_CASE("slip 0 drops every limited answer, and a whitelisted prefix is never limited") {
  Fixture f("rrl:\n  responses_per_second: 1\n  slip: 0\n  whitelist: [203.0.113.0/24, \"2001:db8::/32\"]\n");
  RateLimiter table(5);
  server::ResponseRateLimit limit(table);
  for (int i = 0; i < 20; ++i) {
    const auto response = f.ask("www.example.test");
    CHECK(limit.apply(f.config->rrl, 500, f.query, response, address("203.0.113.9"), f.wire, f.counters) ==
          response.size);
    CHECK(limit.apply(f.config->rrl, 500, f.query, response, address("2001:db8::1"), f.wire, f.counters) ==
          response.size);
  }
  size_t sent = 0;
  for (int i = 0; i < 20; ++i) {
    const auto response = f.ask("www.example.test");
    sent += limit.apply(f.config->rrl, 500, f.query, response, address("192.0.2.1"), f.wire, f.counters) > 0;
  }
  CHECK(sent == 1);
  CHECK(f.counters.rate_limit_slipped.get() == 0);
  CHECK(f.counters.rate_limit_dropped.get() == 19);
}

TEST_CASE("a whitelisted address's answers are not charged to its prefix, so its neighbours keep theirs") {
  // 192.0.2.7/32 is whitelisted; 192.0.2.8 shares its /24 bucket but is not.
  Fixture f("rrl:\n  responses_per_second: 3\n  slip: 0\n  whitelist: [192.0.2.7/32]\n");
  RateLimiter table(5);
  server::ResponseRateLimit limit(table);
  const auto response = f.ask("www.example.test");
  for (int i = 0; i < 50; ++i)
    CHECK(limit.apply(f.config->rrl, 500, f.query, response, address("192.0.2.7"), f.wire, f.counters) ==
          response.size);
  size_t neighbour = 0;
  for (int i = 0; i < 10; ++i)
    neighbour += limit.apply(f.config->rrl, 500, f.query, response, address("192.0.2.8"), f.wire, f.counters) > 0;
  CHECK(neighbour == 3);  // the whole allowance, untouched by the 50 whitelisted answers
}

TEST_CASE("the whitelist verdict kept for a busy address follows a new whitelist") {
  Fixture listed("rrl:\n  responses_per_second: 1\n  slip: 0\n  whitelist: [192.0.2.0/24]\n");
  Fixture unlisted("rrl:\n  responses_per_second: 1\n  slip: 0\n  whitelist: [198.51.100.0/24]\n");
  RateLimiter table(5);
  server::ResponseRateLimit limit(table);
  const auto response = listed.ask("www.example.test");
  for (int i = 0; i < 5; ++i)
    CHECK(limit.apply(listed.config->rrl, 500, listed.query, response, address("192.0.2.1"), listed.wire,
                      listed.counters) == response.size);
  // The same address under the reloaded settings: limited after its one answer.
  size_t sent = 0;
  for (int i = 0; i < 5; ++i)
    sent += limit.apply(unlisted.config->rrl, 500, listed.query, response, address("192.0.2.1"), listed.wire,
                        listed.counters) > 0;
  CHECK(sent == 1);
}

TEST_CASE("the rrl section is checked with the line of each mistake") {
  testing::TempDir dir;
  dir.write("example.test.zone", "$ORIGIN example.test.\n@ 300 IN SOA ns1 h 1 7200 3600 1209600 300\n@ 300 IN NS ns1\n");
  auto error_of = [&](const std::string& rrl) -> std::string {
    try {
      conf::load_from_string(rrl + "zones:\n  - origin: example.test\n    file: example.test.zone\n",
                             (dir.path() / "meridian.yaml").string());
    } catch (const std::exception& error) {
      return error.what();
    }
    return "";
  };
  CHECK(error_of("rrl:\n  rate: 5\n").find("meridian.yaml:2:") != std::string::npos);
  CHECK(error_of("rrl:\n  responses_per_second: 0\n").find("meridian.yaml:2:") != std::string::npos);
  CHECK(error_of("rrl:\n  slip: 101\n").find("meridian.yaml:2:") != std::string::npos);
  CHECK(error_of("rrl:\n  ipv4_prefix: 33\n").find("meridian.yaml:2:") != std::string::npos);
  const auto host_bits = error_of("rrl:\n  whitelist:\n    - 10.0.0.1/8\n");
  CHECK(host_bits.find("meridian.yaml:3:") != std::string::npos);
  CHECK(host_bits.find("not a CIDR prefix") != std::string::npos);
  CHECK(error_of("rrl:\n  whitelist: [10.0.0.0/8, 10.0.0.0/8]\n").find("listed twice") != std::string::npos);
  CHECK(error_of("rrl:\n  enabled: false\n").empty());
}
