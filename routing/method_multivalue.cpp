// Multivalue routing: up to max_return available address endpoints of the queried family.
#include <algorithm>
#include <utility>

#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

void answer_multivalue(Query& query, const model::Profile& profile, unsigned depth, Answer& answer) {
  answer.kind = Answer::Kind::nodata;
  if (!query.asks_for_address()) {
    if (query.trace)
      query.trace.note("multivalue answers only A and AAAA, not {}: NODATA", qtype_name(query.qtype));
    return;
  }
  const Pool pool(query, profile, depth, standard_pool);
  const size_t wanted = std::min<size_t>(std::max(profile.max_return, 1u), max_answers);
  // Reservoir sampling: every subset of `wanted` eligible endpoints is equally likely, without a
  // temporary list of all of them, so load spreads evenly however many endpoints serve.
  size_t seen = 0;
  for (size_t i = 0; i < pool.size(); ++i) {
    const auto& endpoint = profile.endpoints[i];
    // conf/ allows only address endpoints here; anything else is ignored rather than answered.
    if (!pool.eligible(i) || digest_at(profile, i).kind != model::TargetKind::address) continue;
    ++seen;
    if (answer.count < wanted) {
      answer.endpoints[answer.count++] = &endpoint;
    } else if (const uint64_t slot = query.random.below(seen); slot < wanted) {
      answer.endpoints[slot] = &endpoint;
    }
  }
  // Shuffle too: many clients use the first address, so the order must not favour config order.
  for (size_t i = answer.count; i > 1; --i)
    std::swap(answer.endpoints[i - 1], answer.endpoints[query.random.below(i)]);
  if (answer.count == 0) return;
  answer.kind = Answer::Kind::addresses;
  for (size_t i = 0; i < answer.count; ++i)
    answer.addresses[i] = address_at(profile, index_of(profile, *answer.endpoints[i]));
  if (query.trace) {
    std::string names;
    for (size_t i = 0; i < answer.count; ++i) names += (i ? ", " : "") + answer.endpoints[i]->name;
    query.trace.note("{} of {} {} endpoint(s) returned (max_return {}): {}", answer.count, seen,
                     pool.failing_open() ? "enabled" : "available", profile.max_return, names);
  }
}

}  // namespace meridian::routing
