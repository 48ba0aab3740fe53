// replication::combine: the verdict every replica reads for an endpoint, from the sites' own.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "replication/quorum.h"

using namespace meridian;
using model::Status;
using replication::combine;
using replication::Quorum;
using replication::SiteVerdict;

namespace {

const auto now = replication::Clock::time_point(std::chrono::hours(24 * 365 * 56));
const auto live = now + std::chrono::seconds(10);
const auto expired = now - std::chrono::seconds(1);

std::vector<SiteVerdict> sites(std::initializer_list<Status> statuses,
                               replication::Clock::time_point lease = live) {
  std::vector<SiteVerdict> out;
  for (auto status : statuses) out.push_back({"site-" + std::to_string(out.size()), status, lease});
  return out;
}

}  // namespace

TEST_CASE("majority: one site's bad path does not fail an endpoint the others reach") {
  const Quorum majority;
  CHECK(combine(sites({Status::Online, Status::Online, Status::Degraded}), Status::Degraded, majority, now)
            .status == Status::Online);
  // A tie keeps it Online: only more than half of the live sites can fail it.
  CHECK(combine(sites({Status::Online, Status::Degraded}), Status::Degraded, majority, now).status ==
        Status::Online);
  const auto failed =
      combine(sites({Status::Online, Status::Degraded, Status::Degraded}), Status::Online, majority, now);
  CHECK(failed.status == Status::Degraded);
  CHECK(failed.online == 1);
  CHECK(failed.degraded == 2);
  CHECK(failed.live == 3);
}

TEST_CASE("a fraction is Route 53's rule: Online when more than that share of live sites say Online") {
  const Quorum route53{0.18};
  // 1 of 5 is 20% > 18%: Online.
  CHECK(
      combine(sites({Status::Online, Status::Degraded, Status::Degraded, Status::Degraded, Status::Degraded}),
              Status::Degraded, route53, now)
          .status == Status::Online);
  // 1 of 6 is 16.7%: Degraded.
  CHECK(combine(sites({Status::Online, Status::Degraded, Status::Degraded, Status::Degraded, Status::Degraded,
                       Status::Degraded}),
                Status::Online, route53, now)
            .status == Status::Degraded);
  // 0.5 as a fraction is stricter than majority on a tie.
  CHECK(combine(sites({Status::Online, Status::Degraded}), Status::Online, Quorum{0.5}, now).status ==
        Status::Degraded);
}

TEST_CASE("a site whose lease expired, or that is still checking, does not count") {
  auto verdicts = sites({Status::Online, Status::Online});
  auto stale = sites({Status::Degraded, Status::Degraded, Status::Degraded}, expired);
  verdicts.insert(verdicts.end(), stale.begin(), stale.end());
  verdicts.push_back({"new-site", Status::CheckingEndpoint, live});
  const auto combined = combine(verdicts, Status::Degraded, Quorum{}, now);
  CHECK(combined.status == Status::Online);
  CHECK(combined.live == 2);
  CHECK_FALSE(combined.local_only);
  // A lease that ends exactly now has ended.
  CHECK(combine(sites({Status::Degraded}, now), Status::Online, Quorum{}, now).local_only);
}

TEST_CASE("with no live site, the replica's own verdict stands (etcd unreachable)") {
  for (auto local : {Status::Online, Status::Degraded, Status::CheckingEndpoint}) {
    const auto combined = combine(sites({Status::Online, Status::Degraded}, expired), local, Quorum{}, now);
    CHECK(combined.status == local);
    CHECK(combined.local_only);
    CHECK(combined.live == 0);
  }
  CHECK(combine({}, Status::Online, Quorum{0.18}, now).local_only);
}

TEST_CASE("the same verdicts in any order give the same answer on every replica") {
  auto verdicts =
      sites({Status::Online, Status::Degraded, Status::Degraded, Status::Online, Status::Degraded});
  const auto first = combine(verdicts, Status::Online, Quorum{}, now);
  std::reverse(verdicts.begin(), verdicts.end());
  const auto reversed = combine(verdicts, Status::Online, Quorum{}, now);
  CHECK(first.status == reversed.status);
  CHECK(first.status == Status::Degraded);
}
