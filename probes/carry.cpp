// The carry-over rules of a reload: which verdicts, resolved addresses and ready lines survive.
#include "probes/carry.h"

#include <string>
#include <unordered_map>

namespace meridian::probes {

namespace {

using model::Status;

// Profile names cannot hold a NUL (YAML strings could, but then the key is still unique).
std::string key_of(const std::string& profile, const std::string& endpoint) {
  std::string key = profile;
  key.push_back('\0');
  key += endpoint;
  return key;
}

const model::Endpoint& endpoint_of(const model::Config& config, const EndpointPlan& plan) {
  return config.profiles[plan.profile_index].endpoints[plan.endpoint_index];
}

// What a probe connects to. The FQDN is compared as written: the name probes ask for (Host,
// SNI) is the written one, so a change of case is a change.
bool same_target(const model::Endpoint& a, const model::Endpoint& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case model::TargetKind::address: return a.address == b.address;
    case model::TargetKind::fqdn: return a.fqdn == b.fqdn;
    case model::TargetKind::nested: return a.child == b.child;
  }
  return false;
}

class Mapping {
 public:
  Mapping(const model::Config& before, const std::vector<EndpointPlan>& before_plans,
          std::span<const EndpointReport> before_reports)
      : before_(before), plans_(before_plans), reports_(before_reports) {
    for (const auto& plan : plans_)
      if (!plan.profile.empty() && plan.id < reports_.size())
        id_of_.emplace(key_of(plan.profile, plan.endpoint), plan.id);
    for (size_t p = 0; p < before_.profiles.size(); ++p) profile_of_.emplace(before_.profiles[p].name, p);
  }

  const EndpointPlan* previous(const EndpointPlan& plan) const {
    auto it = id_of_.find(key_of(plan.profile, plan.endpoint));
    return it == id_of_.end() ? nullptr : &plans_[it->second];
  }
  const EndpointReport& report(const EndpointPlan& plan) const { return reports_[plan.id]; }
  const model::Endpoint& endpoint(const EndpointPlan& plan) const { return endpoint_of(before_, plan); }

  // The old profile of that name, if it had announced ready: no probed endpoint was still
  // CheckingEndpoint (a verdict never goes back to it, so the ready line was logged).
  const model::Profile* announced(const std::string& name) const {
    auto it = profile_of_.find(name);
    if (it == profile_of_.end()) return nullptr;
    const model::Profile& profile = before_.profiles[it->second];
    for (const auto& endpoint : profile.endpoints) {
      if (endpoint.id >= plans_.size() || endpoint.id >= reports_.size()) return nullptr;
      if (plans_[endpoint.id].probed && reports_[endpoint.id].status == Status::CheckingEndpoint)
        return nullptr;
    }
    return &profile;
  }

 private:
  const model::Config& before_;
  const std::vector<EndpointPlan>& plans_;
  std::span<const EndpointReport> reports_;
  std::unordered_map<std::string, model::EndpointId> id_of_;
  std::unordered_map<std::string, size_t> profile_of_;
};

}  // namespace

bool same_monitor(const model::Monitor& a, const model::Monitor& b) {
  // Every field of model::Monitor: one added there must be added here.
  return a.protocol == b.protocol && a.port == b.port && a.path == b.path && a.headers == b.headers &&
         a.interval == b.interval && a.timeout == b.timeout && a.tolerated_failures == b.tolerated_failures &&
         a.healthy_threshold == b.healthy_threshold && a.expected_status == b.expected_status &&
         a.tls_verify == b.tls_verify;
}

Carry carry_over(const model::Config& before, const std::vector<EndpointPlan>& before_plans,
                 std::span<const EndpointReport> before_reports, const model::Config& after,
                 const std::vector<EndpointPlan>& after_plans) {
  Carry carry;
  carry.verdicts.resize(after_plans.size());
  carry.resolved.resize(after_plans.size());
  carry.quiet.assign(after.profiles.size(), false);
  Mapping mapping(before, before_plans, before_reports);

  // Per new endpoint: unchanged (kept its verdict, or the same fixed status as before)?
  std::vector<bool> unchanged(after_plans.size(), false);
  for (const auto& plan : after_plans) {
    if (plan.profile.empty()) continue;  // an id no endpoint uses
    const EndpointPlan* old = mapping.previous(plan);
    if (old == nullptr) continue;
    const model::Endpoint& now = endpoint_of(after, plan);
    const model::Endpoint& then = mapping.endpoint(*old);
    const EndpointReport& report = mapping.report(*old);
    const bool target = same_target(now, then);
    if (plan.resolve && old->resolve && target && now.kind == model::TargetKind::fqdn)
      carry.resolved[plan.id] = report.resolved;
    if (plan.probed) {
      if (old->probed && report.results > 0 && target && same_monitor(now.monitor, then.monitor)) {
        carry.verdicts[plan.id] = report;
        ++carry.kept;
        unchanged[plan.id] = true;
      }
    } else {
      unchanged[plan.id] = !old->probed && old->initial == plan.initial;
    }
  }

  for (size_t p = 0; p < after.profiles.size(); ++p) {
    const model::Profile& profile = after.profiles[p];
    const model::Profile* old = mapping.announced(profile.name);
    if (old == nullptr || old->endpoints.size() != profile.endpoints.size()) continue;
    bool quiet = true;
    for (const auto& endpoint : profile.endpoints)
      quiet = quiet && endpoint.id < unchanged.size() && unchanged[endpoint.id];
    carry.quiet[p] = quiet;
  }
  return carry;
}

}  // namespace meridian::probes
