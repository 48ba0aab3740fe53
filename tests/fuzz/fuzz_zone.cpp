// A zone file of any text, loaded as the server loads it: through the config (ldns reads it,
// conf checks it) into a snapshot. It is either refused with a ConfigError naming a file, or
// served: then every name and type it holds is asked for over UDP and TCP, and each answer must
// be a message ldns can parse, within the size the query allows. Reading the file alone missed
// rdata that parsed but broke the snapshot (RFC 3597 MX rdata cut short).
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.h"
#include "fuzz_support.h"
#include "probes/health_table.h"
#include "server/responder.h"
#include "server/snapshot.h"

using namespace meridian;

namespace {

// Every (owner, type) the zone holds, at most `most` of them: answering costs more than reading.
std::vector<std::pair<std::vector<uint8_t>, uint16_t>> questions(const model::Zone& zone, size_t most) {
  std::set<std::pair<std::vector<uint8_t>, uint16_t>> seen;
  for (const auto& record : zone.records) {
    if (seen.size() == most) break;
    seen.insert({std::vector<uint8_t>(record.owner.begin(), record.owner.end()), record.type});
  }
  return {seen.begin(), seen.end()};
}

// A query for the wire-format name and type, with EDNS (payload 1232) when `edns`.
std::vector<uint8_t> query_message(const std::vector<uint8_t>& name, uint16_t type, bool edns) {
  std::vector<uint8_t> out = {0x4d, 0x52, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? uint8_t(1) : uint8_t(0)};
  out.insert(out.end(), name.begin(), name.end());
  out.insert(out.end(), {uint8_t(type >> 8), uint8_t(type), 0, 1});
  if (edns) out.insert(out.end(), {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0});
  return out;
}

void check_answer(const server::Snapshot& snapshot, const std::vector<uint8_t>& query, bool tcp,
                  size_t udp_limit) {
  static routing::Random random{7};
  static server::Counters counters;
  static std::vector<uint8_t> out(server::max_response);
  const server::Responder responder{snapshot, random, counters};
  const auto response = responder.respond(query, *geo::Address::parse("198.51.100.7"), tcp, out);
  MERIDIAN_FUZZ_CHECK(response.size >= 12);  // a well-formed query always gets an answer
  MERIDIAN_FUZZ_CHECK(response.size <= (tcp ? server::max_response : udp_limit));
  MERIDIAN_FUZZ_CHECK(out[0] == query[0] && out[1] == query[1] && (out[2] & 0x80));
  ldns_pkt* parsed = nullptr;
  const ldns_status status = ldns_wire2pkt(&parsed, out.data(), response.size);
  if (status != LDNS_STATUS_OK)
    meridian::fuzz::finding(std::string("ldns cannot parse the answer: ") + ldns_get_errorstr_by_id(status));
  ldns_pkt_free(parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // $INCLUDE of a file that never ends (/dev/zero) would be a hang of the input's making.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* endless : {"/dev", "/proc", "/sys"})
    if (text.find(endless) != std::string_view::npos) return 0;
  static const std::string folder = "/tmp/meridian-fuzz-zone-" + std::to_string(getpid());
  static const std::string file = folder + ".zone";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  static const std::string yaml =
      "server: {udp_payload: 1232}\n"
      "zones:\n"
      "  - origin: example.test\n"
      "    file: " +
      file + "\n";
  std::shared_ptr<const model::Config> config;
  std::unique_ptr<server::Snapshot> snapshot;
  try {
    config = conf::load_from_string(yaml, folder + ".yaml");
    auto health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    snapshot = std::make_unique<server::Snapshot>(config, health);
  } catch (const conf::ConfigError&) {
    return 0;
  } catch (const std::exception& error) {
    meridian::fuzz::finding(std::string("not a ConfigError: ") + error.what());
  }
  const auto& zone = config->zones.at(0);
  for (const auto& record : zone.records) MERIDIAN_FUZZ_CHECK(record.owner.size() <= 255);
  for (const auto& [name, type] : questions(zone, 16)) {
    check_answer(*snapshot, query_message(name, type, false), false, 512);
    check_answer(*snapshot, query_message(name, type, true), false, 1232);
    check_answer(*snapshot, query_message(name, type, true), true, 0);
  }
  return 0;
}
