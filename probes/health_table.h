// The health table: one atomic model::Status per endpoint, written by the probe thread and
// read by DNS workers without locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "conf/model.h"

namespace meridian::probes {

class HealthTable {
 public:
  explicit HealthTable(size_t endpoint_count)
      : size_(endpoint_count), slots_(std::make_unique<std::atomic<uint8_t>[]>(endpoint_count)) {
    for (size_t i = 0; i < size_; ++i) slots_[i].store(uint8_t(model::Status::CheckingEndpoint));
  }

  void set(model::EndpointId id, model::Status status) {
    slots_[id].store(static_cast<uint8_t>(status), std::memory_order_release);
  }
  model::Status get(model::EndpointId id) const {
    return static_cast<model::Status>(slots_[id].load(std::memory_order_acquire));
  }
  std::span<const std::atomic<uint8_t>> view() const { return {slots_.get(), size_}; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<std::atomic<uint8_t>[]> slots_;
};

}  // namespace meridian::probes
