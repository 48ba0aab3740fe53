// Endpoint names for answers: by id, or by the address or CNAME the wire carried.
#include "sim/endpoint_names.h"

#include <algorithm>

namespace meridian::sim {

EndpointNames::EndpointNames(const model::Config& config, const std::vector<Region>& regions)
    : config_(config), names_(config.endpoint_count) {
  for (const auto& profile : config.profiles)
    for (const auto& endpoint : profile.endpoints) {
      names_[endpoint.id] = profile.name + "/" + endpoint.name;
      for (const auto& region : regions)
        if (region.serves(profile.name, endpoint.name)) names_[endpoint.id] = region.name;
    }
}

std::vector<std::string> EndpointNames::of_answer(const model::Profile& profile,
                                                  const std::vector<geo::Address>& addresses,
                                                  const std::vector<std::string>& cnames) const {
  std::vector<std::string> names;
  std::vector<bool> named(addresses.size(), false);
  std::vector<const model::Profile*> pending{&profile};
  std::vector<bool> seen(config_.profiles.size(), false);
  while (!pending.empty()) {
    const model::Profile* current = pending.back();
    pending.pop_back();
    for (const auto& endpoint : current->endpoints) {
      switch (endpoint.kind) {
        case model::TargetKind::nested:
          if (!seen[endpoint.child_index]) {
            seen[endpoint.child_index] = true;
            pending.push_back(&config_.profiles[endpoint.child_index]);
          }
          break;
        case model::TargetKind::address:
          for (size_t i = 0; i < addresses.size(); ++i)
            if (addresses[i] == endpoint.address) {
              names.push_back(names_[endpoint.id]);
              named[i] = true;
            }
          break;
        case model::TargetKind::fqdn:
          for (const auto& cname : cnames)
            if (cname == endpoint.fqdn) names.push_back(names_[endpoint.id]);
          break;
      }
    }
  }
  for (size_t i = 0; i < addresses.size(); ++i)
    if (!named[i]) names.push_back(addresses[i].to_string());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace meridian::sim
