// Drives the monitors in real time: a timer per endpoint wakes its monitor when a probe is due,
// the checkers run the probes it starts, results go back to it, and changes are published
// (health table, then report, then generation) and logged once; resolver answers move FQDN
// endpoints' probes to their addresses.
#include "probes/probe_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>

#include "probes/summary.h"
#include "probes/target.h"

namespace meridian::probes {

struct ProbeLoop::Slot {
  ProbeLoop* owner = nullptr;
  const EndpointPlan* plan = nullptr;
  const model::Endpoint* endpoint = nullptr;
  Monitor monitor;  // the policy: when to probe, what a result means, the verdict
  UvPtr<uv_timer_t> timer{};
  std::optional<geo::Address> address{};  // where probes go: empty while an FQDN awaits its first answer
  std::string fqdn{};                     // FQDN targets: the name HTTP(S) probes ask for
  std::string resolve_failure{};          // why the last lookup failed, while there is no answer
  ProbeStats stats{};
};

void ProbeStats::record(bool ok, std::optional<double> took_seconds) {
  ++(ok ? successes : failures);
  if (!took_seconds) return;
  for (size_t i = 0; i < bounds.size(); ++i)
    if (*took_seconds <= bounds[i]) ++at_most[i];
  ++timed;
  seconds += *took_seconds;
}

void ProbeStats::add(const ProbeStats& other) {
  successes += other.successes;
  failures += other.failures;
  for (size_t i = 0; i < at_most.size(); ++i) at_most[i] += other.at_most[i];
  timed += other.timed;
  seconds += other.seconds;
}

EndpointReport make_report(const EndpointPlan& plan, const Verdict* verdict, Timestamp started,
                           std::span<const geo::Address> resolved, const ProbeStats* stats) {
  EndpointReport report;
  if (stats && (stats->successes || stats->failures))
    report.stats = std::make_shared<const ProbeStats>(*stats);
  report.profile = plan.profile;
  report.endpoint = plan.endpoint;
  report.probed = plan.probed;
  report.status = plan.initial;
  report.reason = plan.reason;
  report.last_change = started;
  report.resolved.assign(resolved.begin(), resolved.end());
  if (verdict == nullptr || verdict->results() == 0) {
    if (plan.probed && plan.resolve && !resolved.empty()) report.reason = "awaiting first probe";
    return report;
  }
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
                     HealthTable& health, ReportBoard& board,
                     std::shared_ptr<resolver::ResolvedTable> resolved, Timestamp started, const Carry& carry)
    : config_(std::move(config)),
      plans_(plans),
      health_(health),
      board_(board),
      resolved_table_(std::move(resolved)),
      started_(started),
      unsettled_(config_->profiles.size(), 0),
      quiet_(config_->profiles.size(), false),
      slot_of_(plans.size(), nullptr),
      resolved_(plans.size()),
      loop_(make_loop()) {
  stop_signal_ = make_async(
      loop_.get(), [](uv_async_t* async) { static_cast<ProbeLoop*>(async->data)->shutdown(); }, this);
  heartbeat_ = make_timer(loop_.get(), &health_);
  http_ = std::make_unique<HttpChecker>(loop_.get(), config_->server.probe_source);
  tcp_ = std::make_unique<TcpChecker>(loop_.get(), config_->server.probe_source);
  for (size_t p = 0; p < quiet_.size(); ++p) quiet_[p] = carry.is_quiet(p);
  for (const auto& plan : plans_) {
    if (plan.resolve) {
      auto kept = carry.addresses(plan.id);
      resolved_[plan.id].assign(kept.begin(), kept.end());
    }
    if (!plan.probed) continue;
    const auto& endpoint = config_->profiles[plan.profile_index].endpoints[plan.endpoint_index];
    const EndpointReport* before = carry.verdict(plan.id);
    // Braces, not make_unique: clang 14 (the fuzz build) has no parenthesised aggregate init.
    auto slot = std::unique_ptr<Slot>(new Slot{
        .owner = this, .plan = &plan, .endpoint = &endpoint,
        .monitor = Monitor(endpoint.monitor, plan.profile + "/" + plan.endpoint,
                before ? Verdict::resume(endpoint.monitor, *before) : Verdict(endpoint.monitor, started))});
    carried_ += before != nullptr;
    slot->timer = make_timer(loop_.get(), slot.get());
    if (endpoint.kind == model::TargetKind::fqdn) {
      slot->fqdn = endpoint.fqdn;
      slot->address = probe_address(resolved_[plan.id]);  // empty until the first answer
    } else {
      slot->address = endpoint.address;
    }
    if (slot->monitor.verdict().status() == model::Status::CheckingEndpoint) ++unsettled_[plan.profile_index];
    slot_of_[plan.id] = slot.get();
    slots_.push_back(std::move(slot));
  }
  for (const auto& plan : plans_) {
    const Slot* slot = slot_of_[plan.id];
    health_.set(plan.id, slot ? slot->monitor.verdict().status() : plan.initial);
    if (!resolved_[plan.id].empty()) resolved_table_->publish(plan.id, resolved_[plan.id]);
    board_.set(plan.id, report_of(plan.id));
  }
  make_resolver();
}

ProbeLoop::~ProbeLoop() {
  // Normally shutdown() ran on the probe thread already; this covers a loop that never ran.
  resolver_.reset();
  slots_.clear();
  tcp_.reset();
  http_.reset();
  heartbeat_.reset();
  stop_signal_.reset();
}

void ProbeLoop::make_resolver() {
  std::vector<resolver::Target> targets;
  for (const auto& plan : plans_) {
    if (!plan.resolve) continue;
    const auto& endpoint = config_->profiles[plan.profile_index].endpoints[plan.endpoint_index];
    targets.push_back(resolver::Target{plan.id, plan.profile + "/" + plan.endpoint, endpoint.fqdn});
  }
  if (targets.empty()) return;  // no c-ares channel, no /etc/resolv.conf read
  try {
    resolver_ = std::make_unique<resolver::Resolver>(
        loop_.get(), resolver::options_from(*config_), std::move(targets), resolved_table_,
        [this](const resolver::Update& update) { on_resolved(update); });
  } catch (const std::exception& error) {
    spdlog::error("resolver: cannot start: {}", error.what());
    for (auto& slot : slots_)
      if (!slot->address) slot->resolve_failure = std::string("resolver unavailable: ") + error.what();
  }
}

void ProbeLoop::run() {
  spdlog::info(
      "probes: started endpoints={} probed={} resolving={} kept_status={}", plans_.size(), slots_.size(),
      std::count_if(plans_.begin(), plans_.end(), [](const EndpointPlan& plan) { return plan.resolve; }),
      carried_);
  // The monitors' schedules start here, the moment "probes: started" is logged.
  const auto start = std::chrono::steady_clock::now();
  const auto wall_start = std::chrono::system_clock::now();
  for (auto& slot : slots_) slot->monitor.begin(start, wall_start);
  if (resolver_) resolver_->start();
  for (size_t p = 0; p < unsettled_.size(); ++p)
    if (unsettled_[p] == 0 && !quiet_[p]) log_ready(p);
  for (auto& slot : slots_) arm(*slot);
  uv_timer_start(
      heartbeat_.get(), [](uv_timer_t* timer) { static_cast<HealthTable*>(timer->data)->beat(); }, 0,
      uint64_t(heartbeat_every.count()));
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  spdlog::info("probes: stopped");
}

void ProbeLoop::request_stop() {
  uv_async_send(stop_signal_.get());
}

void ProbeLoop::shutdown() {
  // Checkers and resolver first: they cancel without calling back into slots about to go.
  http_.reset();
  tcp_.reset();
  resolver_.reset();
  slots_.clear();
  heartbeat_.reset();
  stop_signal_.reset();
}

void ProbeLoop::arm(Slot& slot) {
  // One-shot, re-armed after each tick: the monitor keeps the phase, so a late callback does not
  // push the following probes later (a repeating uv timer would drift by each callback's delay).
  const auto wait = slot.monitor.next_tick() - std::chrono::steady_clock::now();
  const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  uv_timer_start(
      slot.timer.get(),
      [](uv_timer_t* timer) {
        auto* ticked = static_cast<Slot*>(timer->data);
        ticked->owner->on_tick(*ticked);
      },
      uint64_t(std::max<int64_t>(0, wait_ms)), 0);
}

void ProbeLoop::on_tick(Slot& slot) {
  const auto now = std::chrono::steady_clock::now();
  if (now < slot.monitor.next_tick()) {  // libuv's millisecond clock woke us a little early
    arm(slot);
    return;
  }
  if (slot.monitor.on_tick(now)) run_probe(slot);
  arm(slot);
}

void ProbeLoop::run_probe(Slot& slot) {
  if (!slot.address) {
    // An FQDN never resolved: a failed lookup counts as a failed probe, one under way does not.
    slot.monitor.abandon();
    if (!slot.resolve_failure.empty())
      on_result(slot, Result{false, "resolve failed: " + slot.resolve_failure});
    return;
  }
  const model::Monitor& monitor = slot.endpoint->monitor;
  Slot* target = &slot;
  auto done = [this, target](Result result) { on_result(*target, std::move(result)); };
  switch (monitor.protocol) {
    case model::MonitorProtocol::http:
    case model::MonitorProtocol::https:
      http_->check(*slot.address, monitor, std::move(done), slot.fqdn);
      break;
    case model::MonitorProtocol::tcp:
      tcp_->check(*slot.address, monitor.port, monitor.timeout, std::move(done));
      break;
    case model::MonitorProtocol::none:
      slot.monitor.abandon();  // not planned for probing; nothing to do
      break;
  }
}

void ProbeLoop::on_result(Slot& slot, Result result) {
  auto recorded = slot.monitor.on_result(std::move(result), std::chrono::steady_clock::now());
  slot.stats.record(recorded.result.ok, recorded.took_seconds);
  const auto& transition = recorded.transition;
  model::EndpointId id = slot.plan->id;
  if (transition) health_.set(id, transition->to);
  board_.set(id, report_of(id));
  if (!transition) return;
  board_.bump_generation();
  log_transition(slot, *transition);
  if (transition->from == model::Status::CheckingEndpoint) settle(slot.plan->profile_index);
}

void ProbeLoop::on_resolved(const resolver::Update& update) {
  if (update.id >= resolved_.size()) return;
  if (update.changed) resolved_[update.id].assign(update.addresses.begin(), update.addresses.end());
  if (Slot* slot = slot_of_[update.id]) {
    // The addresses are the last good answer, empty only while the name never resolved.
    if (auto address = probe_address(update.addresses)) {
      const bool first = !slot->address;
      slot->address = address;
      slot->resolve_failure.clear();
      // The first answer is probed at once rather than at the next tick, up to an interval away.
      if (first && slot->monitor.start_now(std::chrono::steady_clock::now())) run_probe(*slot);
    } else {
      slot->resolve_failure = update.failure;
    }
  }
  if (update.changed) board_.set(update.id, report_of(update.id));
}

EndpointReport ProbeLoop::report_of(model::EndpointId id) const {
  const Slot* slot = slot_of_[id];
  return make_report(plans_[id], slot ? &slot->monitor.verdict() : nullptr, started_, resolved_[id],
                     slot ? &slot->stats : nullptr);
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
