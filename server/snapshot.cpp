// Builds a snapshot's lookup tables from a validated config.
#include "server/snapshot.h"

#include <algorithm>

#include "conf/config.h"

namespace meridian::server {

namespace {

// About 64 KiB of endpoints' first cache lines: more than stays in L1 between batches.
constexpr size_t fetch_ahead_from_endpoints = 1024;

// A GeoIP file that cannot be opened is a config error like any other: blamed on the config
// line that names it (`meridian check`, a failed reload).
std::unique_ptr<geo::GeoDb> open_geo_databases(const model::Config& config) {
  const auto& settings = config.geo;
  try {
    return geo::GeoDb::open(settings.databases);
  } catch (const geo::GeoError& error) {
    const auto named = std::find(settings.databases.begin(), settings.databases.end(), error.path());
    const auto index = static_cast<size_t>(named - settings.databases.begin());
    const int line = index < settings.database_lines.size() ? settings.database_lines[index] : 0;
    throw conf::ConfigError(config.file, line, error.what());
  }
}

}  // namespace

Snapshot::Snapshot(std::shared_ptr<const model::Config> config,
                   std::shared_ptr<const probes::HealthTable> health,
                   std::shared_ptr<const resolver::ResolvedTable> resolved, CounterSlots slots)
    : config_(std::move(config)),
      first_profile_(config_->profiles.data()),
      counters_(slots, config_->zones.size(), config_->profiles.size(), config_->endpoint_count),
      health_(std::move(health)),
      resolved_(std::move(resolved)) {
  std::vector<std::pair<std::string_view, const ZoneIndex*>> origins;
  for (const auto& zone : config_->zones) {
    zones_.push_back(std::make_unique<ZoneIndex>(zone, zones_.size()));
    origins.emplace_back(zone.origin_wire, zones_.back().get());
    origin_lengths_.set(zone.origin_wire.size());
  }
  zone_by_origin_ = NameTable<ZoneIndex>(origins);
  std::vector<std::pair<std::string_view, const model::Profile*>> profiles;
  for (const auto& profile : config_->profiles) {
    profiles.emplace_back(profile.fqdn_wire, &profile);
    profile_lengths_.set(profile.fqdn_wire.size());
  }
  profile_by_name_ = NameTable<model::Profile>(profiles);
  fetch_ahead_ = config_->endpoint_count > fetch_ahead_from_endpoints;
  if (!config_->geo.databases.empty()) geo_ = open_geo_databases(*config_);
  const auto places_clients = [](const model::Profile& profile) {
    return profile.method == model::Method::geographic || profile.method == model::Method::performance;
  };
  locates_clients_ = geo_ && std::any_of(config_->profiles.begin(), config_->profiles.end(), places_clients);
}

const ZoneIndex* Snapshot::zone_for(std::string_view lower_name) const {
  std::string_view name = lower_name;
  while (!name.empty()) {
    if (name.size() < origin_lengths_.size() && origin_lengths_[name.size()])
      if (const ZoneIndex* zone = zone_by_origin_.find(name)) return zone;
    name = parent_name(name);
  }
  return nullptr;
}

const model::Profile* Snapshot::profile_for(std::string_view lower_name) const {
  if (lower_name.size() >= profile_lengths_.size() || !profile_lengths_[lower_name.size()]) return nullptr;
  return profile_by_name_.find(lower_name);
}

uint64_t Snapshot::profile_hash(std::string_view lower_name) const {
  if (lower_name.size() >= profile_lengths_.size() || !profile_lengths_[lower_name.size()]) return 0;
  return NameHash{}(lower_name);
}

}  // namespace meridian::server
