#include "replication/quorum.h"

namespace meridian::replication {

Combined combine(std::span<const SiteVerdict> sites, model::Status local, const Quorum& quorum,
                 Clock::time_point now) {
  Combined combined;
  for (const auto& site : sites) {
    if (site.lease_expires <= now) continue;
    if (site.status == model::Status::Online)
      ++combined.online;
    else if (site.status == model::Status::Degraded)
      ++combined.degraded;
    else
      continue;  // still checking, or not a probe verdict at all: no vote
    ++combined.live;
  }
  if (combined.live == 0) {
    combined.status = local;
    combined.local_only = true;
    return combined;
  }
  // Integer comparisons for majority, so that every replica gets the same answer on a tie.
  const bool online = quorum.fraction ? combined.online > *quorum.fraction * combined.live
                                      : 2 * combined.degraded <= combined.live;
  combined.status = online ? model::Status::Online : model::Status::Degraded;
  return combined;
}

}  // namespace meridian::replication
