// probes/: health monitors for every endpoint, run on one probe thread and published to the
// HealthTable; this header is what other modules may use.
//
// Semantics (DESIGN.md, "Routing semantics"), with the choices this module made:
// - A probed endpoint starts CheckingEndpoint, turns Online on its first success and Degraded
//   after tolerated_failures + 1 consecutive failures; a Degraded endpoint comes back after
//   healthy_threshold consecutive successes.
// - Not probed, status fixed by the config: profile disabled -> Inactive; endpoint disabled ->
//   Disabled; nested -> Stopped when its child profile is disabled or has no enabled endpoint,
//   else NotMonitored (routing derives its availability from the child); always_serve or
//   monitor protocol none -> NotMonitored; FQDN target -> CheckingEndpoint with reason
//   "awaiting resolver" until resolver/ exists.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "conf/model.h"
#include "probes/health_table.h"

namespace meridian::probes {

// Wall-clock time, for reports. The verdict logic only stores the times it is given, so the
// failover simulation can drive it in virtual time.
using Timestamp = std::chrono::system_clock::time_point;

// One status change, as logged and reported.
struct Transition {
  model::Status from = model::Status::CheckingEndpoint;
  model::Status to = model::Status::CheckingEndpoint;
  std::string reason;      // the reason of the result that caused it ("HTTP 503")
  unsigned failures = 0;   // consecutive failures when it happened
  unsigned successes = 0;  // consecutive successes when it happened
  Timestamp at{};
};

// What the control API shows for one endpoint: a copy, consistent in itself.
struct EndpointReport {
  std::string profile;
  std::string endpoint;
  model::Status status = model::Status::CheckingEndpoint;
  bool probed = false;          // false: status fixed by config, or awaiting the resolver
  std::string reason;           // the last result's reason, or why it is not probed
  std::optional<bool> last_ok;  // empty before the first result
  Timestamp last_result{};      // epoch before the first result
  Timestamp last_change{};      // the last status change; the start time until then
  unsigned consecutive_failures = 0;
  unsigned consecutive_successes = 0;
  uint64_t results = 0;  // results recorded since start
  std::optional<Transition> last_transition;
};

// Writes every endpoint's status before any probe has run (Disabled, Inactive, Stopped,
// NotMonitored, else CheckingEndpoint): what `check` and `explain` show, and where serving starts.
void publish_initial_statuses(const model::Config& config, HealthTable& health);

// Owns the probe thread. Every method is thread-safe.
class ProbeService {
 public:
  // `health` must have a slot for every EndpointId of `config` (throws std::invalid_argument).
  ProbeService(std::shared_ptr<const model::Config> config, std::shared_ptr<HealthTable> health);
  ~ProbeService();  // stop()
  ProbeService(const ProbeService&) = delete;
  ProbeService& operator=(const ProbeService&) = delete;

  // Publishes the initial statuses to the health table, then spawns the probe thread.
  // Only the first call does anything; a stopped service is not restarted.
  void start();
  // Cancels probes in flight and joins the probe thread. Safe to call twice or before start().
  void stop();

  // Throws std::out_of_range for an id outside the config.
  EndpointReport report(model::EndpointId id) const;
  // Bumps on every status change, after the health table and report show it, so a caller can
  // wait for exactly the change it caused.
  uint64_t generation() const;

  // Reload seam (not implemented yet): a new config would be posted to the probe thread, which
  // re-maps endpoints by (profile name, endpoint name), keeping each one's verdict when its
  // target and monitor are unchanged.

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::probes
