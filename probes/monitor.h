// One endpoint's probe policy, pure: when its probes start, that at most one is in flight, that
// an answer later than the timeout is a failure, and the verdict the results feed. No clock, no
// I/O: the probe loop drives it on the steady clock and runs the checks; the failover simulation
// (sim/) drives the same code in virtual time, so the two cannot disagree on semantics.
//
// - The first probe is due at start + first_probe_delay(key, interval) (probes/schedule.h), the
//   next ones every interval after it, on a fixed phase: a tick handled late does not shift the
//   ones after it, and ticks missed entirely are skipped, not caught up.
// - A tick that finds the previous probe still in flight is skipped (Azure's behaviour): it can
//   only happen when checks overrun the interval.
// - A result that arrives after start + timeout counts as "timeout after T", whatever it said:
//   the checkers enforce the timeout themselves, this makes the rule the monitor's, not theirs.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "conf/model.h"
#include "probes/probes.h"
#include "probes/result.h"
#include "probes/verdict.h"

namespace meridian::probes {

// The steady clock's time, or a simulated clock's: only differences are ever taken.
using MonotonicTime = std::chrono::steady_clock::time_point;

class Monitor {
 public:
  // `key` ("profile/endpoint") fixes the first probe's phase.
  Monitor(const model::Monitor& settings, std::string_view key, Verdict verdict);
  // Starts the schedule: the first probe is due at start + its phase. `wall_start` is the
  // wall-clock time at `start`: the verdict's times are reported as wall_start + (now - start).
  void begin(MonotonicTime start, Timestamp wall_start);

  // When on_tick() is next due.
  MonotonicTime next_tick() const { return next_tick_; }
  // Handles the tick due at next_tick() (now is that time or later) and schedules the next one.
  // True: a probe starts now, and the caller runs it and reports with on_result() or abandon().
  bool on_tick(MonotonicTime now);
  // Starts a probe outside the schedule (an FQDN's first address, probed at once), unless one is
  // in flight; the schedule is unchanged. True: a probe starts now.
  bool start_now(MonotonicTime now);
  // The probe started could not run and says nothing (an FQDN still being looked up).
  void abandon() { in_flight_ = false; }

  struct Recorded {
    Result result;                       // as judged: a late answer becomes a timeout
    std::optional<double> took_seconds;  // how long the probe ran; empty for a result without one
    std::optional<Transition> transition;
  };
  // The result of the probe in flight, or, with none in flight, a result that needs no probe (a
  // lookup that failed for an FQDN that never resolved).
  Recorded on_result(Result result, MonotonicTime now);

  bool in_flight() const { return in_flight_; }
  // While in flight: when the probe counts as timed out.
  MonotonicTime deadline() const { return started_ + timeout_; }
  const Verdict& verdict() const { return verdict_; }

 private:
  Timestamp wall(MonotonicTime now) const;

  model::Duration interval_;
  model::Duration timeout_;
  model::Duration phase_;  // the first probe's delay after begin()
  Verdict verdict_;
  MonotonicTime start_{};
  Timestamp wall_start_{};
  MonotonicTime next_tick_{};
  MonotonicTime started_{};
  bool in_flight_ = false;
};

}  // namespace meridian::probes
