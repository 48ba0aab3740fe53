// What a probe of a fake region returns, and when, in virtual time: the region's condition turned
// into the outcome the real checkers would observe, judged by the same functions they use
// (probes/outcome.h), so reasons and expected-status rules are the real ones.
#pragma once

#include <optional>

#include "conf/model.h"
#include "probes/result.h"
#include "sim/scenario.h"

namespace meridian::sim {

// How a region behaves now: healthy (EventKind::recover), fail, hang, degrade or slow.
struct RegionCondition {
  EventKind kind = EventKind::recover;
  model::Duration delay{0};  // slow only
};

struct SimulatedProbe {
  probes::Result result;
  model::Duration after{0};  // from the probe's start to its result
};

// `region` is null for a probed endpoint no region serves: nothing listens, the connection is
// refused. An answer that would take the monitor's timeout or longer is a timeout at the timeout.
SimulatedProbe simulated_probe(const model::Monitor& monitor, const Region* region,
                               const RegionCondition& condition);

// A probe in flight (started `elapsed` ago) when its region goes from `before` to `after`, as the
// fake region treats the open connection: a fail resets it, a hang's held request is closed, a
// request still waiting is timed again from its arrival with the new wait (answered at once if
// that is over), and a new hang holds it to the timeout. Empty when nothing changes for it.
// `after` of the result counts from the probe's start.
std::optional<SimulatedProbe> probe_after_change(const model::Monitor& monitor, const Region& region,
                                                 const RegionCondition& before, const RegionCondition& after,
                                                 model::Duration elapsed);

}  // namespace meridian::sim
