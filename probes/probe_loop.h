// The probe thread's event loop: a timer per probed endpoint, the HTTP and TCP checkers, the
// verdicts, and publication of every change to the health table, the reports and the log.
//
// Everything here runs on the probe thread except the constructor (on the thread that calls
// ProbeService::start()) and request_stop() (any thread).
#pragma once

#include <memory>
#include <vector>

#include "conf/model.h"
#include "probes/health_table.h"
#include "probes/http_checker.h"
#include "probes/plan.h"
#include "probes/probes.h"
#include "probes/report_board.h"
#include "probes/tcp_checker.h"
#include "probes/uv_handle.h"
#include "probes/verdict.h"

namespace meridian::probes {

class ProbeLoop {
 public:
  ProbeLoop(std::shared_ptr<const model::Config> config, const std::vector<EndpointPlan>& plans,
            HealthTable& health, ReportBoard& board, Timestamp started);
  ~ProbeLoop();
  ProbeLoop(const ProbeLoop&) = delete;
  ProbeLoop& operator=(const ProbeLoop&) = delete;

  // Runs until request_stop(); then every probe in flight is cancelled and every handle closed.
  void run();
  void request_stop();

 private:
  struct Slot;

  void start_probe(Slot& slot);
  void on_result(Slot& slot, Result result);
  void log_transition(const Slot& slot, const Transition& transition) const;
  void settle(size_t profile_index);
  void log_ready(size_t profile_index) const;
  void shutdown();

  std::shared_ptr<const model::Config> config_;
  const std::vector<EndpointPlan>& plans_;
  HealthTable& health_;
  ReportBoard& board_;
  Timestamp started_;
  std::vector<size_t> unsettled_;  // per profile: probed endpoints without a first verdict

  // Declared in the order they are built; destroyed in reverse, the loop last.
  UvLoopPtr loop_;
  UvPtr<uv_async_t> stop_signal_;
  std::unique_ptr<HttpChecker> http_;
  std::unique_ptr<TcpChecker> tcp_;
  std::vector<std::unique_ptr<Slot>> slots_;  // probed endpoints only
};

// The report for an endpoint, from its plan and, when probed, its verdict.
EndpointReport make_report(const EndpointPlan& plan, const Verdict* verdict, Timestamp started);

}  // namespace meridian::probes
