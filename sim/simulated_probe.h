// What a probe of a fake region returns, and when, in virtual time: the region's condition turned
// into the outcome the real checkers would observe, judged by the same functions they use
// (probes/outcome.h), so reasons and expected-status rules are the real ones.
#pragma once

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

}  // namespace meridian::sim
