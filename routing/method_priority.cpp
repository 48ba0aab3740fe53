// Priority routing: the available endpoint with the lowest priority value.
#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

// conf/ gives every endpoint a unique priority; an unset one (0) still ranks after set ones
// so a config that skipped validation behaves sensibly.
unsigned rank(const model::Endpoint& endpoint) {
  return endpoint.priority == 0 ? ~0u : endpoint.priority;
}

}  // namespace

const model::Endpoint* choose_priority(Query& query, const model::Profile& profile, unsigned depth) {
  const Pool pool(query, profile, depth, Pool::Options{});
  const model::Endpoint* best = nullptr;
  for (size_t i = 0; i < pool.size(); ++i) {
    if (!pool.eligible(i)) continue;
    const auto& endpoint = profile.endpoints[i];
    if (!best || rank(endpoint) < rank(*best)) best = &endpoint;
  }
  if (best)
    query.trace.note("endpoint {} chosen: lowest priority value ({}) among {} endpoints",
                     best->name, best->priority, pool.failing_open() ? "enabled" : "available");
  return best;
}

}  // namespace meridian::routing
