// Virtual time: the scenario run through the real routing and the real probe policy
// (probes::Monitor) on a simulated clock, with the regions' conditions standing in for sockets.
// An hour's scenario takes well under a second.
#pragma once

#include "sim/run_result.h"
#include "sim/scenario.h"

namespace meridian::sim {

// Throws std::runtime_error for what virtual time cannot model (a probed FQDN target: it would
// need a resolver).
RunResult run_virtual(const Scenario& scenario);

}  // namespace meridian::sim
