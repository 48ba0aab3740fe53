// Which endpoints get probed, and the status of those that do not: a pure function of the config.
#pragma once

#include <string>
#include <vector>

#include "conf/model.h"

namespace meridian::probes {

struct EndpointPlan {
  model::EndpointId id = 0;
  size_t profile_index = 0;
  size_t endpoint_index = 0;  // within its profile
  std::string profile;        // (profile, endpoint) names: the key for logs and for a reload
  std::string endpoint;
  bool probed = false;
  bool resolve = false;  // an FQDN target that resolver/ keeps resolved (probed, or flattened)
  model::Status initial = model::Status::CheckingEndpoint;
  std::string reason;  // why it is not probed, or "awaiting resolver"; empty otherwise
};

// One plan per endpoint, indexed by EndpointId. First matching rule wins:
//   profile disabled                                   -> Inactive      "profile disabled"
//   endpoint disabled                                  -> Disabled      "endpoint disabled"
//   nested, child disabled or without enabled endpoint -> Stopped       "child profile ..."
//   nested otherwise                                   -> NotMonitored  "nested: follows its child"
//   always_serve                                       -> NotMonitored  "always_serve"
//   monitor protocol none                              -> NotMonitored  "monitor protocol none"
//   FQDN target                                        -> probed, CheckingEndpoint "awaiting resolver"
//   otherwise: probed, starting CheckingEndpoint.
// An FQDN target is resolved (`resolve`) when it is probed, or when it is flattened and its
// endpoint can be served (enabled, in an enabled profile): always_serve and monitor none too.
// Throws std::invalid_argument when an endpoint id is not below config.endpoint_count.
std::vector<EndpointPlan> plan_endpoints(const model::Config& config);

}  // namespace meridian::probes
