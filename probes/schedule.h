// When an endpoint's probes run: a first probe soon after start, then one every interval.
#pragma once

#include <string_view>

#include "conf/model.h"

namespace meridian::probes {

// The delay before an endpoint's first probe: a deterministic spread in [0, min(interval, 1s))
// derived from its "profile/endpoint" key. Deterministic so a restart keeps each endpoint's
// phase and tests can predict it; capped at 1s so every endpoint gets its first verdict
// promptly after start even with Azure's 30s interval. Later probes follow every interval.
model::Duration first_probe_delay(std::string_view key, model::Duration interval);

// The repeat period handed to the timer: the interval, at least 1ms (0 would stop repeating).
model::Duration probe_period(model::Duration interval);

}  // namespace meridian::probes
