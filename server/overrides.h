// Admin overrides (drain, force-up) by profile and endpoint name: what the control API set,
// persisted to the state file and applied to every generation's health table.
//
// The state file is JSON, written whole to a temporary file beside it, fsync'd, renamed over it
// and the folder fsync'd, so a crash leaves either the old file or the new one:
//   {"version": 1, "overrides": [{"profile": "web", "endpoint": "eastus", "override": "drain",
//                                 "since": "2026-12-02T12:00:00.000Z"}]}
#pragma once

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conf/model.h"
#include "probes/health_table.h"

namespace meridian::server {

using Clock = std::chrono::system_clock;

struct OverrideEntry {
  probes::Override value = probes::Override::none;
  Clock::time_point since{};
};

// A state file that cannot be read or written, with its path and the reason.
class StateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Overrides {
 public:
  using Key = std::pair<std::string, std::string>;  // (profile, endpoint)

  // Reads `file`; a missing file is an empty set (the first start). Throws StateFileError for a
  // file that exists but cannot be read or parsed: starting without the overrides it holds could
  // put a drained region back into service.
  static Overrides load(const std::string& file);
  // Writes every override to `file` atomically; throws StateFileError.
  void save(const std::string& file) const;

  // Sets or clears (Override::none) one override.
  void set(const Key& key, OverrideEntry entry);
  const OverrideEntry* find(const Key& key) const;
  const std::map<Key, OverrideEntry>& entries() const { return entries_; }

  // Writes the overrides of `config`'s endpoints into `health`, and removes (and returns) those
  // whose profile or endpoint `config` no longer has.
  std::vector<Key> apply(const model::Config& config, probes::HealthTable& health);

 private:
  std::map<Key, OverrideEntry> entries_;
};

// "2026-12-02T12:00:00.123Z"
std::string iso_time(Clock::time_point at);

}  // namespace meridian::server
