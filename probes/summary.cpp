// Formats a profile's ready line from its endpoints' statuses.
#include "probes/summary.h"

#include <fmt/format.h>

namespace meridian::probes {

std::string ready_summary(std::string_view profile, std::span<const model::Status> statuses) {
  unsigned online = 0, degraded = 0, checking = 0, disabled = 0, inactive = 0, stopped = 0, not_monitored = 0;
  for (auto status : statuses) {
    switch (status) {
      case model::Status::Online: ++online; break;
      case model::Status::Degraded: ++degraded; break;
      case model::Status::CheckingEndpoint: ++checking; break;
      case model::Status::Disabled: ++disabled; break;
      case model::Status::Inactive: ++inactive; break;
      case model::Status::Stopped: ++stopped; break;
      case model::Status::NotMonitored: ++not_monitored; break;
    }
  }
  return fmt::format(
      "profile {} ready online={} degraded={} checking={} disabled={} inactive={} stopped={} "
      "not_monitored={}",
      profile, online, degraded, checking, disabled, inactive, stopped, not_monitored);
}

}  // namespace meridian::probes
