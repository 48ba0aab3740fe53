// How the verdicts that several sites hold on one endpoint combine into the one routing reads
// (replica.h feeds it from the etcd watch and writes the result into the health table). A pure
// function, so that every replica, given the same verdicts, decides the same.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

#include "conf/model.h"

namespace meridian::replication {

using Clock = std::chrono::system_clock;  // leases are compared across hosts: wall time

// `healthy_when:` in the replication config.
struct Quorum {
  // majority: Online unless more than half of the live sites say Degraded, so one site's bad
  // path cannot fail a region the others reach. A fraction (Route 53's 0.18): Online when more
  // than that share of the live sites say Online.
  std::optional<double> fraction;  // empty: majority
};

// What one site last published for the endpoint, and until when its lease holds.
struct SiteVerdict {
  std::string site;
  model::Status status = model::Status::CheckingEndpoint;
  Clock::time_point lease_expires{};
};

struct Combined {
  model::Status status = model::Status::CheckingEndpoint;
  unsigned online = 0;      // live sites that said Online
  unsigned degraded = 0;    // live sites that said Degraded
  unsigned live = 0;        // sites whose lease holds and that have a verdict (Online or Degraded)
  bool local_only = false;  // no live site had a verdict: `local` decided
};

// The endpoint's combined verdict at `now`. A site whose lease has expired does not count, nor
// one still checking; when no site counts, the replica's own verdict (`local`) stands, so a
// replica cut off from etcd keeps routing on its own probes.
Combined combine(std::span<const SiteVerdict> sites, model::Status local, const Quorum& quorum,
                 Clock::time_point now);

}  // namespace meridian::replication
