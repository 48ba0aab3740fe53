// The one-line starting state of a profile, logged once all its probed endpoints have left
// CheckingEndpoint (endpoints not probed count as settled from the start; FQDN endpoints are
// probed, and a failed resolution counts as a failed probe, so they settle too).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "conf/model.h"

namespace meridian::probes {

// "profile web ready online=2 degraded=1 checking=0 disabled=0 inactive=0 stopped=0
// not_monitored=0": every count always present, so the line greps the same way every time.
std::string ready_summary(std::string_view profile, std::span<const model::Status> statuses);

}  // namespace meridian::probes
