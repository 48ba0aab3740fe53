// The scenario's timeline read as outages (when each region was down as its monitor sees it) and
// as marks for the report; pure, the same for both modes.
#pragma once

#include <vector>

#include "sim/report.h"
#include "sim/scenario.h"

namespace meridian::sim {

// A region is down from a fail, hang or degrade, or a slow whose delay is not below its monitor's
// timeout, to the next event that brings it back (recover, or a slow within the timeout).
// Changing from one kind of down to another continues the outage. Worst cases come from the
// monitor settings of the config in effect when the outage starts.
std::vector<Outage> outages_of(const Scenario& scenario);

std::vector<Mark> marks_of(const Scenario& scenario);

// The monitor of `profile`/`endpoint` in `config`; null when it has no such endpoint.
const model::Monitor* monitor_of(const model::Config& config, const std::string& profile,
                                 const std::string& endpoint);

}  // namespace meridian::sim
