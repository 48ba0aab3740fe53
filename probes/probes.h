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
//   monitor protocol none -> NotMonitored.
// - FQDN targets are resolved by resolver/ on the probe thread (see resolver/resolver.h) and
//   published to the ResolvedTable, which DNS workers read for flattened answers. A monitored
//   FQDN endpoint stays CheckingEndpoint ("awaiting resolver") until its first lookup answers;
//   then it is probed at one resolved address (probes/target.h), its HTTP(S) probes asking for
//   the FQDN (Host header and SNI) unless the monitor sets a Host header. When lookups fail it
//   keeps being probed at the last good answer. While it has never had an answer, each probe
//   interval that finds its last lookup failed counts as a failed probe ("resolve failed:
//   NXDOMAIN"), so it turns Degraded after tolerated_failures + 1 intervals, as an endpoint
//   that does not answer would.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "probes/health_table.h"
#include "resolver/resolver.h"

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

// Probe counts for /metrics, since this service started probing the endpoint.
struct ProbeStats {
  // Upper bounds of the duration histogram's buckets, seconds (Prometheus' default buckets).
  static constexpr std::array<double, 11> bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  uint64_t successes = 0;
  uint64_t failures = 0;  // a lookup that failed for an FQDN never resolved counts here too
  // Probes that ran (not failed lookups): how many took at most bounds[i], and in all.
  std::array<uint64_t, bounds.size()> at_most{};
  uint64_t timed = 0;
  double seconds = 0;  // their sum

  void record(bool ok, std::optional<double> took_seconds);
  void add(const ProbeStats& other);  // another service's counts of the same endpoint
};

// What the control API shows for one endpoint: a copy, consistent in itself.
struct EndpointReport {
  std::string profile;
  std::string endpoint;
  model::Status status = model::Status::CheckingEndpoint;
  bool probed = false;                 // false: status fixed by config
  std::string reason;                  // the last result's reason, or why it is not probed (yet)
  std::vector<geo::Address> resolved;  // FQDN targets: the last good answer; empty until then
  std::optional<bool> last_ok;         // empty before the first result
  Timestamp last_result{};             // epoch before the first result
  Timestamp last_change{};             // the last status change; the start time until then
  unsigned consecutive_failures = 0;
  unsigned consecutive_successes = 0;
  uint64_t results = 0;  // results recorded since start
  std::optional<Transition> last_transition;
  // Null until the endpoint's first probe result: most of a large config's reports never
  // have one (monitor none, always_serve), and 120 bytes each added up (10,000 profiles).
  std::shared_ptr<const ProbeStats> stats;
};

// Writes every endpoint's status before any probe has run (Disabled, Inactive, Stopped,
// NotMonitored, else CheckingEndpoint): what `check` and `explain` show, and where serving starts.
void publish_initial_statuses(const model::Config& config, HealthTable& health);

// Owns the probe thread. Every method is thread-safe.
class ProbeService {
 public:
  // `health` and `resolved` must have a slot for every EndpointId of `config` (throws
  // std::invalid_argument). Without `resolved` the service makes its own table.
  ProbeService(std::shared_ptr<const model::Config> config, std::shared_ptr<HealthTable> health,
               std::shared_ptr<resolver::ResolvedTable> resolved = nullptr);
  ~ProbeService();  // stop()
  ProbeService(const ProbeService&) = delete;
  ProbeService& operator=(const ProbeService&) = delete;

  // Reload: a service for a new config that continues `previous`, which may still be running
  // (it is only read, under its report lock). Endpoints matched by (profile name, endpoint name)
  // keep their verdict when their target and monitor are unchanged, FQDN targets keep their
  // last good addresses when their name is unchanged, and generation() continues from
  // previous.generation() + 1; the rules are in probes/carry.h. Stop `previous` once the new
  // tables are in service: until then it keeps the ones readers still use up to date.
  ProbeService(std::shared_ptr<const model::Config> config, std::shared_ptr<HealthTable> health,
               std::shared_ptr<resolver::ResolvedTable> resolved, const ProbeService& previous);
  // Publishes the starting statuses to the health table (and the addresses kept by a reload to
  // the resolved table), then spawns the probe thread.
  // Only the first call does anything; a stopped service is not restarted.
  void start();
  // Cancels probes in flight and joins the probe thread. Safe to call twice or before start().
  void stop();

  // Throws std::out_of_range for an id outside the config.
  EndpointReport report(model::EndpointId id) const;
  // Every endpoint's report, by EndpointId, copied at one moment.
  std::vector<EndpointReport> reports() const;
  // Bumps on every status change, after the health table and report show it, so a caller can
  // wait for exactly the change it caused.
  uint64_t generation() const;
  // The addresses of FQDN targets, for flattened answers: written by the probe thread, read by
  // any thread without locks (its generation() bumps on every change).
  std::shared_ptr<const resolver::ResolvedTable> resolved() const;
  // Endpoints whose verdict this service kept from the one it continues (0 without one).
  size_t kept_status() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::probes
