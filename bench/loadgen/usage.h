// loadgen/usage.h: CPU and memory readings from /proc, for the server under test (its whole
// process tree, every thread), the generator itself and the cores both are pinned to.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace loadgen {

// Clock ticks (USER_HZ) of user and system time, summed over a process and its descendants.
struct CpuTicks {
  uint64_t user = 0;
  uint64_t system = 0;
};

// One reading of everything a measurement window needs; two readings give the deltas.
struct UsageSample {
  uint64_t wall_ns = 0;
  CpuTicks server;          // the server's process tree (all threads: /proc/PID/stat sums them)
  uint64_t server_rss_kib = 0;
  CpuTicks self;            // this generator
  uint64_t self_user_us = 0;    // getrusage: finer than ticks, used for the generator's CPU
  uint64_t self_system_us = 0;
  std::vector<uint64_t> core_busy;   // per core, /proc/stat jiffies not idle/iowait
  std::vector<uint64_t> core_total;  // per core, all jiffies
};

class UsageMeter {
 public:
  explicit UsageMeter(pid_t server_pid) : server_pid_(server_pid) {}
  UsageSample sample() const;
  bool has_server() const { return server_pid_ > 0; }

 private:
  pid_t server_pid_;
};

// Deltas between two samples.
struct Usage {
  double seconds = 0;
  double server_user_s = 0;
  double server_system_s = 0;
  double self_cpu_s = 0;
  double self_cpu_share = 0;  // of one core
  double server_cpu_share = 0;
  std::vector<double> core_busy_share;  // per core, 0..1
};

Usage usage_between(const UsageSample& before, const UsageSample& after);

long clock_ticks_per_second();
uint64_t monotonic_ns();

}  // namespace loadgen
