// Outages and marks from the scenario's timeline.
#include "sim/outages.h"

#include <chrono>
#include <optional>

#include "sim/simulated_probe.h"

namespace meridian::sim {

namespace {

Seconds seconds(model::Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

const model::Monitor* monitor_of(const model::Config& config, const std::string& profile,
                                 const std::string& endpoint) {
  for (const auto& candidate : config.profiles) {
    if (candidate.name != profile) continue;
    for (const auto& entry : candidate.endpoints)
      if (entry.name == endpoint) return &entry.monitor;
  }
  return nullptr;
}

std::vector<Outage> outages_of(const Scenario& scenario) {
  std::vector<Outage> outages;
  std::vector<RegionCondition> conditions(scenario.regions.size());
  std::vector<std::optional<size_t>> open(scenario.regions.size());  // by region: its outage under way
  const model::Config* config = scenario.model.get();

  // Whether region r is down now, as its monitor sees it, and the outage's bookkeeping.
  auto judge = [&](size_t r, Seconds at) {
    const Region& region = scenario.regions[r];
    // The region's endpoints share its address and port; their settings may still differ: the
    // outage is judged by the first, its worst case by the slowest.
    const model::Monitor* monitor = nullptr;
    for (const auto& ref : region.endpoints)
      if (!monitor) monitor = monitor_of(*config, ref.profile, ref.endpoint);
    bool down = false;
    switch (conditions[r].kind) {
      case EventKind::fail:
      case EventKind::hang:
      case EventKind::degrade: down = true; break;
      case EventKind::slow: down = !monitor || conditions[r].delay >= monitor->timeout; break;
      default: break;
    }
    if (down && !open[r]) {
      Outage outage;
      outage.region = region.name;
      outage.endpoint = region.name;  // answers to it are named by the region
      outage.kind = to_string(conditions[r].kind);
      outage.from = at;
      for (const auto& ref : region.endpoints) {
        const model::Monitor* settings = monitor_of(*config, ref.profile, ref.endpoint);
        if (!settings) continue;
        const Seconds interval = seconds(settings->interval), timeout = seconds(settings->timeout);
        outage.worst_failover =
            std::max(outage.worst_failover, interval * (settings->tolerated_failures + 1) + timeout);
        outage.worst_failback =
            std::max(outage.worst_failback, interval * std::max(1u, settings->healthy_threshold) + timeout);
        outage.interval = std::max(outage.interval, interval);
      }
      open[r] = outages.size();
      outages.push_back(std::move(outage));
    } else if (!down && open[r]) {
      outages[*open[r]].to = at;
      open[r].reset();
    }
  };

  for (const auto& event : scenario.timeline) {
    const Seconds at = seconds(event.at);
    if (event.kind == EventKind::reload) {
      // A new timeout can make a slow region down, or no longer down.
      if (!event.model) continue;
      config = event.model.get();
      for (size_t r = 0; r < scenario.regions.size(); ++r) judge(r, at);
      continue;
    }
    if (event.region.empty()) continue;
    for (size_t r = 0; r < scenario.regions.size(); ++r) {
      if (scenario.regions[r].name != event.region) continue;
      conditions[r] = {event.kind, event.delay};
      judge(r, at);
    }
  }
  return outages;
}

std::vector<Mark> marks_of(const Scenario& scenario) {
  std::vector<Mark> marks;
  for (const auto& event : scenario.timeline) {
    Mark mark;
    mark.at = seconds(event.at);
    mark.kind = to_string(event.kind);
    if (!event.region.empty())
      mark.target = event.region;
    else if (!event.profile.empty())
      mark.target = event.profile + "/" + event.endpoint;
    else if (event.config)
      mark.target = event.config->text.empty() ? event.config->path : "inline config";
    marks.push_back(std::move(mark));
  }
  return marks;
}

}  // namespace meridian::sim
