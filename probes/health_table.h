// The health table: one atomic model::Status per endpoint, written by the probe thread and the
// control API, read by DNS workers without locks.
//
// Each slot holds the status routing sees: the probes' verdict with the admin override applied
// (gdnsd's forced states). The probe thread writes verdicts with set() and never sees the
// override, so it cannot overwrite one; the control API writes overrides with set_override().
// With replication (replication/), the verdict is the replicas' combined one, set with
// set_shared(), standing in for this replica's own probes; the override still applies on top.
// Writers take a mutex (they are up to three threads, and each write is a read of the inputs then
// a store); readers never do.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "conf/model.h"

namespace meridian::probes {

// An operator's override of the probes for one endpoint.
enum class Override : uint8_t {
  none,      // the probes decide
  drain,     // never answered: Disabled, reason "drained"
  force_up,  // Online whatever the probes say
};
const char* to_string(Override value);  // "none", "drain", "force-up"

// What an override makes of a verdict. Force-up lifts only what probes decide (CheckingEndpoint,
// Online, Degraded): a status the config fixes (Disabled, Inactive, Stopped, NotMonitored) stays.
inline model::Status apply_override(model::Status verdict, Override value) {
  using model::Status;
  switch (value) {
    case Override::drain: return Status::Disabled;
    case Override::force_up:
      return verdict == Status::CheckingEndpoint || verdict == Status::Online || verdict == Status::Degraded
                 ? Status::Online
                 : verdict;
    case Override::none: break;
  }
  return verdict;
}

// How often the probe loop stamps its health table (HealthTable::beat) while it runs.
constexpr std::chrono::milliseconds heartbeat_every{250};

class HealthTable {
 public:
  explicit HealthTable(size_t endpoint_count)
      : size_(endpoint_count),
        slots_(std::make_unique<std::atomic<uint8_t>[]>(endpoint_count)),
        verdicts_(std::make_unique<model::Status[]>(endpoint_count)),
        overrides_(std::make_unique<Override[]>(endpoint_count)),
        shared_(std::make_unique<std::optional<model::Status>[]>(endpoint_count)) {
    for (size_t i = 0; i < size_; ++i) {
      slots_[i].store(uint8_t(model::Status::CheckingEndpoint));
      verdicts_[i] = model::Status::CheckingEndpoint;
      overrides_[i] = Override::none;
    }
  }

  // The probes' verdict (or the status the config fixes).
  void set(model::EndpointId id, model::Status status) {
    std::lock_guard lock(writers_);
    if (verdicts_[id] != status) verdict_changes_.fetch_add(1, std::memory_order_release);
    verdicts_[id] = status;
    publish(id);
  }
  // The replicas' combined verdict, or nullopt to let this replica's probes decide again.
  void set_shared(model::EndpointId id, std::optional<model::Status> status) {
    std::lock_guard lock(writers_);
    shared_[id] = status;
    publish(id);
  }
  void set_override(model::EndpointId id, Override value) {
    std::lock_guard lock(writers_);
    overrides_[id] = value;
    publish(id);
  }

  // What routing sees: the verdict with the override applied.
  model::Status get(model::EndpointId id) const {
    return static_cast<model::Status>(slots_[id].load(std::memory_order_acquire));
  }
  model::Status verdict(model::EndpointId id) const {
    std::lock_guard lock(writers_);
    return verdicts_[id];
  }
  Override override_of(model::EndpointId id) const {
    std::lock_guard lock(writers_);
    return overrides_[id];
  }
  std::optional<model::Status> shared(model::EndpointId id) const {
    std::lock_guard lock(writers_);
    return shared_[id];
  }
  // The probe thread's heartbeat: its loop stamps the table while it runs, so replication can tell
  // verdicts that are current from ones a stalled loop left behind.
  void beat(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    last_beat_.store(now.time_since_epoch().count(), std::memory_order_release);
  }
  // When the probe loop last ran; the table's creation before its first beat.
  std::chrono::steady_clock::time_point last_beat() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_beat_.load(std::memory_order_acquire)));
  }
  // Moves whenever a probe verdict changes, so replication finds out without scanning the table.
  uint64_t verdict_changes() const { return verdict_changes_.load(std::memory_order_acquire); }
  std::span<const std::atomic<uint8_t>> view() const { return {slots_.get(), size_}; }
  size_t size() const { return size_; }

 private:
  void publish(model::EndpointId id) {
    const auto verdict = shared_[id].value_or(verdicts_[id]);
    slots_[id].store(static_cast<uint8_t>(apply_override(verdict, overrides_[id])), std::memory_order_release);
  }

  size_t size_;
  std::unique_ptr<std::atomic<uint8_t>[]> slots_;
  mutable std::mutex writers_;
  std::unique_ptr<model::Status[]> verdicts_;  // under writers_
  std::unique_ptr<Override[]> overrides_;      // under writers_
  std::unique_ptr<std::optional<model::Status>[]> shared_;  // under writers_
  std::atomic<uint64_t> verdict_changes_{0};
  std::atomic<std::chrono::steady_clock::rep> last_beat_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
};

}  // namespace meridian::probes
