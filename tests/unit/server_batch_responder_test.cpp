// server::BatchResponder: a batch answered with its look-ahead gets, byte for byte, the answers
// Responder::respond gives each packet alone, whatever the mix and whatever the batch before it.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "conf/config.h"
#include "conf_test_support.h"
#include "probes/health_table.h"
#include "server/batch_responder.h"
#include "server/responder.h"
#include "server/snapshot.h"
#include "server_packet.h"

using namespace meridian;
using testing::Bytes;
using testing::ecs;
using testing::Packet;

namespace {

constexpr unsigned type_a = 1, type_aaaa = 28, type_txt = 16;

std::string filler_profiles(unsigned count) {
  std::string text;
  for (unsigned p = 0; p < count; ++p) {
    text += "  - {name: f" + std::to_string(p) + ", fqdn: f" + std::to_string(p) +
            ".example.test, method: weighted, monitor: {protocol: none}, endpoints: [";
    for (unsigned e = 0; e < 10; ++e)
      text += std::string(e ? ", " : "") + "{name: e" + std::to_string(e) + ", target: 198.51.100." +
              std::to_string(e + 1) + "}";
    text += "]}\n";
  }
  return text;
}

// A zone, a priority profile and a geographic one (GB clients to one endpoint, the rest of the
// world to another) over MaxMind's test database; `filler` more profiles of 10 endpoints each.
struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::unique_ptr<server::Snapshot> snapshot;

  explicit Fixture(unsigned filler = 0) {
    dir.write("example.test.zone",
              "$ORIGIN example.test.\n$TTL 3600\n"
              "@   IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
              "    IN NS  ns1\n"
              "ns1 IN A   192.0.2.53\n"
              "www IN A   192.0.2.10\n");
    const std::string database =
        std::string(MERIDIAN_GEO_TESTDATA) + "/maxmind-test-data/GeoIP2-City-Test.mmdb";
    config = conf::load_from_string(
        "geo:\n  databases: [\"" + database +
            "\"]\n"
            "zones:\n  - origin: example.test\n    file: example.test.zone\n"
            "profiles:\n"
            "  - name: app\n    fqdn: app.example.test\n    method: priority\n    monitor: {protocol: none}\n"
            "    endpoints:\n"
            "      - {name: primary, target: 192.0.2.1, priority: 1}\n"
            "      - {name: backup, target: 192.0.2.2, priority: 2}\n"
            "  - name: geo\n    fqdn: geo.example.test\n    method: geographic\n    monitor: {protocol: "
            "none}\n"
            "    endpoints:\n"
            "      - {name: europe, target: 192.0.2.20, geo: [GB]}\n"
            "      - {name: world, target: 192.0.2.21, geo: [WORLD]}\n" +
            filler_profiles(filler),
        (dir.path() / "meridian.yaml").string());
    health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    snapshot = std::make_unique<server::Snapshot>(config, health);
  }
};

Bytes query(std::string_view name, unsigned qtype, unsigned id) {
  return Packet().header(id, 0x0100, 1, 0, 0, 0).question(name, qtype).data;
}

Bytes ecs_query(std::string_view name, unsigned id, const Bytes& address, unsigned source) {
  return Packet().header(id, 0x0100, 1, 0, 0, 1).question(name, type_a).opt(ecs(1, source, 0, address)).data;
}

// Every shape the receive path can hand over: profiles (in any case), zone data, NXDOMAIN,
// REFUSED, ECS and EDNS-less queries side by side, FORMERR, NOTIMP, a response, a runt, and
// an empty datagram.
std::vector<Bytes> mixed_packets() {
  std::vector<Bytes> packets;
  packets.push_back(ecs_query("geo.example.test", 1, {81, 2, 69, 160}, 27));  // GB: europe
  packets.push_back(query("geo.example.test", type_a, 2));                    // no ECS: the source decides
  packets.push_back(query("APP.Example.TEST", type_a, 3));
  packets.push_back(query("app.example.test", type_aaaa, 4));
  packets.push_back(query("app.example.test", type_txt, 5));
  packets.push_back(query("www.example.test", type_a, 6));
  packets.push_back(query("nope.example.test", type_a, 7));
  packets.push_back(query("elsewhere.test", type_a, 8));
  packets.push_back(ecs_query("geo.example.test", 9, {214, 0, 0}, 24));                   // SG: world
  packets.push_back(Packet().header(10, 0x0100, 2, 0, 0, 0).question().question().data);  // two questions
  packets.push_back(Packet().header(11, 0x2100, 1, 0, 0, 0).question("app.example.test").data);  // opcode 4
  packets.push_back(Packet().header(12, 0x8100, 1, 0, 0, 0).question("app.example.test").data);  // a response
  packets.push_back(Bytes{0x12, 0x34, 0x01});
  packets.push_back(Bytes{});
  packets.push_back(query("f7.example.test", type_a, 13));
  packets.push_back(query("F119.EXAMPLE.test", type_aaaa, 14));
  return packets;
}

bool contains(const Bytes& message, const Bytes& part) {
  return std::search(message.begin(), message.end(), part.begin(), part.end()) != message.end();
}

// Each packet answered alone, the way the TCP path does.
std::vector<Bytes> one_by_one(const server::Responder& responder, const std::vector<Bytes>& packets,
                              const geo::Address& source) {
  std::vector<Bytes> answers;
  for (const auto& packet : packets) {
    Bytes out(server::max_response);
    out.resize(responder.respond(packet, source, false, out).size);
    answers.push_back(out);
  }
  return answers;
}

std::vector<Bytes> batched(server::BatchResponder& batch, const server::Snapshot& snapshot,
                           const server::Responder& responder, const std::vector<Bytes>& packets,
                           const geo::Address& source) {
  const std::vector<std::span<const uint8_t>> spans(packets.begin(), packets.end());
  const std::vector<geo::Address> sources(packets.size(), source);
  batch.prepare(snapshot, spans, sources);
  std::vector<Bytes> answers;
  for (size_t i = 0; i < packets.size(); ++i) {
    Bytes out(server::max_response);
    out.resize(batch.respond(responder, i, source, out).size);
    answers.push_back(out);
  }
  return answers;
}

}  // namespace

TEST_CASE("a batch gets the answers each query gets alone, byte for byte") {
  // Small configs skip the look-ahead (it would only cost); the large one takes every step.
  for (const bool large : {false, true}) {
    CAPTURE(large);
    Fixture fixture(large ? 120 : 0);
    REQUIRE(fixture.snapshot->fetch_ahead() == large);
    CHECK(server::BatchResponder::width(*fixture.snapshot) == (large ? 32u : 16u));
    REQUIRE(fixture.snapshot->locates_clients());      // the geographic profile: GeoIP answers fetched too
    routing::Random alone_random{7}, batch_random{7};  // weighted answers draw the same numbers
    server::Counters alone_counters, batch_counters;
    batch_counters.slot = 1;  // the snapshot's counters apart from alone's
    const server::Responder alone{*fixture.snapshot, alone_random, alone_counters};
    const server::Responder in_batch{*fixture.snapshot, batch_random, batch_counters};
    const auto source = *geo::Address::parse("81.2.69.142");  // GB: what geo answers without ECS
    const auto packets = mixed_packets();

    server::BatchResponder batch;
    const auto expected = one_by_one(alone, packets, source);
    const auto got = batched(batch, *fixture.snapshot, in_batch, packets, source);
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i] == expected[i]);
    }
    const auto& counters = fixture.snapshot->counters();
    for (size_t zone = 0; zone <= counters.zones(); ++zone)
      for (unsigned rcode = 0; rcode < server::rcode_count; ++rcode)
        CHECK(counters.slot(1).response(zone, rcode).get() == counters.slot(0).response(zone, rcode).get());
    for (size_t p = 0; p < counters.profiles(); ++p) {
      CHECK(counters.slot(1).profile_answer(p).get() == counters.slot(0).profile_answer(p).get());
      CHECK(counters.slot(1).profile_nodata(p).get() == counters.slot(0).profile_nodata(p).get());
    }
    for (uint32_t e = 0; e < counters.endpoints(); ++e)
      CHECK(counters.slot(1).endpoint_answer(e).get() == counters.slot(0).endpoint_answer(e).get());
    CHECK(batch_counters.dropped.get() == alone_counters.dropped.get());
    CHECK(batch_counters.dropped.get() == 3);  // the response, the runt and the empty datagram
    // The answers differ where they should: the two ECS clients got different endpoints.
    CHECK(contains(got[0], {192, 0, 2, 20}));
    CHECK(contains(got[8], {192, 0, 2, 21}));
  }
}

TEST_CASE("a query reusing a slot keeps nothing of the query before it") {
  Fixture fixture;
  routing::Random random{7};
  server::Counters counters;
  const server::Responder responder{*fixture.snapshot, random, counters};
  const auto source = *geo::Address::parse("214.0.0.1");  // SG
  server::BatchResponder batch;

  // First an ECS query from GB in every slot, then plain queries in the same slots: with a
  // stale ECS option they would be answered for GB and echo an ECS option.
  std::vector<Bytes> first(server::BatchResponder::capacity,
                           ecs_query("geo.example.test", 1, {81, 2, 69, 160}, 27));
  batched(batch, *fixture.snapshot, responder, first, source);
  std::vector<Bytes> second(server::BatchResponder::capacity, query("geo.example.test", type_a, 2));
  const auto got = batched(batch, *fixture.snapshot, responder, second, source);
  const auto expected = one_by_one(responder, second, source);
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == expected[i]);
  }
}

TEST_CASE(
    "a datagram too long to be a query (no data) is skipped by prepare, not answered from the slot's last "
    "query") {
  Fixture fixture;
  routing::Random random{7};
  server::Counters counters;
  const server::Responder responder{*fixture.snapshot, random, counters};
  const auto source = *geo::Address::parse("127.0.0.1");
  server::BatchResponder batch;
  const Bytes good = query("app.example.test", type_a, 3);
  Bytes out(server::max_response);

  // First both slots hold a query; then slot 0 gets a datagram with no data.
  const std::vector<std::span<const uint8_t>> full{good, good};
  const std::vector<geo::Address> sources(2, source);
  batch.prepare(*fixture.snapshot, full, sources);
  REQUIRE(batch.respond(responder, 0, source, out).size > 0);
  const std::vector<std::span<const uint8_t>> spans{std::span<const uint8_t>{}, good};
  batch.prepare(*fixture.snapshot, spans, sources);
  CHECK(batch.respond(responder, 1, source, out).size > 0);
  CHECK(batch.respond(responder, 0, source, out).size == 0);  // marked as nothing to answer
}
