// Builds model::Config values for probes tests directly, without conf/ parsing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "conf/model.h"
#include "probes/probes.h"
#include "tests/unit/probes_backends.h"

namespace probes_test {

using namespace meridian;

inline geo::Address loopback4() {
  geo::Address address;
  address.bytes[0] = 127;
  address.bytes[3] = 1;
  return address;
}

inline geo::Address loopback6() {
  geo::Address address;
  address.family = geo::Family::v6;
  address.bytes[15] = 1;
  return address;
}

// A monitor with short test timings: probes every `interval`, timing out just below it.
inline model::Monitor fast_monitor(model::MonitorProtocol protocol, uint16_t port,
                                   model::Duration interval = std::chrono::milliseconds(100)) {
  model::Monitor monitor;
  monitor.protocol = protocol;
  monitor.port = port;
  monitor.interval = interval;
  monitor.timeout = interval * 8 / 10;
  monitor.tolerated_failures = 0;
  monitor.healthy_threshold = 1;
  return monitor;
}

inline model::Endpoint address_endpoint(std::string name, model::Monitor monitor,
                                        geo::Address address = loopback4()) {
  model::Endpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.kind = model::TargetKind::address;
  endpoint.address = address;
  endpoint.monitor = std::move(monitor);
  return endpoint;
}

// Adds a profile and numbers its endpoints' ids after those already in the config.
inline model::Profile& add_profile(model::Config& config, std::string name,
                                   std::vector<model::Endpoint> endpoints, bool enabled = true) {
  model::Profile profile;
  profile.name = std::move(name);
  profile.enabled = enabled;
  for (auto& endpoint : endpoints) endpoint.id = model::EndpointId(config.endpoint_count++);
  profile.endpoints = std::move(endpoints);
  config.profiles.push_back(std::move(profile));
  return config.profiles.back();
}

// A started ProbeService over `config`, with helpers to wait for what the test expects.
struct Probing {
  std::shared_ptr<const model::Config> config;
  std::shared_ptr<meridian::probes::HealthTable> health;
  std::unique_ptr<meridian::probes::ProbeService> service;

  explicit Probing(model::Config built, bool start = true)
      : config(std::make_shared<const model::Config>(std::move(built))),
        health(std::make_shared<meridian::probes::HealthTable>(config->endpoint_count)),
        service(std::make_unique<meridian::probes::ProbeService>(config, health)) {
    if (start) service->start();
  }

  meridian::probes::EndpointReport report(model::EndpointId id = 0) const { return service->report(id); }
  model::Status status(model::EndpointId id = 0) const { return report(id).status; }

  bool wait_status(model::EndpointId id, model::Status wanted,
                   std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    return wait_until([&] { return status(id) == wanted; }, limit);
  }
  bool wait_results(model::EndpointId id, uint64_t count,
                    std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    return wait_until([&] { return report(id).results >= count; }, limit);
  }
};

}  // namespace probes_test
