// The override rules: what each action makes of an override, and the refusals (Route 53 ARC's
// safety rule for drains).
#include "server/override_rules.h"

#include <fmt/format.h>

#include <atomic>
#include <vector>

namespace meridian::server {

std::optional<OverrideAction> parse_override_action(std::string_view text) {
  if (text == "drain") return OverrideAction::drain;
  if (text == "enable") return OverrideAction::enable;
  if (text == "force-up") return OverrideAction::force_up;
  if (text == "auto") return OverrideAction::automatic;
  return std::nullopt;
}

probes::Override next_override(probes::Override before, OverrideAction action) {
  switch (action) {
    case OverrideAction::drain: return probes::Override::drain;
    case OverrideAction::enable: return before == probes::Override::drain ? probes::Override::none : before;
    case OverrideAction::force_up: return probes::Override::force_up;
    case OverrideAction::automatic: return probes::Override::none;
  }
  return before;
}

std::optional<std::string> override_refusal(const routing::Context& context, const model::Profile& profile,
                                            size_t index, probes::Override before, probes::Override after,
                                            bool force) {
  const model::Endpoint& endpoint = profile.endpoints[index];
  if (after == probes::Override::force_up && endpoint.kind == model::TargetKind::nested)
    return fmt::format(
        "{}/{} is nested: its status follows child profile {}; override the child's endpoints instead",
        profile.name, endpoint.name, endpoint.child);
  if (after == probes::Override::force_up && !endpoint.enabled)
    return fmt::format("{}/{} is disabled in the config (enabled: false)", profile.name, endpoint.name);
  if (after != probes::Override::drain || before == probes::Override::drain || force) return std::nullopt;

  // The last serving endpoint is not drained by accident. On a copy of the health view with this
  // one drained, no profile (this one, or one that nests it) may go from serving A, AAAA or
  // anything to serving nothing; one that served nothing before (failing open) is not made
  // worse by it.
  const auto& view = context.health;
  std::vector<std::atomic<uint8_t>> trial(view.size());
  for (size_t i = 0; i < view.size(); ++i) trial[i].store(view[i].load(std::memory_order_acquire));
  trial[endpoint.id].store(static_cast<uint8_t>(model::Status::Disabled));
  const routing::Context what_if{context.config, {trial.data(), trial.size()}, context.geo, context.latency};
  for (const auto& candidate : context.config.profiles) {
    const auto now = routing::serving_endpoints(context, candidate);
    const auto then = routing::serving_endpoints(what_if, candidate);
    const char* lost = now.any > 0 && then.any == 0     ? ""
                       : now.a > 0 && then.a == 0       ? "IPv4 (A) "
                       : now.aaaa > 0 && then.aaaa == 0 ? "IPv6 (AAAA) "
                                                        : nullptr;
    if (!lost) continue;
    return fmt::format(
        "draining {}/{} would leave profile {} with no available {}endpoint; add ?force=true "
        "(meridian ctl --force) to drain it anyway",
        profile.name, endpoint.name, candidate.name, lost);
  }
  return std::nullopt;
}

}  // namespace meridian::server
