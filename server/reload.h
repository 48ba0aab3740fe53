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
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conf/model.h"
#include "probes/probes.h"
#include "server/snapshot.h"

namespace meridian::server {

// One generation of what serving runs on: the snapshot, and the probe service (not started)
// that keeps its health and resolved tables up to date.
struct Generation {
  std::shared_ptr<const Snapshot> snapshot;
  std::unique_ptr<probes::ProbeService> probes;
};

// Builds the snapshot (zones, GeoIP files) and the probe service of `config`; with `previous`,
// the service continues that one's health. Throws what Snapshot and ProbeService throw.
Generation build_generation(std::shared_ptr<const model::Config> config,
                            const probes::ProbeService* previous = nullptr);

struct ReloadResult {
  bool ok = false;
  std::string error;  // when !ok: "FILE:LINE: reason" (a GeoIP file: "CONFIG: GEOFILE: reason")
  size_t zones = 0;
  size_t profiles = 0;
  size_t endpoints = 0;
  size_t kept_status = 0;                   // endpoints whose health status carried over
  std::vector<std::string> restart_needed;  // settings changed in the file but not applied
  std::chrono::milliseconds took{};
};

// Owns the running generation's probe service and swaps generations. Thread-safe: reload() may
// be called from any thread (the SIGHUP path, later the control API); calls run one at a time.
class Reloader {
 public:
  // `running` is what `config_file` held at start, already published to `store` with `probes`
  // (started). Its listen, workers and control settings are the ones that stay.
  Reloader(std::string config_file, SnapshotStore& store, std::shared_ptr<const model::Config> running,
           std::unique_ptr<probes::ProbeService> probes);
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

 private:
  std::mutex mutex_;  // one reload at a time
  const std::string config_file_;
  SnapshotStore& store_;
  const model::ServerSettings started_;  // the file's server settings at start
  std::unique_ptr<probes::ProbeService> probes_;
  std::vector<std::shared_ptr<const Snapshot>> retired_;  // replaced, maybe still in a worker's hands
};

// The settings that differ between `started` and `now` but only apply at start, by config key.
std::vector<std::string> restart_needed(const model::ServerSettings& started,
                                        const model::ServerSettings& now);

}  // namespace meridian::server
