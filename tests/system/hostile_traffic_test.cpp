// Hostile traffic for a bounded time (tests/system/hostile_packets.h makes it), over UDP and
// TCP, interleaved with valid queries: every valid query gets the answer it got before the
// storm, the server's memory stays flat, and it is still running at the end.
//
// MERIDIAN_HOSTILE_SECONDS (default 8) sets the duration, MERIDIAN_HOSTILE_SEED the seed (by
// default a new one each run, printed, so a failure can be repeated).
#include <doctest/doctest.h>
#include <signal.h>

#include <cstdlib>
#include <map>
#include <random>

#include "harness.h"
#include "hostile_packets.h"

using namespace meridian::test;

namespace {

using Clock = std::chrono::steady_clock;

// The fixture zone, a priority profile with its primary disabled and a geographic one (ECS
// decides), and rate limiting on but with loopback whitelisted: the storm comes from
// 127.0.0.1 too, and limiting it would hide what the answer path does with it.
constexpr const char* config = R"(
server:
  workers: 2
  nsid: hostile-1
  tcp_idle_timeout: 1s
  tcp_message_timeout: 500ms
rrl:
  whitelist: [127.0.0.0/8, "::1/128"]
geo:
  databases: ["{GEO}/maxmind-test-data/GeoIP2-City-Test.mmdb"]
zones:
  - origin: example.test
    file: {ZONES}/example.test.zone
profiles:
  - name: failover
    fqdn: failover.example.test
    method: priority
    monitor: {protocol: none}
    endpoints:
      - {name: primary, target: 192.0.2.21, priority: 1, enabled: false}
      - {name: secondary, target: 192.0.2.22, priority: 2}
  - name: geo
    fqdn: geo.example.test
    method: geographic
    monitor: {protocol: none}
    endpoints:
      - {name: england, target: 192.0.2.11, geo: [GB-ENG]}
      - {name: world, target: 192.0.2.19, geo: [WORLD]}
)";

struct Valid {
  std::string name;
  ldns_rr_type type;
  QueryOptions options;
};

std::vector<Valid> valid_queries() {
  QueryOptions london;
  london.ecs = "81.2.69.160/27";
  QueryOptions with_nsid;
  with_nsid.nsid = true;
  return {{"www.example.test", LDNS_RR_TYPE_A, {}},      {"mail.example.test", LDNS_RR_TYPE_A, with_nsid},
          {"failover.example.test", LDNS_RR_TYPE_A, {}}, {"geo.example.test", LDNS_RR_TYPE_A, london},
          {"geo.example.test", LDNS_RR_TYPE_A, {}},      {"nope.example.test", LDNS_RR_TYPE_A, {}},
          {"host.sub.example.test", LDNS_RR_TYPE_A, {}}, {"shop.apps.example.test", LDNS_RR_TYPE_A, {}},
          {"example.test", LDNS_RR_TYPE_MX, {}}};
}

// What an answer says, apart from its ID: rcode, flags and every section.
std::string summary(const ldns_pkt* pkt) {
  std::string text = rcode_name(pkt) + (ldns_pkt_aa(pkt) ? " aa" : "") + (ldns_pkt_tc(pkt) ? " tc" : "");
  for (auto which : {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL})
    for (const auto& rr : section(pkt, which)) text += "\n" + rr;
  if (auto nsid = nsid_of(pkt)) text += "\nnsid " + *nsid;
  if (auto ecs = ecs_of(pkt)) text += "\necs scope " + std::to_string(ecs->scope);
  return text;
}

// A valid query may meet a full socket buffer mid-storm, as on any network: it is asked again
// (as a resolver would) until an answer comes; the answer must then be the right one.
std::optional<std::string> ask(uint16_t port, const Valid& query, bool tcp) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto packet = make_query(query.name, query.type, query.options);
    const auto wire = to_wire(packet.get());
    std::optional<std::vector<uint8_t>> reply;
    if (tcp) {
      TcpClient client(port);
      if (client.send(wire)) reply = client.receive(2s);
    } else {
      reply = udp_exchange(port, wire, 1s);  // answers with another ID are passed over
    }
    if (!reply) continue;
    REQUIRE(reply->size() >= 12);
    CHECK((*reply)[0] == wire[0]);
    CHECK((*reply)[1] == wire[1]);
    return summary(parse(*reply).get());
  }
  return std::nullopt;
}

uint64_t seed_for_run() {
  if (const char* text = std::getenv("MERIDIAN_HOSTILE_SEED")) return std::strtoull(text, nullptr, 0);
  return std::random_device{}() * 0x9e3779b97f4a7c15ull ^ std::random_device{}();
}

std::chrono::seconds duration_for_run() {
  const char* text = std::getenv("MERIDIAN_HOSTILE_SECONDS");
  return std::chrono::seconds(text ? std::max(1, std::atoi(text)) : 8);
}

}  // namespace

TEST_CASE("hostile traffic over UDP and TCP: every valid query answered as before, memory flat, no crash") {
  Server server(config, /*ipv6=*/false);
  const auto valid = valid_queries();
  // The answers before the storm are what every answer during it must be.
  std::vector<std::string> expected;
  for (const auto& query : valid) {
    auto answer = ask(server.port(), query, false);
    REQUIRE(answer.has_value());
    expected.push_back(*answer);
  }
  // A sanity check that the baseline is a real answer, not a uniform failure.
  CHECK(expected[0].find("192.0.2.10") != std::string::npos);
  CHECK(expected[2].find("192.0.2.22") != std::string::npos);
  CHECK(expected[3].find("192.0.2.11") != std::string::npos);
  CHECK(expected[5].rfind("NXDOMAIN", 0) == 0);

  const uint64_t seed = seed_for_run();
  const auto duration = duration_for_run();
  MESSAGE("seed " << seed << " (MERIDIAN_HOSTILE_SEED repeats it), " << duration.count() << " s");
  HostilePackets hostile(seed, "example.test");
  std::map<std::string, size_t> sent;
  size_t valid_asked = 0, valid_right = 0, replies = 0, tcp_sent = 0;
  size_t rss_after_warmup = 0, rss_peak = 0;
  const auto start = Clock::now();
  const auto warmup_end = start + std::max<std::chrono::milliseconds>(1s, duration / 4);
  for (uint64_t round = 0; Clock::now() - start < duration; ++round) {
    // Thirty hostile datagrams, without waiting for what they get.
    for (int i = 0; i < 30; ++i) {
      auto message = hostile.next();
      ++sent[message.kind];
      if (udp_exchange(server.port(), message.bytes, std::chrono::milliseconds(0))) ++replies;
    }
    // One hostile message over TCP: framed, or a frame that promises more than it sends, or
    // a zero length; the connection is then dropped.
    {
      auto message = hostile.next();
      TcpClient client(server.port());
      switch (round % 3) {
        case 0: client.send(message.bytes); break;
        case 1: {
          std::vector<uint8_t> partial{static_cast<uint8_t>(message.bytes.size() >> 8 | 0x40),
                                       static_cast<uint8_t>(message.bytes.size())};
          partial.insert(partial.end(), message.bytes.begin(), message.bytes.end());
          client.send_raw(partial);
          break;
        }
        default: client.send_raw({0, 0}); break;
      }
      if (round % 9 == 0) client.reset();
      ++tcp_sent;
    }
    // Then one valid query, over UDP mostly and TCP every fourth round.
    const size_t which = round % valid.size();
    const auto answer = ask(server.port(), valid[which], round % 4 == 3);
    ++valid_asked;
    if (answer && *answer == expected[which])
      ++valid_right;
    else
      CHECK_MESSAGE(answer.value_or("(no answer)") == expected[which],
                    "round " << round << ": " << valid[which].name);
    if (rss_after_warmup == 0 && Clock::now() >= warmup_end) rss_after_warmup = resident_kib(server.pid());
    if (rss_after_warmup) rss_peak = std::max(rss_peak, resident_kib(server.pid()));
  }
  std::string tally;
  for (const auto& [kind, count] : sent)
    tally += (tally.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  MESSAGE("hostile: " << tally << "; " << replies << " UDP replies, " << tcp_sent << " over TCP; valid "
                      << valid_right << "/" << valid_asked << "; RSS " << rss_after_warmup
                      << " KiB after warm-up, " << rss_peak << " KiB at most");
  CHECK(valid_asked > 50);
  CHECK(valid_right == valid_asked);
  for (const char* kind : HostilePackets::kinds) CHECK_MESSAGE(sent[kind] > 0, kind);
    // Flat: no more than 8 MiB above what it held once warm (the sanitizer build keeps freed
    // memory in quarantine by design, so there the bound is what ASan allows itself).
#if defined(__SANITIZE_ADDRESS__)
  CHECK(rss_peak < rss_after_warmup + 300 * 1024);
#else
  CHECK(rss_peak < rss_after_warmup + 8 * 1024);
#endif
  // Still the same process, still answering.
  CHECK(kill(server.pid(), 0) == 0);
  CHECK(ask(server.port(), valid[0], false).value_or("(no answer)") == expected[0]);
  CHECK(ask(server.port(), valid[0], true).value_or("(no answer)") == expected[0]);
  CHECK(server.log().find("server: stopping") == std::string::npos);
}
