// /v1/status and /readyz: every profile and endpoint of the running generation, as the control
// API, the status page and `meridian ctl status` show them.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "server/control_api.h"

namespace meridian::server {

namespace {

using nlohmann::json;

const char* kind_name(model::TargetKind kind) {
  switch (kind) {
    case model::TargetKind::fqdn: return "fqdn";
    case model::TargetKind::nested: return "nested";
    case model::TargetKind::address: break;
  }
  return "address";
}

json time_or_null(probes::Timestamp at) {
  return at == probes::Timestamp{} ? json(nullptr) : json(iso_time(at));
}

json monitor_json(const model::Monitor& monitor) {
  return {{"protocol", model::to_string(monitor.protocol)},
          {"port", monitor.port},
          {"path", monitor.path},
          {"interval_ms", monitor.interval.count()},
          {"timeout_ms", monitor.timeout.count()},
          {"tolerated_failures", monitor.tolerated_failures},
          {"healthy_threshold", monitor.healthy_threshold}};
}

json location_json(const std::optional<model::Location>& location) {
  if (!location) return nullptr;
  if (!location->name.empty()) return location->name;
  return fmt::format("{},{}", location->lat, location->lon);
}

// Endpoint names qualified by their profile when they belong to another (a nested answer).
using NameOf = std::unordered_map<model::EndpointId, std::string>;

NameOf endpoint_names(const model::Config& config) {
  NameOf names;
  for (const auto& profile : config.profiles)
    for (const auto& endpoint : profile.endpoints) names[endpoint.id] = profile.name + "/" + endpoint.name;
  return names;
}

// The answer to a client that cannot be placed (no ECS, an address GeoIP does not know).
json answer_json(const routing::Context& context, const model::Profile& profile, uint16_t qtype,
                 const NameOf& names, const resolver::ResolvedTable* resolved) {
  routing::Client client;
  client.located = true;  // nowhere: performance treats every endpoint as equally close
  routing::Random random(1);
  const auto answer = routing::answer(context, profile, client, qtype, random);
  json records = json::array(), endpoints = json::array();
  const char* kind = "nodata";
  if (answer.kind != routing::Answer::Kind::nodata && answer.count > 0) {
    kind = answer.kind == routing::Answer::Kind::cname ? "cname" : "addresses";
    for (size_t i = 0; i < answer.count; ++i) {
      const auto& endpoint = *answer.endpoints[i];
      if (answer.kind == routing::Answer::Kind::cname && endpoint.flatten) {
        // As DNS answers it: the target's resolved addresses of the family, or NODATA.
        geo::Address addresses[resolver::ResolvedTable::max_per_family];
        const size_t count =
            resolved ? resolved->read(endpoint.id, qtype == 28 ? geo::Family::v6 : geo::Family::v4, addresses)
                     : 0;
        kind = count ? "addresses" : "nodata";
        for (size_t a = 0; a < count; ++a) records.push_back(addresses[a].to_string());
        if (!count) break;
      } else {
        records.push_back(answer.kind == routing::Answer::Kind::cname ? endpoint.fqdn
                                                                      : answer.addresses[i]->to_string());
      }
      auto name = names.at(endpoint.id);
      const auto own = profile.name + "/";
      endpoints.push_back(name.starts_with(own) ? name.substr(own.size()) : name);
    }
  }
  return {{"rcode", "NOERROR"},
          {"kind", kind},
          {"records", records},
          {"endpoints", endpoints},
          {"ttl", answer.ttl}};
}

std::string reason_of(const probes::EndpointReport& report, probes::Override value) {
  if (value == probes::Override::drain) return "drained";
  if (value == probes::Override::force_up)
    return report.reason.empty() ? "forced up" : "forced up; probes: " + report.reason;
  return report.reason;
}

// A probed endpoint that has had no verdict yet: what keeps a profile, and /readyz, from ready.
bool awaits_verdict(const probes::EndpointReport& report) {
  return report.probed && report.status == model::Status::CheckingEndpoint;
}

}  // namespace

bool is_ready(const Running& running, std::string* why) {
  if (!running.snapshot || !running.probes) {
    if (why) *why = "no config loaded";
    return false;
  }
  for (const auto& profile : running.snapshot->config().profiles)
    for (const auto& endpoint : profile.endpoints) {
      const auto report = running.probes->report(endpoint.id);
      if (awaits_verdict(report)) {
        if (why)
          *why = fmt::format("profile {} has no first verdict for endpoint {}", profile.name, endpoint.name);
        return false;
      }
    }
  return true;
}

std::string status_json(const Running& running, Clock::time_point started) {
  const model::Config& config = running.snapshot->config();
  const routing::Context context{config, running.snapshot->health(), running.snapshot->geo(),
                                 config.geo.latency.get()};
  const NameOf names = endpoint_names(config);
  std::optional<replication::ReplicaReport> replica;
  if (running.replica) replica = running.replica->report();
  json profiles = json::array();
  json changes = json::array();
  bool all_ready = true;
  for (const auto& profile : config.profiles) {
    json endpoints = json::array();
    bool ready = true;
    for (size_t i = 0; i < profile.endpoints.size(); ++i) {
      const auto& endpoint = profile.endpoints[i];
      const auto report = running.probes->report(endpoint.id);
      const auto* entry = running.overrides.find({profile.name, endpoint.name});
      const probes::Override value = entry ? entry->value : probes::Override::none;
      const model::Status status = routing::current_status(context, profile, i);
      if (awaits_verdict(report)) ready = false;
      json last_probe = nullptr;
      if (report.last_ok)
        last_probe = {
            {"ok", *report.last_ok}, {"reason", report.reason}, {"at", iso_time(report.last_result)}};
      json resolved = json::array();
      for (const auto& address : report.resolved) resolved.push_back(address.to_string());
      auto last_change = report.last_change;
      if (entry && entry->since > last_change) last_change = entry->since;
      json target = nullptr;
      if (endpoint.kind == model::TargetKind::address) target = endpoint.address.to_string();
      if (endpoint.kind == model::TargetKind::fqdn) target = endpoint.fqdn;
      json geo = endpoint.geo_codes, subnets = json::array();
      for (const auto& subnet : endpoint.subnets) subnets.push_back(subnet.to_string());
      json sites = nullptr, combined = nullptr;
      if (replica)
        if (const auto found = replica->endpoints.find({profile.name, endpoint.name}); found != replica->endpoints.end()) {
          sites = json::object();
          for (const auto& [site, verdict] : found->second.sites) sites[site] = model::to_string(verdict);
          const auto& c = found->second.combined;
          combined = {{"status", model::to_string(c.status)},
                      {"online", c.online},
                      {"degraded", c.degraded},
                      {"live", c.live},
                      {"local_only", c.local_only}};
        }
      endpoints.push_back({{"name", endpoint.name},
                           {"kind", kind_name(endpoint.kind)},
                           {"target", target},
                           {"child_profile", endpoint.kind == model::TargetKind::nested ? json(endpoint.child)
                                                                                        : json(nullptr)},
                           {"enabled", endpoint.enabled},
                           {"always_serve", endpoint.always_serve},
                           {"priority", endpoint.priority},
                           {"weight", endpoint.weight},
                           {"location", location_json(endpoint.location)},
                           {"geo", geo},
                           {"subnets", subnets},
                           {"monitor", report.probed ? monitor_json(endpoint.monitor) : json(nullptr)},
                           {"status", model::to_string(status)},
                           {"probe_status", model::to_string(report.status)},
                           {"sites", sites},
                           {"combined", combined},
                           {"override", probes::to_string(value)},
                           {"override_since", entry ? json(iso_time(entry->since)) : json(nullptr)},
                           {"available", routing::serves(status)},
                           {"reason", reason_of(report, value)},
                           {"last_probe", last_probe},
                           {"last_change", time_or_null(last_change)},
                           {"consecutive_failures", report.consecutive_failures},
                           {"consecutive_successes", report.consecutive_successes},
                           {"resolved", resolved}});
      if (report.last_transition) {
        const auto& t = *report.last_transition;
        changes.push_back({{"at", iso_time(t.at)},
                           {"profile", profile.name},
                           {"endpoint", endpoint.name},
                           {"from", model::to_string(t.from)},
                           {"to", model::to_string(t.to)},
                           {"reason", t.reason}});
      }
      if (entry)
        changes.push_back({{"at", iso_time(entry->since)},
                           {"profile", profile.name},
                           {"endpoint", endpoint.name},
                           {"from", model::to_string(report.status)},
                           {"to", model::to_string(probes::apply_override(report.status, value))},
                           {"reason", value == probes::Override::drain ? "drained" : "forced up"}});
    }
    all_ready = all_ready && ready;
    profiles.push_back({{"name", profile.name},
                        {"fqdn", profile.fqdn},
                        {"method", model::to_string(profile.method)},
                        {"ttl", profile.ttl},
                        {"enabled", profile.enabled},
                        {"ready", ready},
                        {"answer",
                         {{"A", answer_json(context, profile, 1, names, running.snapshot->resolved())},
                          {"AAAA", answer_json(context, profile, 28, names, running.snapshot->resolved())}}},
                        {"endpoints", endpoints}});
  }
  // Newest first; ISO times in one format sort as strings.
  std::sort(changes.begin(), changes.end(), [](const json& a, const json& b) {
    return a["at"].get<std::string>() > b["at"].get<std::string>();
  });
  if (changes.size() > 50) changes.erase(changes.begin() + 50, changes.end());

  json last_reload = nullptr;
  if (running.last_reload) {
    const auto& r = *running.last_reload;
    last_reload = {{"ok", r.ok},
                   {"at", iso_time(r.at)},
                   {"error", r.ok ? json(nullptr) : json(r.error)},
                   {"took_ms", r.took.count()},
                   {"restart_needed", r.restart_needed}};
  }
  json replication = nullptr;
  if (replica)
    replication = {{"site", replica->site},
                   {"healthy_when", replica->healthy_when},
                   {"etcd", replica->etcd},
                   {"connected", replica->connected},
                   {"since", iso_time(replica->since)},
                   {"last_error", replica->last_error.empty() ? json(nullptr) : json(replica->last_error)},
                   {"live_sites", replica->live_sites},
                   {"pending_overrides", replica->pending_overrides},
                   {"voting", replica->voting},
                   {"probes_stalled", replica->probes_stalled},
                   {"site_held_by", replica->site_held_by ? json(fmt::format("{:x}", replica->site_held_by))
                                                          : json(nullptr)}};
  const auto& state_file = running.state_file;  // the one in use: a reload does not change it
  json status = {{"version", MERIDIAN_VERSION},
                 {"started_at", iso_time(started)},
                 {"now", iso_time(Clock::now())},
                 {"config",
                  {{"file", config.file},
                   {"generation", running.generation},
                   {"loaded_at", iso_time(running.loaded_at)}}},
                 {"last_reload", last_reload},
                 {"reloads", {{"ok", running.reloads_ok}, {"failed", running.reloads_failed}}},
                 {"health_generation", running.health_generation()},
                 {"replication", replication},
                 {"ready", all_ready},
                 {"state_file", state_file.empty() ? json(nullptr) : json(state_file)},
                 {"profiles", profiles},
                 {"changes", changes}};
  return status.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace meridian::server
