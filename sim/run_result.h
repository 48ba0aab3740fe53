// What one run of a scenario observed, in either mode: the input to sim/report.h's analyse().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/report.h"
#include "sim/scenario.h"

namespace meridian::sim {

struct RunResult {
  std::vector<ClientObservations> clients;  // in the scenario's client order
  std::vector<StatusChange> statuses;       // the probes' verdicts as they changed
  std::vector<std::string> warnings;        // what went wrong on the way (a refused drain, a failed reload)
  std::optional<Seconds> stopped_at;        // a run cut short (Ctrl-C): when
};

// The clients of `scenario` with nothing observed yet.
std::vector<ClientObservations> empty_observations(const Scenario& scenario);

}  // namespace meridian::sim
