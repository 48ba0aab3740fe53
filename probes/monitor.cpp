// The probe policy on a clock it is given: schedule, in-flight skips, late answers, the verdict.
#include "probes/monitor.h"

#include "probes/outcome.h"
#include "probes/schedule.h"

namespace meridian::probes {

Monitor::Monitor(const model::Monitor& settings, std::string_view key, Verdict verdict)
    : interval_(probe_period(settings.interval)),
      timeout_(settings.timeout),
      phase_(first_probe_delay(key, settings.interval)),
      verdict_(std::move(verdict)) {}

void Monitor::begin(MonotonicTime start, Timestamp wall_start) {
  start_ = start;
  wall_start_ = wall_start;
  next_tick_ = start + phase_;
}

bool Monitor::on_tick(MonotonicTime now) {
  const MonotonicTime due = next_tick_;
  next_tick_ = due + interval_;
  if (next_tick_ <= now) next_tick_ += ((now - next_tick_) / interval_ + 1) * interval_;
  return start_now(now);
}

bool Monitor::start_now(MonotonicTime now) {
  if (in_flight_) return false;
  in_flight_ = true;
  started_ = now;
  return true;
}

Monitor::Recorded Monitor::on_result(Result result, MonotonicTime now) {
  Recorded recorded;
  if (in_flight_) {
    const auto took = now - started_;
    recorded.took_seconds = std::chrono::duration<double>(took).count();
    if (result.ok && took > timeout_) result = timeout_result(timeout_);
    in_flight_ = false;
  }
  recorded.transition = verdict_.record(result, wall(now));
  recorded.result = std::move(result);
  return recorded;
}

Timestamp Monitor::wall(MonotonicTime now) const {
  return wall_start_ + std::chrono::duration_cast<Timestamp::duration>(now - start_);
}

}  // namespace meridian::probes
