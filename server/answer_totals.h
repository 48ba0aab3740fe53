// DNS answer counts by name (zone, profile, endpoint), summed over every thread's slot: what a
// snapshot counted, kept after the snapshot itself is freed so counters survive reloads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "conf/model.h"
#include "server/counters.h"

namespace meridian::server {

class Snapshot;

// A zone as the `zone` label names it: its origin, "." for the root, "" for position 0 (no zone
// of ours; zone i + 1 is config.zones[i], as AnswerCounters counts them).
std::string zone_label(const model::Config& config, size_t position);

struct AnswerTotals {
  // (zone origin, "" for none; tcp) -> responses by rcode
  std::map<std::pair<std::string, bool>, std::array<uint64_t, rcode_count>> responses;
  std::map<std::string, uint64_t> profile_answers;  // by profile name
  std::map<std::string, uint64_t> profile_nodata;
  std::map<std::pair<std::string, std::string>, uint64_t> endpoint_answers;  // (profile, endpoint)

  // Adds every slot of `snapshot`'s counters (relaxed reads: a live snapshot may still count).
  void add(const Snapshot& snapshot);
  void add(const AnswerTotals& other);
};

}  // namespace meridian::server
