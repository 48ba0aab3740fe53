// The virtual-time run: one event loop over timeline events, probe results, probe ticks and
// client queries, in that order at equal times, on a clock that jumps from event to event.
#include "sim/virtual_run.h"

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "conf/config.h"
#include "probes/carry.h"
#include "probes/monitor.h"
#include "probes/plan.h"
#include "routing/routing.h"
#include "server/override_rules.h"
#include "server/snapshot.h"
#include "sim/endpoint_names.h"
#include "sim/simulated_probe.h"

namespace meridian::sim {

namespace {

using probes::MonotonicTime;
using Tick = MonotonicTime::duration;

const MonotonicTime epoch{};
const probes::Timestamp wall_epoch{};

Seconds seconds_at(MonotonicTime at) {
  return std::chrono::duration<double>(at - epoch).count();
}

// One config generation, as the server runs it: its snapshot, health table and monitors.
struct Generation {
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<probes::HealthTable> health;
  std::unique_ptr<server::Snapshot> snapshot;
  std::unique_ptr<EndpointNames> names;
  std::vector<probes::EndpointPlan> plans;
  std::vector<std::optional<probes::Monitor>> monitors;  // by endpoint id: probed ones only
  std::vector<const Region*> regions;                    // by endpoint id: the region serving it
  struct Pending {
    MonotonicTime at;
    probes::Result result;
    MonotonicTime started;
  };
  std::vector<std::optional<Pending>> pending;  // by endpoint id: the result of the probe in flight
  std::vector<const model::Profile*> client_profiles;
  probes::Timestamp wall_start;
};

class VirtualRun {
 public:
  explicit VirtualRun(const Scenario& scenario)
      : scenario_(scenario), conditions_(scenario.regions.size()), random_(1) {
    result_.clients = empty_observations(scenario);
    for (const auto& client : scenario.clients)
      periods_.push_back(std::chrono::duration_cast<Tick>(std::chrono::duration<double>(1.0 / client.rate)));
    next_query_.assign(scenario.clients.size(), epoch);
    current_ = start_generation(scenario.model, nullptr);
  }

  RunResult run() {
    const MonotonicTime end = epoch + scenario_.duration;
    size_t next_event = 0;
    while (true) {
      // The earliest thing due, by kind: a timeline event, then a result, then a tick, then a query.
      MonotonicTime at = MonotonicTime::max();
      enum { none, event, result, tick, query } what = none;
      size_t which = 0;
      auto consider = [&](MonotonicTime when, decltype(what) kind, size_t index) {
        if (when < at) at = when, what = kind, which = index;
      };
      if (next_event < scenario_.timeline.size())
        consider(epoch + scenario_.timeline[next_event].at, event, 0);
      for (size_t id = 0; id < current_->monitors.size(); ++id) {
        if (current_->pending[id]) consider(current_->pending[id]->at, result, id);
        if (current_->monitors[id]) consider(current_->monitors[id]->next_tick(), tick, id);
      }
      for (size_t c = 0; c < next_query_.size(); ++c) consider(next_query_[c], query, c);
      if (what == none || at >= end) break;
      switch (what) {
        case event: apply(scenario_.timeline[next_event++], at); break;
        case result: deliver(which, at); break;
        case tick: on_tick(which, at); break;
        case query: ask(which, at); break;
        case none: break;
      }
    }
    return std::move(result_);
  }

 private:
  std::unique_ptr<Generation> start_generation(std::shared_ptr<const model::Config> config,
                                               const Generation* before) {
    auto next = std::make_unique<Generation>();
    next->config = config;
    next->health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    probes::publish_initial_statuses(*config, *next->health);
    next->snapshot = std::make_unique<server::Snapshot>(config, next->health);
    next->names = std::make_unique<EndpointNames>(*config, scenario_.regions);
    next->plans = probes::plan_endpoints(*config);
    next->monitors.resize(config->endpoint_count);
    next->regions.assign(config->endpoint_count, nullptr);
    next->pending.resize(config->endpoint_count);
    const MonotonicTime now = now_;
    next->wall_start = wall_epoch + std::chrono::duration_cast<probes::Timestamp::duration>(now - epoch);

    probes::Carry carry;
    if (before) {
      std::vector<probes::EndpointReport> reports;
      for (const auto& plan : before->plans) {
        const auto& monitor = before->monitors[plan.id];
        reports.push_back(
            probes::make_report(plan, monitor ? &monitor->verdict() : nullptr, before->wall_start));
      }
      carry = probes::carry_over(*before->config, before->plans, reports, *config, next->plans);
    }
    for (const auto& plan : next->plans) {
      const auto& endpoint = config->profiles[plan.profile_index].endpoints[plan.endpoint_index];
      for (const auto& region : scenario_.regions)
        if (region.serves(plan.profile, plan.endpoint)) next->regions[plan.id] = &region;
      if (!plan.probed) continue;
      if (endpoint.kind == model::TargetKind::fqdn)
        throw std::runtime_error(fmt::format(
            "{}/{}: virtual time cannot probe an FQDN target (it would need a resolver); give the "
            "endpoint an address served by a region",
            plan.profile, plan.endpoint));
      const probes::EndpointReport* kept = carry.verdict(plan.id);
      probes::Verdict verdict = kept ? probes::Verdict::resume(endpoint.monitor, *kept)
                                     : probes::Verdict(endpoint.monitor, next->wall_start);
      auto& monitor = next->monitors[plan.id].emplace(endpoint.monitor, plan.profile + "/" + plan.endpoint,
                                                      std::move(verdict));
      monitor.begin(now, next->wall_start);
      next->health->set(plan.id, monitor.verdict().status());
    }
    // Overrides outlive reloads by name, as the server keeps them.
    for (const auto& [key, value] : overrides_)
      if (auto id = find_endpoint(*config, key.first, key.second)) next->health->set_override(*id, value);
    for (const auto& client : scenario_.clients)
      next->client_profiles.push_back(next->snapshot->profile_for(conf::to_wire_name(client.query)));
    return next;
  }

  static std::optional<model::EndpointId> find_endpoint(const model::Config& config,
                                                        const std::string& profile,
                                                        const std::string& endpoint) {
    for (const auto& candidate : config.profiles)
      if (candidate.name == profile)
        for (const auto& entry : candidate.endpoints)
          if (entry.name == endpoint) return entry.id;
    return std::nullopt;
  }

  void on_tick(size_t id, MonotonicTime at) {
    now_ = at;
    auto& monitor = *current_->monitors[id];
    if (!monitor.on_tick(at)) return;
    const Region* region = current_->regions[id];
    RegionCondition condition;
    if (region) condition = conditions_[size_t(region - scenario_.regions.data())];
    const auto& plan = current_->plans[id];
    const auto& endpoint = current_->config->profiles[plan.profile_index].endpoints[plan.endpoint_index];
    auto probe = simulated_probe(endpoint.monitor, region, condition);
    current_->pending[id] = Generation::Pending{at + probe.after, std::move(probe.result), at};
  }

  void deliver(size_t id, MonotonicTime at) {
    now_ = at;
    auto pending = std::move(*current_->pending[id]);
    current_->pending[id].reset();
    auto recorded = current_->monitors[id]->on_result(std::move(pending.result), at);
    if (!recorded.transition) return;
    current_->health->set(model::EndpointId(id), recorded.transition->to);
    const auto& plan = current_->plans[id];
    result_.statuses.push_back({seconds_at(at), plan.profile + "/" + plan.endpoint,
                                model::to_string(recorded.transition->from),
                                model::to_string(recorded.transition->to)});
  }

  void ask(size_t c, MonotonicTime at) {
    now_ = at;
    const Client& client = scenario_.clients[c];
    next_query_[c] = at + periods_[c];
    Observation observation;
    observation.at = seconds_at(at);
    const model::Profile* profile = current_->client_profiles[c];
    if (!profile) {
      observation.outcome = "NXDOMAIN";  // the name left the config with a reload
    } else {
      const auto& snapshot = *current_->snapshot;
      const routing::Context context{*current_->config, snapshot.health(), snapshot.geo(),
                                     current_->config->geo.latency.get()};
      routing::Client asking;
      asking.address = client.subnet.network;
      asking.source_prefix = client.subnet.prefix;
      const auto answer = routing::answer(context, *profile, asking, client.qtype, random_);
      if (answer.kind == routing::Answer::Kind::nodata || answer.count == 0) {
        observation.outcome = "NODATA";
      } else {
        observation.ttl = answer.ttl;
        for (size_t i = 0; i < answer.count; ++i)
          observation.endpoints.push_back(current_->names->of(answer.endpoints[i]->id));
        std::sort(observation.endpoints.begin(), observation.endpoints.end());
      }
    }
    result_.clients[c].observations.push_back(std::move(observation));
  }

  void apply(const Event& event, MonotonicTime at) {
    now_ = at;
    switch (event.kind) {
      case EventKind::drain:
      case EventKind::enable: apply_override(event, at); break;
      case EventKind::reload: reload(event, at); break;
      default:
        for (size_t r = 0; r < scenario_.regions.size(); ++r)
          if (scenario_.regions[r].name == event.region) change_condition(r, {event.kind, event.delay}, at);
        break;
    }
  }

  // The region's probes in flight see the change as the fake region's open connections do.
  void change_condition(size_t r, RegionCondition after, MonotonicTime at) {
    const RegionCondition before = conditions_[r];
    conditions_[r] = after;
    const Region& region = scenario_.regions[r];
    for (size_t id = 0; id < current_->pending.size(); ++id) {
      auto& pending = current_->pending[id];
      if (!pending || pending->at <= at || current_->regions[id] != &region) continue;
      const auto& plan = current_->plans[id];
      const auto& endpoint = current_->config->profiles[plan.profile_index].endpoints[plan.endpoint_index];
      const auto elapsed = std::chrono::duration_cast<model::Duration>(at - pending->started);
      if (auto changed = probe_after_change(endpoint.monitor, region, before, after, elapsed)) {
        pending->at = std::max(at, pending->started + changed->after);
        pending->result = std::move(changed->result);
      }
    }
  }

  void apply_override(const Event& event, MonotonicTime at) {
    const auto& config = *current_->config;
    const model::Profile* profile = nullptr;
    for (const auto& candidate : config.profiles)
      if (candidate.name == event.profile) profile = &candidate;
    size_t index = profile ? profile->endpoints.size() : 0;
    for (size_t i = 0; profile && i < profile->endpoints.size(); ++i)
      if (profile->endpoints[i].name == event.endpoint) index = i;
    if (!profile || index == profile->endpoints.size()) {
      result_.warnings.push_back(fmt::format("at {:.1f}s: {} {}/{}: no such endpoint in the running config",
                                             seconds_at(at), to_string(event.kind), event.profile,
                                             event.endpoint));
      return;
    }
    const auto id = profile->endpoints[index].id;
    const auto action =
        event.kind == EventKind::drain ? server::OverrideAction::drain : server::OverrideAction::enable;
    const auto before = current_->health->override_of(id);
    const auto after = server::next_override(before, action);
    const auto& snapshot = *current_->snapshot;
    const routing::Context context{config, snapshot.health(), snapshot.geo(), config.geo.latency.get()};
    if (auto refusal = server::override_refusal(context, *profile, index, before, after, false)) {
      result_.warnings.push_back(
          fmt::format("at {:.1f}s: {} refused: {}", seconds_at(at), to_string(event.kind), *refusal));
      return;
    }
    current_->health->set_override(id, after);
    overrides_[{event.profile, event.endpoint}] = after;
  }

  void reload(const Event& event, MonotonicTime at) {
    std::shared_ptr<const model::Config> config;
    try {
      config = event.config->text.empty() ? conf::load(event.config->path)
                                          : conf::load_from_string(event.config->text, event.config->path);
    } catch (const std::exception& error) {
      result_.warnings.push_back(fmt::format("at {:.1f}s: reload failed, the config running is kept: {}",
                                             seconds_at(at), error.what()));
      return;
    }
    // Drop overrides whose endpoint left, as the server does.
    for (auto entry = overrides_.begin(); entry != overrides_.end();)
      entry = find_endpoint(*config, entry->first.first, entry->first.second) ? std::next(entry)
                                                                              : overrides_.erase(entry);
    current_ = start_generation(std::move(config), current_.get());
  }

  const Scenario& scenario_;
  std::vector<RegionCondition> conditions_;  // by region
  std::vector<Tick> periods_;                // by client
  std::vector<MonotonicTime> next_query_;    // by client
  std::map<std::pair<std::string, std::string>, probes::Override> overrides_;
  routing::Random random_;
  MonotonicTime now_ = epoch;
  std::unique_ptr<Generation> current_;
  RunResult result_;
};

}  // namespace

std::vector<ClientObservations> empty_observations(const Scenario& scenario) {
  std::vector<ClientObservations> clients;
  for (const auto& client : scenario.clients) {
    ClientObservations observations;
    observations.name = client.name;
    observations.where = client.country.empty()
                             ? client.subnet.to_string()
                             : fmt::format("{} ({})", client.country, client.subnet.to_string());
    observations.query = fmt::format("{} {}", client.query, client.qtype == 28 ? "AAAA" : "A");
    observations.cache = client.cache;
    clients.push_back(std::move(observations));
  }
  return clients;
}

RunResult run_virtual(const Scenario& scenario) {
  return VirtualRun(scenario).run();
}

}  // namespace meridian::sim
