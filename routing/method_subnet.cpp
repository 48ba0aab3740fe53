// Subnet routing: the endpoint whose CIDR range holds the client (longest prefix wins), else the
// endpoint with no ranges; an unavailable match answers NODATA.
#include <algorithm>

#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

// How many leading bits two addresses of one family share.
unsigned common_prefix_length(const geo::Address& a, const geo::Address& b) {
  unsigned bits = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint8_t difference = a.bytes[i] ^ b.bytes[i];
    if (difference == 0) {
      bits += 8;
      continue;
    }
    for (uint8_t mask = 0x80; (difference & mask) == 0; mask >>= 1) ++bits;
    break;
  }
  return bits;
}

struct SubnetMatch {
  ptrdiff_t index = -1;          // the endpoint whose range holds the client, or -1
  const geo::Cidr* cidr = nullptr;
  unsigned scope = 0;            // see find_match
};

// The longest range holding the client among endpoints that are not Disabled (a disabled
// endpoint leaves the profile, so the lookup falls through to broader ranges and the catch-all).
//
// The ECS scope must be a prefix S such that every address sharing the client's first S bits
// gets the same match. Ranges that hold the client and are shorter than the match cannot change
// that, nor can ranges disjoint from the match. A range R longer than the match that does not
// hold the client first differs from it at bit c = common_prefix_length(client, R): any S > c
// keeps the client's block out of R. So S is the longest of the match's length and c + 1 over
// those ranges. With no match the same rule, over every range, gives the catch-all's scope.
SubnetMatch find_match(const Query& query, const model::Profile& profile, const Pool& pool) {
  const geo::Address& client = query.client.address;
  SubnetMatch match;
  for (size_t i = 0; i < profile.endpoints.size(); ++i) {
    if (pool.status(i) == model::Status::Disabled) continue;
    for (const auto& cidr : profile.endpoints[i].subnets) {
      if (cidr.network.family != client.family) continue;
      if (cidr.contains(client) && (!match.cidr || cidr.prefix > match.cidr->prefix)) {
        match.index = static_cast<ptrdiff_t>(i);
        match.cidr = &cidr;
      }
    }
  }
  match.scope = match.cidr ? match.cidr->prefix : 0;
  for (size_t i = 0; i < profile.endpoints.size(); ++i) {
    if (pool.status(i) == model::Status::Disabled) continue;
    for (const auto& cidr : profile.endpoints[i].subnets) {
      if (cidr.network.family != client.family || cidr.prefix <= match.scope) continue;
      if (cidr.contains(client)) continue;  // only the match itself, already counted
      match.scope = std::max(match.scope, common_prefix_length(client, cidr.network) + 1);
    }
  }
  return match;
}

ptrdiff_t catch_all(const model::Profile& profile, const Pool& pool) {
  for (size_t i = 0; i < profile.endpoints.size(); ++i)
    if (profile.endpoints[i].subnets.empty() && pool.status(i) != model::Status::Disabled)
      return static_cast<ptrdiff_t>(i);
  return -1;
}

}  // namespace

const model::Endpoint* choose_subnet(Query& query, const model::Profile& profile, unsigned depth) {
  const Pool pool(query, profile, depth, Pool::Options{.by_qtype = false, .fail_open = true,
                                                        .explain_statuses = false});
  const SubnetMatch match = find_match(query, profile, pool);
  query.depends_on_prefix(match.scope);
  ptrdiff_t index = match.index;
  if (index >= 0) {
    if (query.trace)
      query.trace.note("client {} is in {} of endpoint {}", query.client.address.to_string(),
                       match.cidr->to_string(), profile.endpoints[index].name);
  } else {
    index = catch_all(profile, pool);
    if (index < 0) {
      if (query.trace)
        query.trace.note("no range holds client {} and no endpoint is without ranges: NODATA",
                         query.client.address.to_string());
      return nullptr;
    }
    if (query.trace)
      query.trace.note("no range holds client {}: endpoint {} has no ranges and takes it",
                       query.client.address.to_string(), profile.endpoints[index].name);
  }
  const auto& endpoint = profile.endpoints[index];
  const model::Status status = pool.status(index);
  if (pool.eligible(index)) {
    query.trace.note("endpoint {} chosen ({}{})", endpoint.name, model::to_string(status),
                     is_serving(status) ? "" : ", failing open");
    return &endpoint;
  }
  query.trace.note("endpoint {} is {}: NODATA", endpoint.name, model::to_string(status));
  return nullptr;
}

}  // namespace meridian::routing
