// Outages and marks from the scenario's timeline.
#include "sim/outages.h"

#include <chrono>
#include <map>
#include <optional>

#include "conf/config.h"

namespace meridian::sim {

namespace {

Seconds seconds(model::Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

// The configs in effect over time: the scenario's, then each reload's.
struct ConfigAt {
  Seconds from = 0;
  std::shared_ptr<const model::Config> config;
};

std::vector<ConfigAt> configs_over_time(const Scenario& scenario) {
  std::vector<ConfigAt> configs{{0, scenario.model}};
  for (const auto& event : scenario.timeline) {
    if (event.kind != EventKind::reload || !event.config) continue;
    try {
      configs.push_back(
          {seconds(event.at), event.config->text.empty()
                                  ? conf::load(event.config->path)
                                  : conf::load_from_string(event.config->text, event.config->path)});
    } catch (const std::exception&) {
      // A reload that fails leaves the running config in place, as the server does.
    }
  }
  return configs;
}

const model::Config& config_at(const std::vector<ConfigAt>& configs, Seconds at) {
  const model::Config* chosen = configs.front().config.get();
  for (const auto& entry : configs)
    if (entry.from <= at) chosen = entry.config.get();
  return *chosen;
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
  const auto configs = configs_over_time(scenario);
  std::vector<Outage> outages;
  std::map<std::string, size_t> open;  // region -> its outage under way
  for (const auto& event : scenario.timeline) {
    if (event.region.empty()) continue;
    const Region* region = nullptr;
    for (const auto& candidate : scenario.regions)
      if (candidate.name == event.region) region = &candidate;
    if (!region) continue;
    const Seconds at = seconds(event.at);
    // The region's endpoints share its address and port; their settings may still differ: the
    // outage is judged by the first, its worst case by the slowest.
    const model::Config& config = config_at(configs, at);
    const model::Monitor* monitor = nullptr;
    for (const auto& ref : region->endpoints)
      if (!monitor) monitor = monitor_of(config, ref.profile, ref.endpoint);
    bool down = false;
    switch (event.kind) {
      case EventKind::fail:
      case EventKind::hang:
      case EventKind::degrade: down = true; break;
      case EventKind::slow: down = !monitor || region->latency + event.delay >= monitor->timeout; break;
      default: break;
    }
    auto running = open.find(region->name);
    if (down && running == open.end()) {
      Outage outage;
      outage.region = region->name;
      outage.endpoint = region->name;  // answers to it are named by the region
      outage.kind = to_string(event.kind);
      outage.from = at;
      for (const auto& ref : region->endpoints) {
        const model::Monitor* settings = monitor_of(config, ref.profile, ref.endpoint);
        if (!settings) continue;
        const Seconds interval = seconds(settings->interval), timeout = seconds(settings->timeout);
        outage.worst_failover =
            std::max(outage.worst_failover, interval * (settings->tolerated_failures + 1) + timeout);
        outage.worst_failback =
            std::max(outage.worst_failback, interval * std::max(1u, settings->healthy_threshold) + timeout);
        outage.interval = std::max(outage.interval, interval);
      }
      open[region->name] = outages.size();
      outages.push_back(std::move(outage));
    } else if (!down && running != open.end()) {
      outages[running->second].to = at;
      open.erase(running);
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
