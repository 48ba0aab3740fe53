// Probe timing: the jittered first probe and the repeat period.
#include "probes/schedule.h"

#include <algorithm>
#include <cstdint>

namespace meridian::probes {

namespace {

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

model::Duration first_probe_delay(std::string_view key, model::Duration interval) {
  auto spread = std::min(interval, model::Duration(std::chrono::seconds(1))).count();
  if (spread <= 0) return model::Duration(0);
  return model::Duration(int64_t(fnv1a(key) % uint64_t(spread)));
}

model::Duration probe_period(model::Duration interval) {
  return std::max(interval, model::Duration(1));
}

}  // namespace meridian::probes
