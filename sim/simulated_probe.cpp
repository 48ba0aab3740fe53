// A virtual-time probe: the region's condition, judged as the HTTP and TCP checkers judge it.
#include "sim/simulated_probe.h"

#include <uv.h>

#include <cerrno>

#include "probes/outcome.h"

namespace meridian::sim {

namespace {

SimulatedProbe refused(const model::Monitor& monitor) {
  if (monitor.protocol == model::MonitorProtocol::tcp) return {probes::judge_tcp(UV_ECONNREFUSED), {}};
  return {probes::judge_http({CURLE_COULDNT_CONNECT, 0, ECONNREFUSED}, monitor), {}};
}

SimulatedProbe answered(const model::Monitor& monitor, long http_status, model::Duration after) {
  if (after >= monitor.timeout) return {probes::timeout_result(monitor.timeout), monitor.timeout};
  if (monitor.protocol == model::MonitorProtocol::tcp) return {probes::judge_tcp(0), after};
  return {probes::judge_http({CURLE_OK, http_status, 0}, monitor), after};
}

}  // namespace

SimulatedProbe simulated_probe(const model::Monitor& monitor, const Region* region,
                               const RegionCondition& condition) {
  if (!region) return refused(monitor);
  // A TCP region only accepts or refuses: a connect takes no time on loopback.
  const bool tcp = monitor.protocol == model::MonitorProtocol::tcp;
  const model::Duration latency = tcp ? model::Duration(0) : region->latency;
  switch (condition.kind) {
    case EventKind::fail: return refused(monitor);
    case EventKind::hang:
      if (tcp) break;
      return {probes::timeout_result(monitor.timeout), monitor.timeout};
    case EventKind::degrade:
      if (tcp) break;
      return answered(monitor, 503, latency);
    case EventKind::slow:
      if (tcp) break;
      return answered(monitor, 200, condition.delay);  // instead of the latency, as the fake region does
    default: break;
  }
  return answered(monitor, 200, latency);
}

std::optional<SimulatedProbe> probe_after_change(const model::Monitor& monitor, const Region& region,
                                                 const RegionCondition& before, const RegionCondition& after,
                                                 model::Duration elapsed) {
  // A TCP probe is over once connected, a refused one at once: neither is open to change.
  if (monitor.protocol == model::MonitorProtocol::tcp || before.kind == EventKind::fail) return std::nullopt;
  if (before.kind == after.kind && before.delay == after.delay) return std::nullopt;
  if (after.kind == EventKind::fail)
    return SimulatedProbe{probes::judge_http({CURLE_RECV_ERROR, 0, ECONNRESET}, monitor), elapsed};
  if (before.kind == EventKind::hang)
    return SimulatedProbe{probes::judge_http({CURLE_GOT_NOTHING, 0, 0}, monitor), elapsed};
  if (after.kind == EventKind::hang)
    return SimulatedProbe{probes::timeout_result(monitor.timeout), monitor.timeout};
  const model::Duration wait = after.kind == EventKind::slow ? after.delay : region.latency;
  return answered(monitor, after.kind == EventKind::degrade ? 503 : 200, std::max(wait, elapsed));
}

}  // namespace meridian::sim
