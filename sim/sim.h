// sim/: failover simulations. `meridian simulate SCENARIO` starts fake regions, breaks them on
// the scenario's timeline, and reports which client got which answer when, in real time against
// the real server or in virtual time through the same routing and probe policy.
#pragma once

#include <string>

namespace meridian::sim {

struct SimulateOptions {
  std::string scenario;  // the scenario file
  bool virtual_time = false;
  std::string json_file;  // --json FILE: the report as JSON
  std::string svg_file;   // --svg FILE: the report as an SVG timeline
  std::string binary;     // real time: the `meridian` binary to start (default: this one)
};

// Runs the scenario and prints the report's table; returns the process exit code: 0; 1 for a
// scenario error (FILE:LINE: reason on stderr); 2 when the run cannot go on (a region's port is
// taken, the server does not start), with the reason on stderr; 130 for a real-time run cut short by
// SIGINT or SIGTERM, which still reports (and writes --json and --svg) up to then.
int simulate(const SimulateOptions& options);

}  // namespace meridian::sim
