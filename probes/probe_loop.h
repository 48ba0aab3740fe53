// The probe thread's event loop: a timer per probed endpoint that wakes its Monitor (the policy),
// the HTTP and TCP checkers, the resolver for FQDN targets, and publication of every change to
// the health table, the reports and the log.
//
// Everything here runs on the probe thread except the constructor (on the thread that calls
// ProbeService::start()) and request_stop() (any thread).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "conf/model.h"
#include "probes/carry.h"
#include "probes/health_table.h"
#include "probes/http_checker.h"
#include "probes/monitor.h"
#include "probes/plan.h"
#include "probes/probes.h"
#include "probes/report_board.h"
#include "probes/tcp_checker.h"
#include "probes/uv_handle.h"
#include "probes/verdict.h"
#include "resolver/resolver.h"

namespace meridian::probes {

class ProbeLoop {
 public:
  // A resolver is made only when some plan resolves an FQDN; if c-ares cannot be set up, the
  // error is logged and those endpoints count every probe as a failed resolution.
  // Publishes every endpoint's starting status, report and (what `carry` kept) resolved
  // addresses before returning: the tables are complete before the probe thread starts.
  ProbeLoop(std::shared_ptr<const model::Config> config, const std::vector<EndpointPlan>& plans,
            HealthTable& health, ReportBoard& board, std::shared_ptr<resolver::ResolvedTable> resolved,
            Timestamp started, const Carry& carry = {});
  ~ProbeLoop();
  ProbeLoop(const ProbeLoop&) = delete;
  ProbeLoop& operator=(const ProbeLoop&) = delete;

  // Runs until request_stop(); then every probe in flight is cancelled and every handle closed.
  void run();
  void request_stop();

 private:
  struct Slot;

  void make_resolver();
  void arm(Slot& slot);
  void on_tick(Slot& slot);
  void run_probe(Slot& slot);
  void on_result(Slot& slot, Result result);
  void on_resolved(const resolver::Update& update);
  EndpointReport report_of(model::EndpointId id) const;
  void log_transition(const Slot& slot, const Transition& transition) const;
  void settle(size_t profile_index);
  void log_ready(size_t profile_index) const;
  void shutdown();

  std::shared_ptr<const model::Config> config_;
  const std::vector<EndpointPlan>& plans_;
  HealthTable& health_;
  ReportBoard& board_;
  std::shared_ptr<resolver::ResolvedTable> resolved_table_;
  Timestamp started_;
  std::vector<size_t> unsettled_;  // per profile: probed endpoints without a first verdict
  std::vector<bool> quiet_;        // per profile: announced ready before a reload, unchanged since
  size_t carried_ = 0;             // verdicts kept from before a reload
  std::vector<Slot*> slot_of_;     // per endpoint id: its slot, null when not probed
  std::vector<std::vector<geo::Address>> resolved_;  // per endpoint id: its last good answer

  // Declared in the order they are built; destroyed in reverse, the loop last.
  UvLoopPtr loop_;
  UvPtr<uv_async_t> stop_signal_;
  UvPtr<uv_timer_t> heartbeat_;  // stamps the health table while the loop runs
  std::unique_ptr<HttpChecker> http_;
  std::unique_ptr<TcpChecker> tcp_;
  std::unique_ptr<resolver::Resolver> resolver_;  // null without FQDN targets
  std::vector<std::unique_ptr<Slot>> slots_;      // probed endpoints only
};

}  // namespace meridian::probes
