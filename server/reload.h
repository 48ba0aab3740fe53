// Hot reload: the config file is read again through conf::load into a new generation (snapshot
// and probe service), which replaces the running one only when all of it was built.
//
// - A config that fails (YAML, zone file, GeoIP file, validation) changes nothing: the error is
//   logged once, `error server: reload failed: FILE:LINE: reason; keeping the running config`.
// - Health carries over (probes/carry.h): endpoints with the same names, target and monitor keep
//   their status; FQDN targets keep their addresses while they are looked up again.
// - server.listen, server.workers and server.control are bound at start: a change is logged
//   (`warning server: reload: server.listen changed; restart to apply`) and not applied.
// - Order: the new probe service starts, the snapshot is published (workers switch at their next
//   batch), then the old service stops. Either table readers can see is kept up to date.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/model.h"
#include "probes/probes.h"
#include "replication/replica.h"
#include "server/answer_totals.h"
#include "server/override_rules.h"
#include "server/overrides.h"
#include "server/snapshot.h"

namespace meridian::server {

// One generation of what serving runs on: the snapshot, and the probe service (not started)
// that keeps its health and resolved tables up to date.
struct Generation {
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<probes::HealthTable> health;  // the snapshot's, writable: overrides go here
  std::shared_ptr<probes::ProbeService> probes;
};

// Builds the snapshot (zones, GeoIP files) and the probe service of `config`; with `previous`,
// the service continues that one's health. Throws what Snapshot and ProbeService throw.
// `slots`: the threads that will answer from it (server/counters.h).
Generation build_generation(std::shared_ptr<const model::Config> config,
                            const probes::ProbeService* previous = nullptr, CounterSlots slots = {});

struct ReloadResult {
  bool ok = false;
  std::string error;  // when !ok: "FILE:LINE: reason" (a GeoIP file: "CONFIG: GEOFILE: reason")
  size_t zones = 0;
  size_t profiles = 0;
  size_t endpoints = 0;
  size_t kept_status = 0;                   // endpoints whose health status carried over
  std::vector<std::string> restart_needed;  // settings changed in the file but not applied
  std::chrono::milliseconds took{};
  uint64_t generation = 0;  // the config generation now running
  Clock::time_point at{};
};

struct OverrideResult {
  enum class Outcome { ok, no_profile, no_endpoint, refused, failed } outcome = Outcome::ok;
  std::string error;                                       // when not ok
  probes::Override value = probes::Override::none;         // the endpoint's override now
  model::Status status = model::Status::CheckingEndpoint;  // what routing sees now
  bool changed = false;
};

// A consistent view of what is running, for the control API.
struct Running {
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<const probes::HealthTable> health;
  std::shared_ptr<const probes::ProbeService> probes;
  Overrides overrides;
  std::string state_file;  // empty: overrides are kept in memory only
  // Snapshots replaced by reloads that answering threads may still hold, and what the freed ones
  // had counted: with `snapshot`, every answer counted since start.
  std::vector<std::shared_ptr<const Snapshot>> retired;
  AnswerTotals freed_counts;
  // Probe counts of the probe services reloads replaced, by (profile, endpoint).
  std::map<Overrides::Key, probes::ProbeStats> replaced_probe_stats;
  uint64_t generation = 1;        // 1 at start, +1 per successful reload
  Clock::time_point loaded_at{};  // when that generation was published
  std::optional<ReloadResult> last_reload;
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  uint64_t override_changes = 0;  // every override set or cleared since start
  const replication::Replica* replica = nullptr;  // with `replication:`; outlives the control API

  // Moves on every change of what routing sees: a verdict, an override, a combined verdict.
  uint64_t health_generation() const;
};

// Owns the running generation's probe service and swaps generations. Thread-safe: reload() may
// be called from any thread (the SIGHUP path, later the control API); calls run one at a time.
class Reloader {
 public:
  // `running` is what `config_file` held at start, already published to `store` with `probes`
  // (started). Its listen, workers and control settings are the ones that stay.
  // `overrides` were applied to `running`'s health table already; with a `state_file` every change
  // to them is written there before it is answered.
  Reloader(std::string config_file, SnapshotStore& store, std::shared_ptr<const model::Config> running,
           Generation generation, Overrides overrides, std::string state_file, CounterSlots slots = {});
  ~Reloader();  // stop()
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // Reads the config file again and swaps the new generation in, or keeps the running one.
  // Logs the outcome; never throws.
  ReloadResult reload();
  // Frees the snapshots that reloads replaced once no worker holds them any more, then gives
  // the memory back to the system; returns how many are still held. Call it from time to time
  // after a reload (the SIGHUP path does): otherwise the worker that lets go last would free a
  // whole generation between two queries (32 ms at 10,000 profiles), and its memory would stay
  // with malloc. Does nothing while a reload runs.
  size_t collect();
  // Stops the probe service (at shutdown); waits for a reload under way.
  void stop();

  // Sets or clears an endpoint's override on the running generation and in the state file
  // (one at a time with reloads). A drain that would leave the profile with no serving endpoint
  // is refused unless `force`; force-up is refused for nested endpoints (their child decides)
  // and for endpoints the config disables. A state file that cannot be written undoes it.
  OverrideResult change_override(const std::string& profile, const std::string& endpoint,
                                 OverrideAction action, bool force);
  Running running() const;

  // With `replication:`: every generation from now on is attached to `replica` (combined verdicts
  // into its health table) and every override change is also written to etcd through it.
  void replicate(replication::Replica* replica);
  // Overrides that came through etcd, made on another replica (or this one): applied without the
  // drain refusal (the replica that took the request checked it) and saved to the state file.
  // `complete`: everything etcd holds; an override of this replica's that etcd lacks is written
  // to it.
  void apply_shared_overrides(const std::vector<replication::OverrideChange>& changes, bool complete);

 private:
  void note_failure(ReloadResult& result);  // logs it, records it, sets its generation and time

  std::mutex mutex_;  // one reload or override change at a time
  const std::string config_file_;
  SnapshotStore& store_;
  const model::ServerSettings started_;  // the file's server settings at start
  const model::ReplicationSettings started_replication_;
  const std::string state_file_;
  const CounterSlots slots_;
  // What running() reads, changed under both mutexes, read under view_ alone: a status page or a
  // scrape never waits for a reload to load its config.
  mutable std::mutex view_;
  std::vector<std::shared_ptr<const Snapshot>> retired_;  // replaced, maybe still in a worker's hands
  AnswerTotals freed_counts_;                             // what freed snapshots had counted
  std::map<Overrides::Key, probes::ProbeStats> replaced_probe_stats_;
  std::shared_ptr<probes::ProbeService> probes_;
  std::shared_ptr<probes::HealthTable> health_;
  Overrides overrides_;
  uint64_t generation_ = 1;
  Clock::time_point loaded_at_;
  std::optional<ReloadResult> last_reload_;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  uint64_t override_changes_ = 0;
  replication::Replica* replica_ = nullptr;  // under mutex_
  const replication::Replica* replica_view_ = nullptr;  // the same, under view_
};

// The settings that differ between `started` and `now` but only apply at start, by config key.
std::vector<std::string> restart_needed(const model::ServerSettings& started,
                                        const model::ServerSettings& now);
// Whether the `replication:` sections say the same (where they are written aside).
bool same_replication(model::ReplicationSettings started, model::ReplicationSettings now);

}  // namespace meridian::server
