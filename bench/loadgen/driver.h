// loadgen/driver.h: the part every transport shares: in-flight bookkeeping by query ID, the
// latency histogram, the counts of one measurement window, and the Driver interface that sends
// a given rate for a given time (UDP in udp.cpp, TCP in tcp.cpp).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "loadgen/workload.h"

namespace loadgen {

// Latency in 1 µs buckets up to 10 ms, then 1 ms buckets up to 10 s.
class Histogram {
 public:
  void record(uint64_t nanoseconds) {
    const uint64_t micros = nanoseconds / 1000;
    size_t bucket = micros < fine ? micros : fine + std::min<uint64_t>((micros - fine) / 1000, coarse - 1);
    ++counts_[bucket];
    ++total_;
  }
  uint64_t total() const { return total_; }
  // The latency below which `fraction` of the samples lie, in µs (upper edge of the bucket).
  double percentile_us(double fraction) const {
    if (total_ == 0) return 0;
    const uint64_t rank = uint64_t(fraction * double(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < counts_.size(); ++bucket) {
      seen += counts_[bucket];
      if (seen >= rank) return bucket < fine ? double(bucket + 1) : double(fine + (bucket - fine + 1) * 1000);
    }
    return double(fine + coarse * 1000);
  }

 private:
  static constexpr size_t fine = 10'000;
  static constexpr size_t coarse = 9'990;
  std::array<uint32_t, fine + coarse> counts_{};
  uint64_t total_ = 0;
};

// What one window of sending at one rate gave.
struct WindowStats {
  double rate = 0;     // offered queries per second
  double seconds = 0;  // sending time (the drain after it is not counted)
  uint64_t offered = 0;
  uint64_t sent = 0;
  uint64_t right = 0;
  uint64_t wrong = 0;
  uint64_t lost = 0;   // no answer by the end of the drain
  uint64_t stray = 0;  // answers to nothing we were waiting for (late, or a duplicate)
  uint64_t reconnects = 0;
  std::unique_ptr<Histogram> latency = std::make_unique<Histogram>();

  double answered() const { return double(right + wrong); }
  double loss() const { return sent ? double(lost) / double(sent) : 0; }
};

// Queries in flight on one socket or connection, by the 16-bit DNS ID.
class InFlight {
 public:
  struct Slot {
    uint64_t sent_ns = 0;
    uint32_t query = 0;
    uint32_t window = 0;  // 0: free
  };

  // Claims the next ID for `query` sent at `now`. A slot still busy from this window means its
  // query waited 65,536 sends: it is counted lost and reused.
  uint16_t claim(uint32_t query, uint64_t now, uint32_t window, WindowStats& stats) {
    const uint16_t id = next_id_++;
    Slot& slot = slots_[id];
    if (slot.window == window) {
      ++stats.lost;
    } else {
      ++outstanding_;
    }
    slot = {now, query, window};
    return id;
  }
  // Gives a claimed ID back unused (the send failed).
  void release(uint16_t id) {
    if (slots_[id].window != 0) --outstanding_;
    slots_[id].window = 0;
  }
  // The slot an answer with this ID belongs to, or null when nothing of `window` waits on it.
  Slot* take(uint16_t id, uint32_t window) {
    Slot& slot = slots_[id];
    if (slot.window != window) return nullptr;
    slot.window = 0;
    --outstanding_;
    return &slot;
  }
  uint32_t outstanding() const { return outstanding_; }
  // At the end of a window: everything still waiting is lost.
  uint64_t expire_all() {
    uint64_t lost = 0;
    for (auto& slot : slots_)
      if (slot.window != 0) {
        slot.window = 0;
        ++lost;
      }
    outstanding_ = 0;
    return lost;
  }

 private:
  std::vector<Slot> slots_ = std::vector<Slot>(65536);
  uint16_t next_id_ = 0;
  uint32_t outstanding_ = 0;
};

struct DriverOptions {
  sockaddr_storage server{};
  socklen_t server_length = 0;
  unsigned sockets = 8;     // UDP sockets or TCP connections
  unsigned batch = 64;      // queries per send call (UDP)
  unsigned tick_us = 100;   // how often due queries are sent
  bool gso = true;          // UDP: send runs of equal-length queries as one GSO datagram train
  unsigned tcp_inflight = 4096;  // per connection
  unsigned tcp_batch = 1;        // queries per write
  unsigned max_wrong_printed = 5;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Sends `rate` queries per second for `seconds`, calls `on_send_end` (to close a CPU window
  // there), then waits up to `drain_seconds` for the last answers.
  virtual WindowStats run(double rate, double seconds, double drain_seconds,
                          const std::function<void()>& on_send_end = {}) = 0;
  virtual std::string description() const = 0;
};

// A send interval drawn uniformly from [mean/2, 3*mean/2]. Strictly periodic sends would be in
// step with the kernel's 250 Hz tick (4 ms is a whole number of 100 µs ticks), and the tick is
// what splits CPU time into user and system: the split would then be biased, not just noisy.
inline uint64_t jittered(uint64_t mean_ns) {
  static thread_local uint64_t state = 0x9e3779b97f4a7c15u;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return mean_ns / 2 + state % (mean_ns + 1);
}

std::unique_ptr<Driver> make_udp_driver(const DriverOptions& options, const Workload& workload);
std::unique_ptr<Driver> make_tcp_driver(const DriverOptions& options, const Workload& workload);

// Checks one answer against the query `slot` sent and books it into `stats`.
void book_answer(const Workload& workload, const InFlight::Slot& slot, std::span<const uint8_t> response,
                 uint64_t now, WindowStats& stats, unsigned& wrong_printed, unsigned max_wrong_printed);

}  // namespace loadgen
