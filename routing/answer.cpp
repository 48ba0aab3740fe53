// routing::answer: runs a profile's method, follows nested choices into child profiles, and
// turns the final choice into addresses, a CNAME or NODATA with its TTL and ECS scope.
#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

const model::Endpoint* choose(Query& query, const model::Profile& profile, unsigned depth) {
  switch (profile.method) {
    case model::Method::priority: return choose_priority(query, profile, depth);
    case model::Method::weighted: return choose_weighted(query, profile, depth);
    case model::Method::performance: return choose_performance(query, profile, depth);
    case model::Method::geographic: return choose_geographic(query, profile, depth);
    case model::Method::subnet: return choose_subnet(query, profile, depth);
    case model::Method::multivalue: break;  // answers several endpoints: see route_profile
  }
  return nullptr;
}

// Only the digest is read for an address endpoint; an FQDN endpoint's name is in the Endpoint.
void answer_with(Query& query, const model::Profile& profile, size_t index, Answer& answer) {
  const model::Endpoint& endpoint = profile.endpoints[index];
  const model::EndpointDigest& digest = digest_at(profile, index);
  switch (digest.kind) {
    case model::TargetKind::fqdn:
      // A CNAME to routing, flattened or not: server/ turns a flattened endpoint into the
      // target's addresses as resolver/ last resolved them, which routing does not read.
      answer.kind = Answer::Kind::cname;
      answer.endpoints[0] = &endpoint;
      answer.count = 1;
      if (!endpoint.flatten) {
        query.trace.note("answer: CNAME {}", endpoint.fqdn);
      } else if (query.trace) {
        if (query.qtype == 1 || query.qtype == 28)
          query.trace.note(
              "answer: flattened {}: its {} records as the resolver last resolved them, under the queried "
              "name; NODATA while it has none (not resolved yet, or none of this family)",
              endpoint.fqdn, qtype_name(query.qtype));
        else
          query.trace.note("answer: flattened {}: NODATA, a flattened endpoint answers A and AAAA alone",
                           endpoint.fqdn);
      }
      return;
    case model::TargetKind::address:
      if (answers_qtype(digest, query.qtype)) {
        answer.kind = Answer::Kind::addresses;
        answer.endpoints[0] = &endpoint;
        answer.addresses[0] = address_at(profile, index);
        answer.count = 1;
        if (query.trace) query.trace.note("answer: {}", endpoint.address.to_string());
        return;
      }
      if (query.trace)
        query.trace.note("endpoint {} has an IPv{} address, nothing for {}: NODATA", endpoint.name,
                         endpoint.address.family == geo::Family::v4 ? 4 : 6, qtype_name(query.qtype));
      return;
    case model::TargetKind::nested:
      return;  // route_profile follows it
  }
}

void route_profile(Query& query, const model::Profile& profile, unsigned depth, Answer& answer) {
  query.trace.note("profile {} ({})", profile.name, model::to_string(profile.method));
  if (!profile.enabled) {
    query.trace.note("profile {} is disabled: NODATA", profile.name);
    return;
  }
  if (!has_digests(profile)) {
    query.trace.note(
        "profile {} is not indexed (no endpoint digests or positions; model::index_endpoints): NODATA",
        profile.name);
    return;
  }
  prefetch(profile);
  if (profile.method == model::Method::multivalue) {
    answer_multivalue(query, profile, depth, answer);
    return;
  }
  const model::Endpoint* chosen = choose(query, profile, depth);
  if (!chosen) {
    query.trace.note("profile {} answers NODATA", profile.name);
    return;
  }
  const size_t chosen_index = index_of(profile, *chosen);
  if (digest_at(profile, chosen_index).kind != model::TargetKind::nested) {
    answer_with(query, profile, chosen_index, answer);
    return;
  }
  if (depth + 1 > max_nesting_depth || chosen->child_index >= query.context.config.profiles.size()) {
    query.trace.note("endpoint {}: child profile missing or nested deeper than {}: NODATA", chosen->name,
                     max_nesting_depth);
    return;
  }
  const auto& child = query.context.config.profiles[chosen->child_index];
  query.trace.note("entered child profile {}", child.name);
  query.trace.enter_child();
  route_profile(query, child, depth + 1, answer);
  query.trace.leave_child();
}

}  // namespace

void prefetch(const model::Profile& profile) {
  // Every method but geographic reads each endpoint's digest (performance also its position):
  // ask for all of their lines at once, so the misses overlap instead of coming one after
  // another. With 10,000 profiles these misses were a third of a query's time.
  // Geographic reads its code index, then the digest of the endpoint owning the client's code:
  // which one is not known yet, so all of them.
  auto fetch = [](const auto& items) {
    const char* bytes = reinterpret_cast<const char*>(items.data());
    const size_t size = items.size() * sizeof(items[0]);
    for (size_t at = 0; at < size; at += 64) __builtin_prefetch(bytes + at);
    if (size > 0) __builtin_prefetch(bytes + size - 1);  // the last line, when the array straddles one more
  };
  if (profile.method == model::Method::geographic) fetch(profile.geo_owners);
  fetch(profile.digests);
  if (profile.method == model::Method::performance) fetch(profile.positions);
}

Answer answer(const Context& context, const model::Profile& profile, Client& client, uint16_t qtype,
              Random& random, Trace* trace) {
  Query query{context, client, qtype, random, TraceWriter(trace)};
  Answer result;
  // The queried profile's TTL, also when a child profile answered: the client asked for this
  // name, and one name has one TTL whichever branch answered (a child's TTL applies when the
  // child's own name is queried).
  result.ttl = profile.ttl;
  route_profile(query, profile, 0, result);
  result.scope_prefix = std::min(query.scope, client.source_prefix);
  if (query.trace && result.scope_prefix > 0)
    query.trace.note("ECS scope /{}: the answer holds for every client in that prefix", result.scope_prefix);
  else
    query.trace.note("ECS scope /0: the answer does not depend on the client");
  return result;
}

}  // namespace meridian::routing
