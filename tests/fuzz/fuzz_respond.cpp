// Raw datagrams into Responder::respond over a snapshot of static data and every routing
// method (respond.yaml): never a crash, never more than the size limit the query allows, the
// ID echoed, QR set, and every response a message ldns can parse.
//
// The first input byte picks the transport and the client's address; the rest is the message.
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "conf/config.h"
#include "fuzz_support.h"
#include "probes/health_table.h"
#include "server/responder.h"
#include "server/snapshot.h"

using namespace meridian;

namespace {

struct World {
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::unique_ptr<server::Snapshot> snapshot;
  routing::Random random{7};
  server::Counters counters;

  World() {
    const std::string folder = MERIDIAN_SOURCE_DIR "/tests/fuzz";
    std::ifstream in(folder + "/respond.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const std::string geo = MERIDIAN_SOURCE_DIR "/tests/fixtures/geo-testdata";
    for (size_t at; (at = yaml.find("{GEO}")) != std::string::npos;) yaml.replace(at, 5, geo);
    config = conf::load_from_string(yaml, folder + "/respond.yaml");
    health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    snapshot = std::make_unique<server::Snapshot>(config, health);
  }
};

World& world() {
  static World instance;
  return instance;
}

geo::Address source_for(uint8_t choice) {
  static const char* const sources[] = {"198.51.100.7",  "81.2.69.160", "214.0.0.1",
                                        "2001:db8:1::5", "2001:218::1", "127.0.0.1"};
  return *geo::Address::parse(sources[choice % 6]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto& w = world();
  const bool tcp = data[0] & 0x80;
  const auto source = source_for(data[0] & 0x7f);
  const std::span<const uint8_t> packet(data + 1, size - 1);

  static std::vector<uint8_t> out(server::max_response);
  const server::Responder responder{*w.snapshot, w.random, w.counters};
  const auto response = responder.respond(packet, source, tcp, out);
  if (response.size == 0) return 0;

  MERIDIAN_FUZZ_CHECK(response.size >= 12);
  MERIDIAN_FUZZ_CHECK(response.size <= server::max_response);
  if (!tcp) {
    // UDP: 512 bytes, or what the client's EDNS allows up to the server's own payload size.
    server::Query query;
    server::parse_query(packet, query);
    const size_t limit =
        query.edns ? std::max<size_t>(512, std::min<size_t>(query.udp_size, w.config->server.udp_payload))
                   : 512;
    MERIDIAN_FUZZ_CHECK(response.size <= limit);
  }
  MERIDIAN_FUZZ_CHECK(packet.size() >= 2 && out[0] == packet[0] && out[1] == packet[1]);
  MERIDIAN_FUZZ_CHECK(out[2] & 0x80);
  ldns_pkt* parsed = nullptr;
  const ldns_status status = ldns_wire2pkt(&parsed, out.data(), response.size);
  if (status != LDNS_STATUS_OK)
    meridian::fuzz::finding(std::string("ldns cannot parse the response: ") +
                            ldns_get_errorstr_by_id(status));
  ldns_pkt_free(parsed);
  return 0;
}
