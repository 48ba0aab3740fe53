// Fuzz target: one raw datagram through server::Responder::respond, over UDP and TCP, against a
// snapshot with static zones (CNAME chains, wildcards, DNAME, delegations, glue) and a profile of
// every routing method. Checks what must hold for any input: no crash or sanitizer report; a
// response only for a message that is not dropped, with its ID, within the buffer and the
// client's size limit, and parseable by ldns; the UDP batch path answers byte for byte the same;
// rate limiting's slipped (truncated) form of the answer passes the same checks.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "conf/config.h"
#include "fuzz_support.h"
#include "probes/health_table.h"
#include "probes/probes.h"
#include "resolver/resolved_table.h"
#include "response_checks.h"
#include "server/batch_responder.h"
#include "server/query.h"
#include "server/rate_limiter.h"
#include "server/responder.h"
#include "server/snapshot.h"

using namespace meridian;

namespace {

constexpr size_t udp_room = 4096;  // server/udp_batch.h: UdpBatch::answer_room

const char* const d_test_zone = R"($ORIGIN d.test.
$TTL 3600
@        IN SOA ns hostmaster 1 7200 3600 1209600 300
         IN NS  ns
         IN NS  ns.other.test.
         IN MX  10 mail
ns       IN A   192.0.2.1
         IN AAAA 2001:db8::1
mail     IN A   192.0.2.2
old      IN DNAME new.d.test.
         IN TXT "moved"
host.new IN A   192.0.2.20
to-old   IN CNAME host.old
away     300 IN DNAME other.test.
far      IN DNAME example.invalid.
long     IN DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.
back     IN DNAME d.test.
deleg    IN NS  ns.deleg
         IN NS  ns.elsewhere.invalid.
ns.deleg IN A   192.0.2.30
         IN AAAA 2001:db8::30
_svc._udp IN SRV 0 5 53 ns
         IN SRV 1 5 53 mail
*.wild   IN CNAME to-app
to-app   IN CNAME app.example.test.
to-geo   IN CNAME geo.example.test.
chain1   IN CNAME chain2
chain2   IN CNAME chain3
chain3   IN CNAME chain4
chain4   IN CNAME chain5
chain5   IN CNAME chain6
chain6   IN CNAME chain7
chain7   IN CNAME chain8
chain8   IN CNAME chain9
chain9   IN CNAME www.example.test.
)";

const char* const other_test_zone = R"($ORIGIN other.test.
$TTL 300
@   IN SOA ns.other.test. hostmaster.other.test. 1 7200 3600 1209600 60
    IN NS  ns
ns  IN A   192.0.2.200
www IN A   192.0.2.201
)";

// The parent of d.test's delegation target and of example.test: DS at an apex and referrals
// from the parent side.
const char* const test_zone = R"($ORIGIN test.
$TTL 300
@            IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 60
             IN NS  ns
ns           IN A   192.0.2.250
d            IN NS  ns.d
             IN DS  12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.d         IN A   192.0.2.1
)";

// big.test: answers past 16 KiB, where owner names can no longer be compression pointers and
// are written out (WireWriter::write_owner), and past 64 KiB, truncated even over TCP.
std::string big_test_zone() {
  std::string zone =
      "$ORIGIN big.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 7200 3600 1209600 60\n  IN NS ns\nns IN A "
      "192.0.2.1\n";
  const std::string text(250, 't');
  for (int i = 0; i < 100; ++i) zone += "txt IN TXT \"" + std::to_string(1000 + i) + text + "\"\n";
  for (int i = 0; i < 280; ++i) zone += "huge IN TXT \"" + std::to_string(1000 + i) + text + "\"\n";
  // 100 MX records naming hosts of 242 wire bytes: 30 without addresses, then 70 with, so the
  // names of the 64 whose addresses go into the additional section run past 16 KiB.
  const std::string tail =
      "." + std::string(57, 'y') + "." + std::string(57, 'y') + "." + std::string(57, 'y');
  for (int i = 0; i < 30; ++i)
    zone +=
        "mx IN MX " + std::to_string(i) + " n" + std::to_string(100 + i) + std::string(53, 'x') + tail + "\n";
  for (int i = 0; i < 70; ++i) {
    const std::string host = "m" + std::to_string(100 + i) + std::string(53, 'x') + tail;
    zone += "mx IN MX " + std::to_string(30 + i) + " " + host + "\n" + host + " IN A 192.0.2." +
            std::to_string(i + 1) + "\n";
  }
  return zone;
}

const char* const latency_csv =
    "client_cidr,location,rtt_ms\n"
    "81.2.69.160/27,azure:westeurope,12\n"
    "81.2.69.160/27,azure:eastus,80\n"
    "2001:218::/32,azure:japaneast,5\n";

std::string config_text() {
  const std::string source = MERIDIAN_SOURCE_DIR;
  const std::string geo = MERIDIAN_GEO_TESTDATA;
  // The longest NSID the config allows, so header, question and OPT use the most room they can.
  const std::string nsid(255, 'n');
  return "server:\n"
         "  nsid: " +
         nsid +
         "\n"
         "  version: meridian-fuzz\n"
         "  udp_payload: 1232\n"
         "rrl:\n"
         "  enabled: true\n"
         "  ipv4_prefix: 24\n"
         "  ipv6_prefix: 56\n"
         "geo:\n"
         "  databases: [\"" +
         geo +
         "/maxmind-test-data/GeoIP2-City-Test.mmdb\"]\n"
         "  latency_table: latency.csv\n"
         "zones:\n"
         "  - {origin: example.test, file: \"" +
         source +
         "/tests/fixtures/zones/example.test.zone\"}\n"
         "  - {origin: other.test, file: other.test.zone}\n"
         "  - {origin: d.test, file: d.test.zone}\n"
         "  - {origin: test, file: test.zone}\n"
         "  - {origin: big.test, file: big.test.zone}\n"
         "profiles:\n"
         "  - name: app\n"
         "    fqdn: app.example.test\n"
         "    method: priority\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: primary, target: 192.0.2.1, priority: 1, enabled: false}\n"
         "      - {name: secondary, target: \"2001:db8::2\", priority: 2}\n"
         "      - {name: tertiary, target: 192.0.2.3, priority: 3}\n"
         "  - name: weights\n"
         "    fqdn: weighted.example.test\n"
         "    method: weighted\n"
         "    ttl: 10\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: a, target: 192.0.2.31, weight: 1}\n"
         "      - {name: b, target: 192.0.2.32, weight: 1000}\n"
         "      - {name: c, target: \"2001:db8::33\", weight: 5}\n"
         "      - {name: d, target: www.other.test}\n"
         "  - name: nearest\n"
         "    fqdn: nearest.example.test\n"
         "    method: performance\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: london, target: 192.0.2.41, location: {lat: 51.5, lon: -0.1}}\n"
         "      - {name: westeurope, target: 192.0.2.42, location: \"azure:westeurope\"}\n"
         "      - {name: eastus, target: 192.0.2.43, location: \"azure:eastus\"}\n"
         "      - {name: tokyo6, target: \"2001:db8::44\", location: \"azure:japaneast\"}\n"
         "  - name: geo\n"
         "    fqdn: geo.example.test\n"
         "    method: geographic\n"
         "    geo_fallback: hierarchy\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: england, target: 192.0.2.51, geo: [GB-ENG]}\n"
         "      - {name: sweden, target: 192.0.2.52, geo: [SE], enabled: false}\n"
         "      - {name: europe, target: 192.0.2.53, geo: [GEO-EU]}\n"
         "      - {name: us, target: 192.0.2.54, geo: [US, US-WA]}\n"
         "      - {name: japan, target: \"2001:db8::55\", geo: [JP]}\n"
         "      - {name: rest, target: app.cdn.example.net, geo: [WORLD]}\n"
         "  - name: many\n"
         "    fqdn: many.example.test\n"
         "    method: multivalue\n"
         "    max_return: 10\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: m1, target: 192.0.2.61}\n"
         "      - {name: m2, target: 192.0.2.62}\n"
         "      - {name: m3, target: 192.0.2.63}\n"
         "      - {name: m4, target: \"2001:db8::64\"}\n"
         "      - {name: m5, target: \"2001:db8::65\"}\n"
         "  - name: subnets\n"
         "    fqdn: subnet.example.test\n"
         "    method: subnet\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: lab, target: 192.0.2.71, subnets: [198.51.100.0/24, \"2001:db8:1::/48\"]}\n"
         "      - {name: london, target: 192.0.2.72, subnets: [81.2.69.160/27, 0.0.0.0/0]}\n"
         "      - {name: v6, target: \"2001:db8::73\", subnets: [\"::/0\"]}\n"
         "  - name: parent\n"
         "    fqdn: parent.example.test\n"
         "    method: priority\n"
         "    endpoints:\n"
         "      - {name: thin, profile: child-thin, priority: 1, min_child_endpoints: 2}\n"
         "      - {name: full, profile: child-full, priority: 2, min_child_endpoints_ipv6: 0}\n"
         "      - {name: geo, profile: geo, priority: 3}\n"
         "  - name: child-thin\n"
         "    fqdn: thin.example.test\n"
         "    method: weighted\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: a, target: 192.0.2.81}\n"
         "      - {name: b, target: 192.0.2.82, enabled: false}\n"
         "  - name: child-full\n"
         "    fqdn: full.example.test\n"
         "    method: weighted\n"
         "    affinity: client_subnet\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: c, target: 192.0.2.91}\n"
         "      - {name: d, target: \"2001:db8::92\"}\n"
         "  - name: alias\n"
         "    fqdn: alias.d.test\n"
         "    method: priority\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: in-zone, target: chain1.d.test, priority: 1}\n"
         "      - {name: away, target: app.cdn.example.net, priority: 2}\n"
         "  - name: apex\n"
         "    fqdn: other.test\n"
         "    method: priority\n"
         "    monitor: {protocol: none}\n"
         "    endpoints:\n"
         "      - {name: flat, target: app.cdn.example.net, flatten: true}\n"
         "  - name: checked\n"
         "    fqdn: checked.d.test\n"
         "    method: priority\n"
         "    monitor: {protocol: http, port: 8080}\n"
         "    endpoints:\n"
         "      - {name: up, target: 192.0.2.101}\n"
         "      - {name: served, target: 192.0.2.102, always_serve: true}\n";
}

struct World {
  fuzz::ScratchDir dir{"respond"};
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::shared_ptr<resolver::ResolvedTable> resolved;
  std::unique_ptr<server::Snapshot> snapshot;
  server::Counters counters;
  std::vector<geo::Address> sources;
  server::BatchResponder batch;
  std::vector<uint8_t> udp_out = std::vector<uint8_t>(udp_room);
  std::vector<uint8_t> batch_out = std::vector<uint8_t>(udp_room);
  std::vector<uint8_t> slip_out = std::vector<uint8_t>(udp_room);
  server::RateLimiter limiter{1};
  std::vector<uint8_t> tcp_out = std::vector<uint8_t>(server::max_response);

  World() {
    dir.write("d.test.zone", d_test_zone);
    dir.write("other.test.zone", other_test_zone);
    dir.write("test.zone", test_zone);
    dir.write("big.test.zone", big_test_zone());
    dir.write("latency.csv", latency_csv);
    config = conf::load_from_string(config_text(), (dir.path() / "meridian.yaml").string());
    health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    probes::publish_initial_statuses(*config, *health);
    // The flattened endpoint has addresses of both families, as if its target had resolved.
    resolved = std::make_shared<resolver::ResolvedTable>(config->endpoint_count);
    for (const auto& profile : config->profiles)
      for (const auto& endpoint : profile.endpoints)
        if (endpoint.flatten) {
          const geo::Address addresses[] = {*geo::Address::parse("192.0.2.111"),
                                            *geo::Address::parse("192.0.2.112"),
                                            *geo::Address::parse("2001:db8::113")};
          resolved->publish(endpoint.id, addresses);
        }
    snapshot = std::make_unique<server::Snapshot>(config, health, resolved);
    for (const char* text : {"81.2.69.160", "2001:218::1", "198.51.100.7", "127.0.0.1"})
      sources.push_back(*geo::Address::parse(text));
  }
};

World& world() {
  static World instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  const std::span<const uint8_t> packet(data, size);
  server::Query query;
  const auto outcome = server::parse_query(packet, query);
  // The ID picks the source and the endpoints' health, so the corpus stays plain DNS messages:
  // bit n of its first byte drains every endpoint whose id is n modulo 8 (failover, nested
  // minimums, all down), the top bit of its second forces the rest up (the HTTP-monitored ones
  // start CheckingEndpoint), its low two bits choose among four sources.
  const uint8_t drained = size >= 1 ? data[0] : 0;
  const bool forced_up = size >= 2 && (data[1] & 0x80);
  for (model::EndpointId id = 0; id < w.health->size(); ++id)
    w.health->set_override(id, drained >> (id % 8) & 1 ? probes::Override::drain
                               : forced_up             ? probes::Override::force_up
                                                       : probes::Override::none);
  const geo::Address& source = w.sources[size >= 2 ? data[1] % w.sources.size() : 0];
  const uint64_t seed = size;
  const auto& settings = w.snapshot->config().server;

  // UDP, one by one.
  routing::Random udp_random(seed);
  const server::Responder udp{*w.snapshot, udp_random, w.counters};
  const auto udp_response = udp.respond(packet, source, false, w.udp_out);
  fuzz::check_response(packet, query, outcome, udp_response, w.udp_out, fuzz::udp_limit(query, settings));

  // UDP through the batch responder, from the same random state: the same bytes.
  routing::Random batch_random(seed);
  const server::Responder batched{*w.snapshot, batch_random, w.counters};
  const std::span<const uint8_t> packets[] = {packet};
  w.batch.prepare(*w.snapshot, packets, std::span(&source, 1));
  const auto batch_response = w.batch.respond(batched, 0, source, w.batch_out);
  FUZZ_CHECK(batch_response.size == udp_response.size);
  FUZZ_CHECK(std::memcmp(w.batch_out.data(), w.udp_out.data(), udp_response.size) == 0);

  // Slipped out by rate limiting: the same answer cut to header, question and OPT, with TC.
  if (udp_response.size > 0) {
    std::memcpy(w.slip_out.data(), w.udp_out.data(), udp_response.size);
    const size_t slip_size = server::write_slip(udp_response, w.slip_out);
    FUZZ_CHECK(slip_size <= udp_response.size);
    FUZZ_CHECK(w.slip_out[2] & 0x02);
    FUZZ_CHECK((w.slip_out[6] | w.slip_out[7] | w.slip_out[8] | w.slip_out[9]) == 0);
    FUZZ_CHECK(w.slip_out[10] == 0 && w.slip_out[11] == (udp_response.opt_at ? 1 : 0));
    server::Response slipped = udp_response;
    slipped.size = slip_size;
    slipped.opt_at = udp_response.opt_at ? udp_response.question_end : 0;
    slipped.truncated = true;
    fuzz::check_response(packet, query, outcome, slipped, w.slip_out, fuzz::udp_limit(query, settings));
    (void)w.limiter.key(w.snapshot->config().rrl, source, query, udp_response);
  }

  // TCP: the 64 KiB limit.
  routing::Random tcp_random(seed);
  const server::Responder tcp{*w.snapshot, tcp_random, w.counters};
  const auto tcp_response = tcp.respond(packet, source, true, w.tcp_out);
  fuzz::check_response(packet, query, outcome, tcp_response, w.tcp_out, server::max_response);
  static const bool verbose = std::getenv("MERIDIAN_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "udp: rcode %u kind %d size %zu%s answers %u; tcp: size %zu answers %u\n",
                 udp_response.rcode, int(udp_response.kind), udp_response.size,
                 udp_response.truncated ? " TC" : "",
                 udp_response.size ? unsigned(w.udp_out[6] << 8 | w.udp_out[7]) : 0u, tcp_response.size,
                 tcp_response.size ? unsigned(w.tcp_out[6] << 8 | w.tcp_out[7]) : 0u);
  return 0;
}
