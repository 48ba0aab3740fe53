// Real time: the real `meridian serve` as a child process, fake regions on loopback that its real
// probes check, clients querying it over UDP with ECS, and the timeline applied as it comes
// (region faults directly, drains and reloads through the control API). Nothing is mocked.
#pragma once

#include <string>

#include "sim/run_result.h"
#include "sim/scenario.h"

namespace meridian::sim {

// `binary` is the meridian executable to start. Throws std::runtime_error when the regions or the
// server cannot start.
RunResult run_real(const Scenario& scenario, const std::string& binary);

}  // namespace meridian::sim
