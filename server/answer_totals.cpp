// Sums a snapshot's per-thread answer counters into counts by name.
#include "server/answer_totals.h"

#include "server/snapshot.h"

namespace meridian::server {

std::string zone_label(const model::Config& config, size_t position) {
  if (position == 0) return {};
  const auto& origin = config.zones[position - 1].origin;
  return origin.empty() ? "." : origin;
}

void AnswerTotals::add(const Snapshot& snapshot) {
  const auto& counters = snapshot.counters();
  const auto& config = snapshot.config();
  const CounterSlots slots = counters.slots();
  for (unsigned index = 0; index < slots.total(); ++index) {
    const auto slot = counters.slot(index);
    const bool tcp = slots.is_tcp(index);
    for (size_t zone = 0; zone <= counters.zones(); ++zone) {
      std::array<uint64_t, rcode_count>* row = nullptr;
      for (unsigned rcode = 0; rcode < rcode_count; ++rcode) {
        const uint64_t count = slot.response(zone, rcode).get();
        if (count == 0) continue;
        if (!row) row = &responses[{zone_label(config, zone), tcp}];
        (*row)[rcode] += count;
      }
    }
    for (size_t p = 0; p < counters.profiles(); ++p) {
      const auto& profile = config.profiles[p];
      profile_answers[profile.name] += slot.profile_answer(p).get();
      profile_nodata[profile.name] += slot.profile_nodata(p).get();
      for (const auto& endpoint : profile.endpoints)
        endpoint_answers[{profile.name, endpoint.name}] += slot.endpoint_answer(endpoint.id).get();
    }
  }
}

void AnswerTotals::add(const AnswerTotals& other) {
  for (const auto& [key, row] : other.responses) {
    auto& mine = responses[key];
    for (size_t i = 0; i < rcode_count; ++i) mine[i] += row[i];
  }
  for (const auto& [key, count] : other.profile_answers) profile_answers[key] += count;
  for (const auto& [key, count] : other.profile_nodata) profile_nodata[key] += count;
  for (const auto& [key, count] : other.endpoint_answers) endpoint_answers[key] += count;
}

}  // namespace meridian::server
