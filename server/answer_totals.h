// DNS answer counts by name (zone, profile, endpoint), summed over every thread's slot: what a
// snapshot counted, kept after the snapshot itself is freed so counters survive reloads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "server/counters.h"

namespace meridian::server {

class Snapshot;

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
