// Drives the verdicts in real time: timers start checks, results feed verdicts, changes are
// published (health table, then report, then generation) and logged once.
#include "probes/probe_loop.h"

#include <spdlog/spdlog.h>

#include "probes/schedule.h"
#include "probes/summary.h"

namespace meridian::probes {

struct ProbeLoop::Slot {
  ProbeLoop* owner = nullptr;
  const EndpointPlan* plan = nullptr;
  const model::Endpoint* endpoint = nullptr;
  Verdict verdict;
  UvPtr<uv_timer_t> timer;
  bool in_flight = false;
};

EndpointReport make_report(const EndpointPlan& plan, const Verdict* verdict, Timestamp started) {
  EndpointReport report;
  report.profile = plan.profile;
  report.endpoint = plan.endpoint;
  report.probed = plan.probed;
  report.status = plan.initial;
  report.reason = plan.reason;
  report.last_change = started;
  if (verdict == nullptr) return report;
  report.status = verdict->status();
  report.reason = verdict->last_reason();
  report.last_ok = verdict->last_ok();
  report.last_result = verdict->last_result();
  report.last_change = verdict->last_change();
  report.consecutive_failures = verdict->consecutive_failures();
  report.consecutive_successes = verdict->consecutive_successes();
  report.results = verdict->results();
  report.last_transition = verdict->last_transition();
  return report;
}

ProbeLoop::ProbeLoop(std::shared_ptr<const model::Config> config, const std::vector<EndpointPlan>& plans,
                     HealthTable& health, ReportBoard& board, Timestamp started)
    : config_(std::move(config)),
      plans_(plans),
      health_(health),
      board_(board),
      started_(started),
      unsettled_(config_->profiles.size(), 0),
      loop_(make_loop()) {
  stop_signal_ = make_async(
      loop_.get(), [](uv_async_t* async) { static_cast<ProbeLoop*>(async->data)->shutdown(); }, this);
  http_ = std::make_unique<HttpChecker>(loop_.get());
  tcp_ = std::make_unique<TcpChecker>(loop_.get());
  for (const auto& plan : plans_) {
    if (!plan.probed) continue;
    const auto& endpoint = config_->profiles[plan.profile_index].endpoints[plan.endpoint_index];
    auto slot = std::make_unique<Slot>(this, &plan, &endpoint, Verdict(endpoint.monitor, started));
    slot->timer = make_timer(loop_.get(), slot.get());
    ++unsettled_[plan.profile_index];  // every probed endpoint starts CheckingEndpoint
    slots_.push_back(std::move(slot));
  }
}

ProbeLoop::~ProbeLoop() {
  // Normally shutdown() ran on the probe thread already; this covers a loop that never ran.
  slots_.clear();
  tcp_.reset();
  http_.reset();
  stop_signal_.reset();
}

void ProbeLoop::run() {
  spdlog::info("probes: started endpoints={} probed={}", plans_.size(), slots_.size());
  for (size_t p = 0; p < unsettled_.size(); ++p)
    if (unsettled_[p] == 0) log_ready(p);
  for (auto& slot : slots_) {
    const auto& monitor = slot->endpoint->monitor;
    auto delay = first_probe_delay(slot->plan->profile + "/" + slot->plan->endpoint, monitor.interval);
    uv_timer_start(
        slot->timer.get(),
        [](uv_timer_t* timer) {
          auto* ticked = static_cast<Slot*>(timer->data);
          ticked->owner->start_probe(*ticked);
        },
        uint64_t(delay.count()), uint64_t(probe_period(monitor.interval).count()));
  }
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  spdlog::info("probes: stopped");
}

void ProbeLoop::request_stop() {
  uv_async_send(stop_signal_.get());
}

void ProbeLoop::shutdown() {
  // Checkers first: they cancel without calling back into slots that are about to go.
  http_.reset();
  tcp_.reset();
  slots_.clear();
  stop_signal_.reset();
}

void ProbeLoop::start_probe(Slot& slot) {
  // At most one probe per endpoint in flight: a tick that finds one still running is skipped
  // (it can only happen if the timeout is not below the interval).
  if (slot.in_flight) return;
  slot.in_flight = true;
  const model::Monitor& monitor = slot.endpoint->monitor;
  Slot* target = &slot;
  auto done = [this, target](Result result) { on_result(*target, std::move(result)); };
  switch (monitor.protocol) {
    case model::MonitorProtocol::http:
    case model::MonitorProtocol::https: http_->check(slot.endpoint->address, monitor, std::move(done)); break;
    case model::MonitorProtocol::tcp:
      tcp_->check(slot.endpoint->address, monitor.port, monitor.timeout, std::move(done));
      break;
    case model::MonitorProtocol::none:
      slot.in_flight = false;  // not planned for probing; nothing to do
      break;
  }
}

void ProbeLoop::on_result(Slot& slot, Result result) {
  slot.in_flight = false;
  auto transition = slot.verdict.record(result, std::chrono::system_clock::now());
  model::EndpointId id = slot.plan->id;
  if (transition) health_.set(id, transition->to);
  board_.set(id, make_report(*slot.plan, &slot.verdict, started_));
  if (!transition) return;
  board_.bump_generation();
  log_transition(slot, *transition);
  if (transition->from == model::Status::CheckingEndpoint) settle(slot.plan->profile_index);
}

void ProbeLoop::log_transition(const Slot& slot, const Transition& transition) const {
  spdlog::info("probes: {}/{} {} -> {} reason=\"{}\" failures={} successes={}", slot.plan->profile,
               slot.plan->endpoint, model::to_string(transition.from), model::to_string(transition.to),
               transition.reason, transition.failures, transition.successes);
}

void ProbeLoop::settle(size_t profile_index) {
  if (unsettled_[profile_index] == 0) return;
  if (--unsettled_[profile_index] == 0) log_ready(profile_index);
}

void ProbeLoop::log_ready(size_t profile_index) const {
  const auto& profile = config_->profiles[profile_index];
  std::vector<model::Status> statuses;
  statuses.reserve(profile.endpoints.size());
  for (const auto& endpoint : profile.endpoints) statuses.push_back(health_.get(endpoint.id));
  spdlog::info("probes: {}", ready_summary(profile.name, statuses));
}

}  // namespace meridian::probes
