// The probe verdict: a pure state machine from check results (and the times given with them)
// to an endpoint's monitor status. No clock, no I/O: the probe thread drives it in real time,
// the failover simulation in virtual time.
//
// - It starts CheckingEndpoint.
// - A success resets the failure count; a failure resets the success count.
// - CheckingEndpoint -> Online on the first success (as Azure: healthy_threshold does not delay
//   the first verdict).
// - CheckingEndpoint or Online -> Degraded after tolerated_failures + 1 consecutive failures.
// - Degraded -> Online after healthy_threshold consecutive successes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "conf/model.h"
#include "probes/probes.h"
#include "probes/result.h"

namespace meridian::probes {

class Verdict {
 public:
  // A healthy_threshold of 0 counts as 1. `created` is reported as the last change until the
  // first transition.
  Verdict(unsigned tolerated_failures, unsigned healthy_threshold, Timestamp created);
  Verdict(const model::Monitor& monitor, Timestamp created);
  // For a reload: the verdict that `report` describes (status, counts, last result, last
  // transition), continued under `monitor`'s thresholds. No clock: the times are the report's.
  static Verdict resume(const model::Monitor& monitor, const EndpointReport& report);

  // Records one result; returns the transition it caused, if any.
  std::optional<Transition> record(const Result& result, Timestamp now);

  // For a reload: new thresholds apply from the next result on; counts and status are kept.
  void set_thresholds(unsigned tolerated_failures, unsigned healthy_threshold);

  model::Status status() const { return status_; }
  unsigned consecutive_failures() const { return failures_; }
  unsigned consecutive_successes() const { return successes_; }
  unsigned tolerated_failures() const { return tolerated_failures_; }
  unsigned healthy_threshold() const { return healthy_threshold_; }
  const std::string& last_reason() const { return last_reason_; }
  std::optional<bool> last_ok() const { return last_ok_; }
  Timestamp last_result() const { return last_result_; }
  Timestamp last_change() const { return last_change_; }
  uint64_t results() const { return results_; }
  const std::optional<Transition>& last_transition() const { return last_transition_; }

 private:
  model::Status next_status(bool ok) const;

  unsigned tolerated_failures_;
  unsigned healthy_threshold_;
  model::Status status_ = model::Status::CheckingEndpoint;
  unsigned failures_ = 0;
  unsigned successes_ = 0;
  std::string last_reason_;
  std::optional<bool> last_ok_;
  Timestamp last_result_{};
  Timestamp last_change_;
  uint64_t results_ = 0;
  std::optional<Transition> last_transition_;
};

}  // namespace meridian::probes
