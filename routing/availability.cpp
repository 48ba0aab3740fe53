// Endpoint availability (DESIGN.md "Routing semantics"), nested child counts and fail-open.
#include "routing/availability.h"

namespace meridian::routing {

using model::Status;

bool is_serving(Status status) {
  return status == Status::Online || status == Status::CheckingEndpoint || status == Status::NotMonitored;
}

bool may_fail_open_to(Status status) {
  // Inactive only appears in a disabled profile, which never routes; treat it like Stopped.
  return status != Status::Disabled && status != Status::Stopped && status != Status::Inactive;
}

namespace {

Status health_slot(const Context& context, model::EndpointId id) {
  // A slot the table does not have is an endpoint no probe has judged yet.
  if (id >= context.health.size()) return Status::CheckingEndpoint;
  const auto raw = context.health[id].load(std::memory_order_acquire);
  if (raw > static_cast<uint8_t>(Status::NotMonitored)) return Status::CheckingEndpoint;
  return static_cast<Status>(raw);
}

const model::Profile* child_profile(const Context& context, const model::Endpoint& endpoint) {
  if (endpoint.child_index >= context.config.profiles.size()) return nullptr;
  return &context.config.profiles[endpoint.child_index];
}

bool meets_child_minimums(const model::Endpoint& endpoint, const ChildTally& tally) {
  if (tally.serving < endpoint.min_child_endpoints) return false;
  if (endpoint.min_child_endpoints_ipv4 && tally.serving_ipv4 < *endpoint.min_child_endpoints_ipv4)
    return false;
  if (endpoint.min_child_endpoints_ipv6 && tally.serving_ipv6 < *endpoint.min_child_endpoints_ipv6)
    return false;
  return true;
}

// Why a nested endpoint does not serve, in an operator's words.
void explain_nested(Query& query, const model::Endpoint& endpoint, Status status, unsigned depth) {
  const auto* child = child_profile(query.context, endpoint);
  if (!child || depth + 1 > max_nesting_depth) {
    query.trace.note("endpoint {} is Stopped: its child profile is missing or nested too deep",
                     endpoint.name);
    return;
  }
  if (status == Status::Stopped) {
    query.trace.note("endpoint {} is Stopped: child profile {} {}", endpoint.name, child->name,
                     child->enabled ? "has no enabled endpoint" : "is disabled");
    return;
  }
  const auto tally = tally_profile(query.context, *child, depth + 1);
  std::string minimums = fmt::format("min_child_endpoints {}", endpoint.min_child_endpoints);
  if (endpoint.min_child_endpoints_ipv4)
    minimums += fmt::format(", ipv4 {} (has {})", *endpoint.min_child_endpoints_ipv4, tally.serving_ipv4);
  if (endpoint.min_child_endpoints_ipv6)
    minimums += fmt::format(", ipv6 {} (has {})", *endpoint.min_child_endpoints_ipv6, tally.serving_ipv6);
  query.trace.note("endpoint {} is {}: child profile {} has {} available endpoint(s), needs {}",
                   endpoint.name, model::to_string(status), child->name, tally.serving, minimums);
}

// `endpoint` is `digest`'s endpoint, and is read only when it is nested.
Status status_of(const Context& context, const model::EndpointDigest& digest, const model::Endpoint& endpoint,
                 unsigned depth) {
  if (!digest.enabled) return Status::Disabled;
  const Status slot = health_slot(context, digest.id);
  if (slot == Status::Disabled) return Status::Disabled;  // drained through the control API
  if (digest.kind == model::TargetKind::nested) {
    // A nested endpoint is not probed itself: its child profile's endpoints are.
    const auto* child = child_profile(context, endpoint);
    if (!child || !child->enabled || depth + 1 > max_nesting_depth) return Status::Stopped;
    const auto tally = tally_profile(context, *child, depth + 1);
    if (tally.enabled == 0) return Status::Stopped;
    return meets_child_minimums(endpoint, tally) ? Status::Online : Status::Degraded;
  }
  if (digest.unmonitored) return Status::NotMonitored;
  return slot;
}

}  // namespace

Status endpoint_status(const Context& context, const model::Profile& profile, size_t index, unsigned depth) {
  return status_of(context, digest_at(profile, index), profile.endpoints[index], depth);
}

Status current_status(const Context& context, const model::Profile& profile, size_t index) {
  if (!has_digests(profile) || index >= profile.endpoints.size()) return Status::Stopped;
  return endpoint_status(context, profile, index, 0);
}

bool serves(Status status) {
  return is_serving(status);
}

ServingCount serving_endpoints(const Context& context, const model::Profile& profile) {
  ServingCount count;
  if (!has_digests(profile)) return count;
  for (size_t i = 0; i < profile.endpoints.size(); ++i) {
    if (!is_serving(endpoint_status(context, profile, i, 0))) continue;
    ++count.any;
    const auto& digest = digest_at(profile, i);
    if (answers_qtype(digest, qtype_a)) ++count.a;
    if (answers_qtype(digest, qtype_aaaa)) ++count.aaaa;
  }
  return count;
}

ChildTally tally_profile(const Context& context, const model::Profile& profile, unsigned depth) {
  ChildTally tally;
  if (!has_digests(profile)) return tally;  // route_profile would answer it NODATA: nothing serves
  for (size_t i = 0; i < profile.endpoints.size(); ++i) {
    const Status status = endpoint_status(context, profile, i, depth);
    if (status != Status::Disabled) ++tally.enabled;
    if (!is_serving(status)) continue;
    ++tally.serving;
    const model::EndpointDigest& digest = digest_at(profile, i);
    if (digest.kind != model::TargetKind::address) continue;
    if (digest.address.family == geo::Family::v6)
      ++tally.serving_ipv6;
    else
      ++tally.serving_ipv4;
  }
  return tally;
}

bool answers_qtype(const model::EndpointDigest& digest, uint16_t qtype) {
  if (digest.kind != model::TargetKind::address) return true;
  if (qtype == qtype_a) return digest.address.family == geo::Family::v4;
  if (qtype == qtype_aaaa) return digest.address.family == geo::Family::v6;
  return false;
}

Pool::Pool(Query& query, const model::Profile& profile, unsigned depth, Options options)
    : query_(query), profile_(profile), depth_(depth), options_(options) {
  size_t serving = 0;
  size_t fail_open_candidates = 0;
  // Only digests are read here (and a nested endpoint's child); the Endpoints themselves only
  // when a trace asks for their names.
  for (size_t i = 0; i < profile.endpoints.size(); ++i) {
    const auto& endpoint = profile.endpoints[i];
    const Status current = endpoint_status(query.context, profile, i, depth);
    if (i < cached_statuses) statuses_[i] = current;
    if (!in_pool(i)) {
      if (options.explain_statuses && query.trace)
        query.trace.note("endpoint {} skipped: its IPv{} target cannot answer {}", endpoint.name,
                         endpoint.address.family == geo::Family::v4 ? 4 : 6, qtype_name(query.qtype));
      continue;
    }
    if (is_serving(current)) {
      ++serving;
      continue;
    }
    if (may_fail_open_to(current)) ++fail_open_candidates;
    if (!options.explain_statuses || !query.trace) continue;
    if (endpoint.kind == model::TargetKind::nested && current != Status::Disabled)
      explain_nested(query, endpoint, current, depth);
    else
      query.trace.note("endpoint {} skipped: {}", endpoint.name, model::to_string(current));
  }
  if (serving > 0 || !options.fail_open) return;
  if (fail_open_candidates > 0) {
    failing_open_ = true;
    query.trace.note(
        "no endpoint available: failing open (every enabled endpoint that is not "
        "Stopped counts as available)");
  } else {
    query.trace.note("no enabled endpoint{}{}", options.by_qtype ? " can answer " : "",
                     options.by_qtype && query.trace ? qtype_name(query.qtype) : std::string());
  }
}

Status Pool::status(size_t index) const {
  if (index < cached_statuses) return statuses_[index];
  return endpoint_status(query_.context, profile_, index, depth_);
}

bool Pool::in_pool(size_t index) const {
  // For A and AAAA only endpoints of that family (or FQDN and nested ones) compete. Any other
  // type routes over every endpoint: the name then is whatever the method picks, and only a
  // picked FQDN endpoint yields a CNAME, so a CNAME never appears beside an address answer.
  if (!options_.by_qtype || !query_.asks_for_address()) return true;
  return answers_qtype(digest_at(profile_, index), query_.qtype);
}

bool Pool::eligible(size_t index) const {
  if (!in_pool(index)) return false;
  const Status current = status(index);
  return is_serving(current) || (failing_open_ && may_fail_open_to(current));
}

}  // namespace meridian::routing
