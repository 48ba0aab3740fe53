// One generation of everything the answer path reads: config, zone indexes, GeoIP data.
// Built whole, then published with one atomic store; readers never lock (DESIGN.md).
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "conf/model.h"
#include "geo/geo.h"
#include "probes/health_table.h"
#include "resolver/resolved_table.h"
#include "routing/routing.h"
#include "server/counters.h"
#include "server/name_table.h"
#include "server/zone_index.h"

namespace meridian::server {

class Snapshot {
 public:
  // Throws conf::ConfigError ("CONFIG:LINE: GEOFILE: reason") for a GeoIP file that cannot be
  // opened, std::runtime_error for other failures.
  // `resolved` holds FQDN endpoints' addresses (for flatten); null: none resolved. `slots`: the
  // threads that answer from it, each counting into its own slot (server/counters.h).
  Snapshot(std::shared_ptr<const model::Config> config, std::shared_ptr<const probes::HealthTable> health,
           std::shared_ptr<const resolver::ResolvedTable> resolved = nullptr, CounterSlots slots = {});

  const model::Config& config() const { return *config_; }
  const std::shared_ptr<const model::Config>& shared_config() const { return config_; }
  const geo::GeoDb* geo() const { return geo_.get(); }
  routing::HealthView health() const { return health_->view(); }
  const resolver::ResolvedTable* resolved() const { return resolved_.get(); }
  // Counters of the answers given from this snapshot, one slot per answering thread.
  const AnswerCounters& counters() const { return counters_; }
  // A profile's place in config().profiles (it must be one of them).
  size_t position_of(const model::Profile& profile) const {
    return static_cast<size_t>(&profile - first_profile_);
  }
  // The zone holding `lower_name` (deepest origin wins), or null.
  const ZoneIndex* zone_for(std::string_view lower_name) const;
  const model::Profile* profile_for(std::string_view lower_name) const;

  // Whether fetching ahead pays: with few endpoints everything stays in cache and the extra
  // passes only cost (bench/answer-time.sh: 6-15 ns a query at the benchmark's 3 profiles).
  bool fetch_ahead() const { return fetch_ahead_; }
  // Whether some profile places clients with the GeoIP data (geographic, performance): then the
  // look-ahead also fetches each client's cached GeoIP answer.
  bool locates_clients() const { return locates_clients_; }

  // Look-ahead over a batch of queries (server/batch_responder.h): three steps that each start
  // cache misses and wait for none. profile_hash() returns 0 when no profile name has the
  // name's length: nothing to fetch.
  uint64_t profile_hash(std::string_view lower_name) const;
  void prefetch_profile_slot(uint64_t hash) const { profile_by_name_.prefetch_slot(hash); }
  void prefetch_profile_entry(uint64_t hash) const { profile_by_name_.prefetch_entry(hash); }
  const model::Profile* profile_for(std::string_view lower_name, uint64_t hash) const {
    return profile_by_name_.find(lower_name, hash);
  }

 private:
  std::shared_ptr<const model::Config> config_;
  const model::Profile* first_profile_;  // config_->profiles.data(), without the indirection
  AnswerCounters counters_;
  std::vector<std::unique_ptr<ZoneIndex>> zones_;
  NameTable<ZoneIndex> zone_by_origin_;
  NameTable<model::Profile> profile_by_name_;
  // The lengths origins and profile names have (wire names are at most 255 bytes): a name of
  // another length is not looked up at all, so most queries hash one suffix, not every one.
  std::bitset<256> origin_lengths_;
  std::bitset<256> profile_lengths_;
  bool fetch_ahead_ = false;
  bool locates_clients_ = false;
  std::unique_ptr<geo::GeoDb> geo_;
  std::shared_ptr<const probes::HealthTable> health_;
  std::shared_ptr<const resolver::ResolvedTable> resolved_;
};

// The current snapshot. Workers keep their own reference and refresh it when generation()
// moves, so the shared_ptr's reference count is touched once per reload, not per query.
class SnapshotStore {
 public:
  void publish(std::shared_ptr<const Snapshot> snapshot) {
    current_.store(std::move(snapshot));
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const Snapshot> current() const { return current_.load(); }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace meridian::server
