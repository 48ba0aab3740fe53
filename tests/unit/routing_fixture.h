// Builds small configs, health tables and clients in code for the routing tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/geo.h"
#include "probes/health_table.h"
#include "routing/routing.h"

namespace meridian::routing::testing {

using model::Method;
using model::Status;

inline geo::Address ip(const char* text) {
  auto address = geo::Address::parse(text);
  REQUIRE_MESSAGE(address, text);
  return *address;
}

inline geo::Cidr cidr(const char* text) {
  auto parsed = geo::Cidr::parse(text);
  REQUIRE_MESSAGE(parsed, text);
  return *parsed;
}

inline model::Endpoint address_endpoint(std::string name, const char* target) {
  model::Endpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.kind = model::TargetKind::address;
  endpoint.address = ip(target);
  return endpoint;
}

inline model::Endpoint fqdn_endpoint(std::string name, std::string target) {
  model::Endpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.kind = model::TargetKind::fqdn;
  endpoint.fqdn = std::move(target);
  return endpoint;
}

inline model::Endpoint nested_endpoint(std::string name, std::string child) {
  model::Endpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.kind = model::TargetKind::nested;
  endpoint.child = std::move(child);
  return endpoint;
}

inline model::Location at(double lat, double lon, std::string name = "") {
  return model::Location{geo::unit_vector(geo::Coordinates{lat, lon}), lat, lon, std::move(name)};
}

inline model::Profile make_profile(std::string name, Method method, std::vector<model::Endpoint> endpoints) {
  model::Profile profile;
  profile.fqdn = name + ".example.com";
  profile.name = std::move(name);
  profile.method = method;
  profile.endpoints = std::move(endpoints);
  // Priorities in list order, as conf/ assigns them when none is written.
  for (size_t i = 0; i < profile.endpoints.size(); ++i)
    if (profile.endpoints[i].priority == 0) profile.endpoints[i].priority = static_cast<unsigned>(i + 1);
  return profile;
}

// A client at an address, as the server builds it from a query without ECS.
inline Client client(const char* address) {
  Client result;
  result.address = ip(address);
  result.source_prefix = result.address.max_prefix();
  return result;
}

// A client with an ECS source prefix.
inline Client ecs_client(const char* address, unsigned source_prefix) {
  Client result = client(address);
  result.source_prefix = source_prefix;
  return result;
}

// A client whose location is pinned, so no GeoIP database is needed.
inline Client located_client(const char* address, const char* country, const char* subdivision,
                             const char* continent, std::optional<geo::Coordinates> coordinates,
                             unsigned network_prefix = 24) {
  Client result = client(address);
  result.located = true;
  auto& info = result.info;
  info.found = true;
  std::snprintf(info.country.data(), info.country.size(), "%s", country);
  std::snprintf(info.subdivision.data(), info.subdivision.size(), "%s", subdivision);
  std::snprintf(info.continent.data(), info.continent.size(), "%s", continent);
  info.coordinates = coordinates;
  info.prefix = network_prefix;
  return result;
}

// A config of profiles with ids assigned and children resolved, plus a health table in which
// every endpoint starts Online.
class World {
 public:
  explicit World(std::vector<model::Profile> profiles) {
    config_.file = "test.yaml";
    config_.profiles = std::move(profiles);
    std::map<std::string, size_t> index_of;
    for (size_t i = 0; i < config_.profiles.size(); ++i) index_of[config_.profiles[i].name] = i;
    for (auto& profile : config_.profiles)
      for (auto& endpoint : profile.endpoints) {
        endpoint.id = static_cast<model::EndpointId>(config_.endpoint_count++);
        if (endpoint.kind == model::TargetKind::nested) {
          REQUIRE_MESSAGE(index_of.count(endpoint.child), endpoint.child);
          endpoint.child_index = index_of[endpoint.child];
        }
      }
    health_ = std::make_unique<probes::HealthTable>(config_.endpoint_count);
    for (size_t id = 0; id < config_.endpoint_count; ++id)
      health_->set(static_cast<model::EndpointId>(id), Status::Online);
  }

  model::Config& config() { return config_; }
  const model::Profile& profile(const std::string& name) const {
    for (const auto& profile : config_.profiles)
      if (profile.name == name) return profile;
    FAIL("no profile " << name);
    throw;
  }
  model::Profile& mutable_profile(const std::string& name) {
    return const_cast<model::Profile&>(profile(name));
  }
  const model::Endpoint& endpoint(const std::string& profile_name, const std::string& name) const {
    for (const auto& endpoint : profile(profile_name).endpoints)
      if (endpoint.name == name) return endpoint;
    FAIL("no endpoint " << name);
    throw;
  }

  void set(const std::string& profile_name, const std::string& endpoint_name, Status status) {
    health_->set(endpoint(profile_name, endpoint_name).id, status);
  }

  // Every answer sees the profiles as they are now: their digests (model::index_endpoints) are
  // worked out again, after whatever a test changed through mutable_profile().
  Context context() const {
    auto& profiles = const_cast<model::Config&>(config_).profiles;  // World owns the config
    for (auto& profile : profiles) model::index_endpoints(profile);
    return Context{config_, health_->view(), geo_, latency_};
  }
  void use_geo(const geo::GeoDb* geo) { geo_ = geo; }
  void use_latency(const geo::CidrTable<std::vector<std::pair<std::string, double>>>* latency) {
    latency_ = latency;
  }

  Answer ask(const std::string& profile_name, Client client, uint16_t qtype = 1, uint64_t seed = 1,
             Trace* trace = nullptr) const {
    Random random(seed);
    const Context current = context();
    return answer(current, profile(profile_name), client, qtype, random, trace);
  }
  Answer ask(const std::string& profile_name, Client client, uint16_t qtype, Random& random,
             Trace* trace = nullptr) const {
    const Context current = context();
    return answer(current, profile(profile_name), client, qtype, random, trace);
  }

 private:
  model::Config config_;
  std::unique_ptr<probes::HealthTable> health_;
  const geo::GeoDb* geo_ = nullptr;
  const geo::CidrTable<std::vector<std::pair<std::string, double>>>* latency_ = nullptr;
};

// The names of the endpoints in an answer, in answer order.
inline std::vector<std::string> names(const Answer& answer) {
  std::vector<std::string> result;
  for (size_t i = 0; i < answer.count; ++i) result.push_back(answer.endpoints[i]->name);
  return result;
}

// The single endpoint an answer names, or "" for NODATA.
inline std::string chosen(const Answer& answer) {
  if (answer.kind == Answer::Kind::nodata || answer.count == 0) return "";
  return answer.endpoints[0]->name;
}

inline bool trace_mentions(const Trace& trace, const std::string& text) {
  for (const auto& step : trace.steps)
    if (step.find(text) != std::string::npos) return true;
  return false;
}

inline std::string joined(const Trace& trace) {
  std::string text;
  for (const auto& step : trace.steps) text += step + "\n";
  return text;
}

// Pearson's chi-square statistic of observed counts against expected shares.
inline double chi_square(const std::vector<double>& observed, const std::vector<double>& shares) {
  double total = 0;
  for (double count : observed) total += count;
  double shares_total = 0;
  for (double share : shares) shares_total += share;
  double statistic = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double expected = total * shares[i] / shares_total;
    statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
  }
  return statistic;
}

}  // namespace meridian::routing::testing
