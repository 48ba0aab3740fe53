#include "server/batch_responder.h"

#include <algorithm>
#include <string_view>

#include "routing/routing.h"

namespace meridian::server {

namespace {

std::string_view lower_qname(const Query& query) {
  return {reinterpret_cast<const char*>(query.qname_lower), query.qname_length};
}

}  // namespace

void BatchResponder::prepare(const Snapshot& snapshot, std::span<const std::span<const uint8_t>> packets,
                             std::span<const geo::Address> sources) {
  const size_t count = std::min({packets.size(), sources.size(), capacity});
  const bool fetch_ahead = snapshot.fetch_ahead();
  const geo::GeoDb* geo = snapshot.locates_clients() ? snapshot.geo() : nullptr;
  for (size_t i = 0; i < count; ++i) {
    hashes_[i] = 0;
    outcomes_[i] = ParseOutcome::drop;
    if (!packets[i].data()) continue;
    const Query& query = queries_[i];
    outcomes_[i] = parse_query(packets[i], queries_[i]);
    if (outcomes_[i] != ParseOutcome::ok) continue;
    // The address routing will place (server/responder.cpp): the ECS one when it has bits.
    if (geo) geo->prefetch(query.has_ecs && query.ecs.source_prefix > 0 ? query.ecs.address : sources[i]);
    if (!fetch_ahead) continue;
    hashes_[i] = snapshot.profile_hash(lower_qname(query));
    if (hashes_[i]) snapshot.prefetch_profile_slot(hashes_[i]);
  }
  for (size_t i = 0; i < count; ++i)
    if (hashes_[i]) snapshot.prefetch_profile_entry(hashes_[i]);
  for (size_t i = 0; i < count; ++i) {
    if (!hashes_[i]) continue;
    if (const model::Profile* profile = snapshot.profile_for(lower_qname(queries_[i]), hashes_[i]))
      routing::prefetch(*profile);
  }
}

}  // namespace meridian::server
