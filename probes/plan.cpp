// Initial statuses from the config: who is probed, and why the others are not.
#include "probes/plan.h"

#include "probes/probes.h"

#include <algorithm>
#include <stdexcept>

namespace meridian::probes {

using model::Status;

namespace {

void decide(const model::Config& config, const model::Profile& profile, const model::Endpoint& endpoint,
            EndpointPlan& plan) {
  auto fixed = [&](Status status, std::string reason) {
    plan.probed = false;
    plan.initial = status;
    plan.reason = std::move(reason);
  };
  if (!profile.enabled) return fixed(Status::Inactive, "profile disabled");
  if (!endpoint.enabled) return fixed(Status::Disabled, "endpoint disabled");
  if (endpoint.kind == model::TargetKind::nested) {
    const model::Profile* child =
        endpoint.child_index < config.profiles.size() ? &config.profiles[endpoint.child_index] : nullptr;
    if (child == nullptr || !child->enabled) return fixed(Status::Stopped, "child profile disabled");
    bool any_enabled = std::any_of(child->endpoints.begin(), child->endpoints.end(),
                                   [](const model::Endpoint& e) { return e.enabled; });
    if (!any_enabled) return fixed(Status::Stopped, "child profile has no enabled endpoint");
    return fixed(Status::NotMonitored, "nested: follows its child");
  }
  const bool fqdn = endpoint.kind == model::TargetKind::fqdn;
  // Flattened answers need the addresses whether or not the endpoint is monitored.
  plan.resolve = fqdn && endpoint.flatten;
  if (endpoint.always_serve) return fixed(Status::NotMonitored, "always_serve");
  if (endpoint.monitor.protocol == model::MonitorProtocol::none)
    return fixed(Status::NotMonitored, "monitor protocol none");
  plan.probed = true;
  plan.resolve = fqdn;
  plan.initial = Status::CheckingEndpoint;
  plan.reason = fqdn ? "awaiting resolver" : "";
}

}  // namespace

std::vector<EndpointPlan> plan_endpoints(const model::Config& config) {
  std::vector<EndpointPlan> plans(config.endpoint_count);
  // An id no endpoint uses (conf numbers them densely, so only in a hand-made config) keeps
  // its own slot, CheckingEndpoint and not probed.
  for (size_t id = 0; id < plans.size(); ++id) plans[id].id = model::EndpointId(id);
  for (size_t p = 0; p < config.profiles.size(); ++p) {
    const auto& profile = config.profiles[p];
    for (size_t e = 0; e < profile.endpoints.size(); ++e) {
      const auto& endpoint = profile.endpoints[e];
      if (endpoint.id >= plans.size())
        throw std::invalid_argument("probes: endpoint " + profile.name + "/" + endpoint.name + " has id " +
                                    std::to_string(endpoint.id) + " beyond endpoint_count");
      EndpointPlan& plan = plans[endpoint.id];
      plan.id = endpoint.id;
      plan.profile_index = p;
      plan.endpoint_index = e;
      plan.profile = profile.name;
      plan.endpoint = endpoint.name;
      decide(config, profile, endpoint, plan);
    }
  }
  return plans;
}

void publish_initial_statuses(const model::Config& config, HealthTable& health) {
  for (const auto& plan : plan_endpoints(config)) health.set(plan.id, plan.initial);
}

}  // namespace meridian::probes
