// The reports the control API reads: written by the probe thread, read by any thread.
//
// A mutex is fine here: reports are read by the control API, never on the query path (DNS
// workers read the HealthTable's atomics instead).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "probes/probes.h"

namespace meridian::probes {

class ReportBoard {
 public:
  // `generation` is where generation() starts: a reloaded service continues its predecessor's.
  explicit ReportBoard(std::vector<EndpointReport> initial, uint64_t generation = 0)
      : reports_(std::move(initial)), generation_(generation) {}

  EndpointReport get(model::EndpointId id) const {
    std::lock_guard lock(mutex_);
    return reports_.at(id);
  }
  void set(model::EndpointId id, EndpointReport report) {
    std::lock_guard lock(mutex_);
    reports_.at(id) = std::move(report);
  }
  // Every report, copied under one lock: consistent with each other.
  std::vector<EndpointReport> all() const {
    std::lock_guard lock(mutex_);
    return reports_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return reports_.size();
  }

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Called after the health table and the report show a change.
  void bump_generation() { generation_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  mutable std::mutex mutex_;
  std::vector<EndpointReport> reports_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace meridian::probes
