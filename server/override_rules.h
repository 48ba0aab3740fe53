// What an override action makes of an endpoint's override, and when it is refused: one rule for
// the control API and the failover simulation's virtual time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/model.h"
#include "probes/health_table.h"
#include "routing/routing.h"

namespace meridian::server {

enum class OverrideAction { drain, enable, force_up, automatic };
std::optional<OverrideAction> parse_override_action(std::string_view text);  // drain|enable|force-up|auto

// The override after `action`: enable lifts a drain only, auto lifts any override.
probes::Override next_override(probes::Override before, OverrideAction action);

// Why going from `before` to `after` for endpoint `index` of `profile` is refused, or nothing:
// force-up of a nested or disabled endpoint; a drain (unless `force`) that would take some
// profile of `context.config` (this one, or one nesting it) from serving A, AAAA or anything to
// serving nothing, judged on `context.health`.
std::optional<std::string> override_refusal(const routing::Context& context, const model::Profile& profile,
                                            size_t index, probes::Override before, probes::Override after,
                                            bool force);

}  // namespace meridian::server
