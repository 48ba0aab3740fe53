// Priority routing: the available endpoint with the lowest priority value.
#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

// conf/ gives every endpoint a unique priority; an unset one (0) still ranks after set ones
// so a config that skipped validation behaves sensibly.
unsigned rank(const model::EndpointDigest& digest) {
  return digest.priority == 0 ? ~0u : digest.priority;
}

}  // namespace

const model::Endpoint* choose_priority(Query& query, const model::Profile& profile, unsigned depth) {
  const Pool pool(query, profile, depth, standard_pool);
  const model::Endpoint* best = nullptr;
  unsigned best_rank = 0;
  for (size_t i = 0; i < pool.size(); ++i) {
    if (!pool.eligible(i)) continue;
    const unsigned endpoint_rank = rank(digest_at(profile, i));
    if (!best || endpoint_rank < best_rank) {
      best = &profile.endpoints[i];
      best_rank = endpoint_rank;
    }
  }
  if (best)
    query.trace.note("endpoint {} chosen: lowest priority value ({}) among {} endpoints",
                     best->name, best->priority, pool.failing_open() ? "enabled" : "available");
  return best;
}

}  // namespace meridian::routing
