// Endpoint statuses as routing sees them, and the pool of endpoints a method may choose from.
#pragma once

#include <array>
#include <cstddef>

#include "conf/model.h"
#include "routing/query.h"

namespace meridian::routing {

// Online, CheckingEndpoint (no verdict yet) and NotMonitored serve; the rest do not.
bool is_serving(model::Status status);

// The status of endpoint `index` of `profile`, which sits `depth` nesting levels below the queried
// one. Disabled covers enabled:false and a drain written to the health table. A nested
// endpoint's status comes from its child: Stopped when the child is disabled or has no enabled
// endpoint, Online when the child meets min_child_endpoints (and the per-family minimums),
// Degraded otherwise. It is read from the endpoint's digest: only a nested endpoint's status
// reads the Endpoint.
model::Status endpoint_status(const Context& context, const model::Profile& profile, size_t index,
                              unsigned depth);

// Routing reads endpoints through their digests, and performance their positions
// (model::index_endpoints, which conf/ runs on every profile it loads). A profile without them
// is answered NODATA (route_profile says so in a trace); checking once there keeps every read
// below a plain array access.
inline bool has_digests(const model::Profile& profile) {
  const size_t endpoints = profile.endpoints.size();
  return profile.digests.size() == endpoints &&
         (profile.method != model::Method::performance || profile.positions.size() == endpoints);
}
inline const model::EndpointDigest& digest_at(const model::Profile& profile, size_t index) {
  return profile.digests[index];
}
// Endpoint `index`'s address, from its digest: the answer's record data.
inline const geo::Address* address_at(const model::Profile& profile, size_t index) {
  return &profile.digests[index].address;
}
// Where `endpoint`, an element of profile.endpoints, sits in it (no memory read).
inline size_t index_of(const model::Profile& profile, const model::Endpoint& endpoint) {
  return static_cast<size_t>(&endpoint - profile.endpoints.data());
}

// How many endpoints of a profile are enabled and how many serve, for min_child_endpoints.
struct ChildTally {
  unsigned enabled = 0;
  unsigned serving = 0;
  unsigned serving_ipv4 = 0;  // address endpoints only: what min_child_endpoints_ipv4 counts
  unsigned serving_ipv6 = 0;
};
ChildTally tally_profile(const Context& context, const model::Profile& profile, unsigned depth);

// Whether an endpoint can answer the query type: an address only its own family's A/AAAA, an
// FQDN any type (with a CNAME), a nested profile any type (its child decides).
bool answers_qtype(const model::EndpointDigest& digest, uint16_t qtype);

// The endpoints of one profile a method may choose from, with fail-open decided once.
//
// Statuses of the first `cached_statuses` endpoints are read once, so one query sees one
// consistent health picture and nested statuses are not recounted on every pass; endpoints past
// that bound are re-read on each call (a probe may flip one mid-query; callers cope).
class Pool {
 public:
  struct Options {
    // For A and AAAA, keep only the endpoints that can answer that family (priority, weighted,
    // performance, multivalue). Geographic and subnet match the client first and check the
    // family of the match afterwards, so they keep every endpoint.
    bool by_qtype = true;
    // Fail open when nothing in the pool serves. Geographic does not: health never moves its
    // answer, except through geo_fallback.
    bool fail_open = true;
    // Trace every endpoint that cannot be chosen; methods that look at one match trace it there.
    bool explain_statuses = true;
  };

  Pool(Query& query, const model::Profile& profile, unsigned depth, Options options);

  model::Status status(size_t index) const;
  bool in_pool(size_t index) const;
  // In the pool and serving, or, while failing open, in the pool and neither Disabled nor
  // Stopped (nor Inactive).
  bool eligible(size_t index) const;
  bool failing_open() const { return failing_open_; }
  size_t size() const { return profile_.endpoints.size(); }

 private:
  static constexpr size_t cached_statuses = 64;

  Query& query_;
  const model::Profile& profile_;
  unsigned depth_;
  Options options_;
  std::array<model::Status, cached_statuses> statuses_{};
  bool failing_open_ = false;
};

// The options priority, weighted, performance and multivalue use. A named constant, not an
// `Options{}` at each call: GCC built that temporary with byte stores and passed it as one word
// read straight back, a store-forwarding stall that was half of choose_priority's time.
inline constexpr Pool::Options standard_pool{};

// True for a status that fail-open may still serve: the endpoint is enabled and not Stopped.
bool may_fail_open_to(model::Status status);

}  // namespace meridian::routing
