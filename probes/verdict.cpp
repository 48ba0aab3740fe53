// The probe verdict state machine: consecutive counts against the monitor's thresholds.
#include "probes/verdict.h"

#include <algorithm>

namespace meridian::probes {

using model::Status;

Verdict::Verdict(unsigned tolerated_failures, unsigned healthy_threshold, Timestamp created)
    : tolerated_failures_(tolerated_failures),
      healthy_threshold_(std::max(1u, healthy_threshold)),
      last_change_(created) {}

Verdict::Verdict(const model::Monitor& monitor, Timestamp created)
    : Verdict(monitor.tolerated_failures, monitor.healthy_threshold, created) {}

Verdict Verdict::resume(const model::Monitor& monitor, const EndpointReport& report) {
  Verdict verdict(monitor, report.last_change);
  verdict.status_ = report.status;
  verdict.failures_ = report.consecutive_failures;
  verdict.successes_ = report.consecutive_successes;
  verdict.last_reason_ = report.reason;
  verdict.last_ok_ = report.last_ok;
  verdict.last_result_ = report.last_result;
  verdict.results_ = report.results;
  verdict.last_transition_ = report.last_transition;
  return verdict;
}

void Verdict::set_thresholds(unsigned tolerated_failures, unsigned healthy_threshold) {
  tolerated_failures_ = tolerated_failures;
  healthy_threshold_ = std::max(1u, healthy_threshold);
}

Status Verdict::next_status(bool ok) const {
  switch (status_) {
    case Status::CheckingEndpoint:
      if (ok) return Status::Online;
      return failures_ > tolerated_failures_ ? Status::Degraded : status_;
    case Status::Online: return !ok && failures_ > tolerated_failures_ ? Status::Degraded : status_;
    case Status::Degraded: return ok && successes_ >= healthy_threshold_ ? Status::Online : status_;
    default: return status_;  // administrative statuses are not the verdict's to change
  }
}

std::optional<Transition> Verdict::record(const Result& result, Timestamp now) {
  if (result.ok) {
    failures_ = 0;
    ++successes_;
  } else {
    successes_ = 0;
    ++failures_;
  }
  ++results_;
  last_ok_ = result.ok;
  last_reason_ = result.reason;
  last_result_ = now;

  Status next = next_status(result.ok);
  if (next == status_) return std::nullopt;
  Transition transition{status_, next, result.reason, failures_, successes_, now};
  status_ = next;
  last_change_ = now;
  last_transition_ = transition;
  return transition;
}

}  // namespace meridian::probes
