// Replicas that agree (issue 22): each replica publishes its own probe verdicts to etcd under
// its site with a lease, watches every site's, and writes the combined verdict (quorum.h) into
// the health table, where DNS workers read it as they read any verdict: one atomic load.
// Admin overrides go through etcd too, so a drain made on one replica moves every replica.
//
// Keys, under `prefix` (default /meridian/):
//   sites/SITE                        the site is live (its lease holds)
//   verdicts/SITE/PROFILE/ENDPOINT    "Online", "Degraded" or "CheckingEndpoint", on SITE's lease
//   overrides/PROFILE/ENDPOINT        {"override": "drain"|"force-up"|"none", "since_ms": ..., "site": ...}
// Names are percent-escaped ('%' and '/') so every key splits back into its parts.
//
// etcd unreachable: the replica keeps the other sites' last verdicts for one lease TTL (what
// their leases would have given them), then routes on its own probes alone; an override made
// meanwhile is applied locally, kept in the state file and written to etcd once it is back.
// On every (re)connect etcd's overrides are the truth, after those pending writes; a cleared one
// stays as "none", so a key etcd lacks was never there (a new cluster, a new prefix), and the
// replica's own override (from its state file) is written to it instead of being lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "conf/model.h"
#include "probes/health_table.h"
#include "replication/quorum.h"

namespace meridian::replication {

struct WatchEvent;
struct EtcdWrite;
class EtcdWatch;

using Key = std::pair<std::string, std::string>;  // (profile, endpoint)

struct OverrideChange {
  Key key;
  probes::Override value = probes::Override::none;  // none: cleared
  Clock::time_point since{};
  std::string site;  // where it was made
};

// Applies overrides that came through etcd (on the replication thread). `complete`: `changes` is
// everything etcd holds (after a (re)connect); an override etcd lacks is to be written to it.
using ApplyOverrides = std::function<void(const std::vector<OverrideChange>& changes, bool complete)>;

struct EndpointAgreement {
  std::vector<std::pair<std::string, model::Status>> sites;  // by site; this one's own verdict included
  Combined combined;
};

struct ReplicaReport {
  std::string site;
  std::string healthy_when;  // "majority" or the fraction
  std::string etcd;          // the member in use (or tried last)
  bool connected = false;
  Clock::time_point since{};  // when `connected` last changed (start, if never)
  std::string last_error;
  std::vector<std::string> live_sites;  // sites whose lease holds, this one included
  uint64_t errors = 0;                  // failed etcd requests
  uint64_t connects = 0;                // sessions started
  uint64_t events = 0;                  // watch events received
  uint64_t writes = 0;                  // keys written or deleted
  uint64_t pending_overrides = 0;       // made while etcd was unreachable, not yet written
  // This site's verdicts are in etcd: false while disconnected, while another replica's lease
  // holds this site's name (a duplicate `site`; its lease in `site_held_by`), or while the
  // probes are stalled.
  bool voting = false;
  int64_t site_held_by = 0;
  // The probe loop has not run for a lease TTL (a stalled thread): this site's verdicts are
  // withdrawn from etcd and do not count here either, until it runs again.
  bool probes_stalled = false;
  std::map<Key, EndpointAgreement> endpoints;
};

class Replica {
 public:
  // `lease_file` (empty: none) keeps this replica's lease ID across a restart: one restarted
  // after a crash resumes the lease that still holds its site, instead of waiting it out.
  Replica(model::ReplicationSettings settings, ApplyOverrides apply_overrides, std::string lease_file = {});
  ~Replica();  // stop()
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Follows a (new) generation: writes the combined verdicts it knows into `health` at once, so
  // a reloaded table starts agreeing before it is published, and publishes from it from now on.
  void attach(std::shared_ptr<const model::Config> config, std::shared_ptr<probes::HealthTable> health);
  void start();
  // Revokes the lease, so the other sites stop counting this one now rather than at its expiry.
  void stop();

  // An override made through this replica's control API: written to etcd (now, or once etcd
  // is reachable again).
  void publish_override(OverrideChange change);

  ReplicaReport report() const;
  // Combined verdicts written into the health table so far (health_generation counts them).
  uint64_t shared_changes() const;
  const model::ReplicationSettings& settings() const { return settings_; }

 private:
  struct Session;
  void run();
  void connect(Session& session);
  void read_all(Session& session);  // everything under the prefix, then the watch from there
  void lose(Session& session, const std::string& why);
  void handle(const std::vector<WatchEvent>& events);
  void reapply_overrides();
  // Publishes what the probes changed; `to_etcd` false: only recomputes (no session).
  void publish_verdicts(Session& session, bool to_etcd);
  void push_overrides(Session& session);
  void keep_alive_if_due(Session& session);
  int64_t read_lease_file() const;  // 0 when there is none for this site
  void write_lease_file(int64_t lease) const;
  // This site's verdicts that etcd holds on the session's lease.
  std::map<Key, model::Status> published_before(Session& session) const;
  // Takes sites/SITE on this session's lease unless another replica's lease holds it.
  void claim_site(Session& session);
  void write_all(Session& session, const std::vector<EtcdWrite>& writes);
  // Another site's key seen: one that combines verdicts differently is logged.
  void note_site(const std::string& site, const std::string& value);
  void recompute_locked(Clock::time_point now);  // under mutex_
  // Whether this site's own probe verdicts vote: not while another replica holds the site's
  // name, nor while the probe loop is stalled (under mutex_).
  bool own_vote_counts_locked() const;
  // Notes a probe loop that stopped stamping the health table, or started again (under mutex_).
  void note_probe_loop_locked();
  // This site's verdict and the live other sites' on `key` (under mutex_).
  std::vector<SiteVerdict> sites_locked(const Key& key, model::Status local) const;
  std::optional<model::Status> shared_verdict_locked(const Key& key, model::Status local,
                                                      Clock::time_point now, Combined* combined) const;

  const model::ReplicationSettings settings_;
  const Quorum quorum_;
  const ApplyOverrides apply_overrides_;
  const std::string lease_file_;

  mutable std::mutex mutex_;  // all below; the control API reads report(), a reload attaches
  std::shared_ptr<const model::Config> config_;
  std::shared_ptr<probes::HealthTable> health_;
  bool attached_ = false;  // a new generation to publish from
  std::set<std::string> live_sites_;
  std::map<Key, std::map<std::string, model::Status>> remote_;   // every site's verdicts, this one's too
  std::map<Key, OverrideChange> pending_;                        // to write to etcd
  std::map<Key, OverrideChange> etcd_overrides_;                 // what etcd holds
  std::map<Key, Clock::time_point> latest_local_;                // the newest change made here, by key
  bool reapply_overrides_ = false;                               // a new generation: etcd's apply again
  bool connected_ = false;
  Clock::time_point since_;
  Clock::time_point lost_at_{};  // remote verdicts count until lost_at_ + lease TTL
  bool stale_ = false;           // that time has passed and recompute_locked knows it
  bool voting_ = false;          // ReplicaReport::voting
  int64_t site_held_by_ = 0;     // another replica's lease on this site's key
  bool site_released_ = false;   // the watch saw this site's key go: claim it now
  bool probes_stalled_ = false;  // ReplicaReport::probes_stalled
  std::string etcd_in_use_, last_error_;
  uint64_t errors_ = 0, connects_ = 0, events_ = 0, writes_ = 0, shared_changes_ = 0;

  std::atomic<bool> stopping_{false};
  std::unique_ptr<EtcdWatch> watch_;
  std::thread thread_;
};

}  // namespace meridian::replication
