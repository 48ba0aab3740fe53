// Endpoint statuses as routing sees them, and the pool of endpoints a method may choose from.
#pragma once

#include <array>
#include <cstddef>

#include "conf/model.h"
#include "routing/query.h"

namespace meridian::routing {

// Online, CheckingEndpoint (no verdict yet) and NotMonitored serve; the rest do not.
bool is_serving(model::Status status);

// The status of `endpoint`, which sits in a profile `depth` nesting levels below the queried
// one. Disabled covers enabled:false and a drain written to the health table. A nested
// endpoint's status comes from its child: Stopped when the child is disabled or has no enabled
// endpoint, Online when the child meets min_child_endpoints (and the per-family minimums),
// Degraded otherwise.
model::Status endpoint_status(const Context& context, const model::Endpoint& endpoint, unsigned depth);

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
bool answers_qtype(const model::Endpoint& endpoint, uint16_t qtype);

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

// True for a status that fail-open may still serve: the endpoint is enabled and not Stopped.
bool may_fail_open_to(model::Status status);

}  // namespace meridian::routing
