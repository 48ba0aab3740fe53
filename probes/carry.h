// What a reloaded ProbeService keeps of the one it replaces: a pure function of both configs,
// their plans and the running service's reports, so every rule is unit-tested without threads.
//
// Endpoints are matched by (profile name, endpoint name); their ids may differ between configs.
// - A probed endpoint keeps its verdict (status, consecutive counts, last result, last
//   transition) when it was probed before and has results, its target is the same (the same
//   address, or the same FQDN) and every monitor setting is equal. Anything else starts afresh,
//   CheckingEndpoint, as at start-up; endpoints that are not probed get their status from the
//   config, as at start-up.
// - An FQDN target resolved under both configs keeps its last good addresses when its name is
//   unchanged (whatever else changed), so flattened answers and its probes go on while the new
//   resolver looks it up again.
// - A profile that was announced ready and whose endpoints all kept their verdict or their fixed
//   status (same names, none added or removed) is not announced again.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "probes/plan.h"
#include "probes/probes.h"
#include "probes/verdict.h"

namespace meridian::probes {

// Indexed by the new config's endpoint ids and profile indexes. A default Carry keeps nothing:
// what a service started from scratch uses.
struct Carry {
  std::vector<std::optional<EndpointReport>> verdicts;  // the old report, when the verdict is kept
  std::vector<std::vector<geo::Address>> resolved;      // the last good answer, when kept
  std::vector<bool> quiet;                              // per profile: not announced ready again
  size_t kept = 0;                                      // verdicts kept

  const EndpointReport* verdict(model::EndpointId id) const {
    return id < verdicts.size() && verdicts[id] ? &*verdicts[id] : nullptr;
  }
  std::span<const geo::Address> addresses(model::EndpointId id) const {
    return id < resolved.size() ? std::span<const geo::Address>(resolved[id])
                                : std::span<const geo::Address>();
  }
  bool is_quiet(size_t profile_index) const { return profile_index < quiet.size() && quiet[profile_index]; }
};

// The report for an endpoint, what carry_over reads of a running service: from its plan, its
// verdict once it has results, and (FQDN targets) its resolved addresses.
EndpointReport make_report(const EndpointPlan& plan, const Verdict* verdict, Timestamp started,
                           std::span<const geo::Address> resolved = {}, const ProbeStats* stats = nullptr);

// `before_reports` are the running service's reports, indexed like `before_plans`.
Carry carry_over(const model::Config& before, const std::vector<EndpointPlan>& before_plans,
                 std::span<const EndpointReport> before_reports, const model::Config& after,
                 const std::vector<EndpointPlan>& after_plans);

// Every monitor setting equal (a probe of one is a probe of the other).
bool same_monitor(const model::Monitor& a, const model::Monitor& b);

}  // namespace meridian::probes
