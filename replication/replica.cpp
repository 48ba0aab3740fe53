// The replication thread: the etcd session (lease, keys, watch) and the view of every site's
// verdicts and the shared overrides it keeps, written into the health table as it changes.
#include "replication/replica.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "replication/etcd_client.h"
#include "replication/etcd_watch.h"

namespace meridian::replication {

using nlohmann::json;
using std::chrono::milliseconds;
using model::Status;

namespace {

// etcd allows 128 operations per transaction by default.
constexpr size_t max_writes_per_transaction = 100;
constexpr milliseconds verdict_poll{100};

std::string escape(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == '%' || c == '/')
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The key's parts after the prefix, unescaped; nothing for a key another writer escaped badly.
std::optional<std::vector<std::string>> split(std::string_view text) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '/') {
      parts.emplace_back();
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_digit(text[i + 1]), low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      parts.back() += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      parts.back() += text[i];
    }
  }
  return parts;
}

bool probe_verdict(Status status) {
  return status == Status::CheckingEndpoint || status == Status::Online || status == Status::Degraded;
}

std::optional<Status> parse_status(const std::string& text) {
  for (const auto status : {Status::CheckingEndpoint, Status::Online, Status::Degraded})
    if (text == model::to_string(status)) return status;
  return std::nullopt;
}

// An overrides/ value; nothing when it is not one.
std::optional<OverrideChange> parse_override(const Key& key, const std::string& text) {
  try {
    const auto value = json::parse(text);
    if (!value.is_object()) return std::nullopt;
    const auto name = value.value("override", "");
    for (const auto o : {probes::Override::none, probes::Override::drain, probes::Override::force_up})
      if (name == probes::to_string(o))
        return OverrideChange{key, o, Clock::time_point(milliseconds(value.value("since_ms", int64_t(0)))),
                              value.value("site", "")};
  } catch (const json::exception&) {
  }
  return std::nullopt;
}

std::string healthy_when(const model::ReplicationSettings& settings) {
  return settings.healthy_fraction ? fmt::format("{}", *settings.healthy_fraction) : "majority";
}

}  // namespace

struct Replica::Session {
  explicit Session(EtcdOptions options) : client(std::move(options)) {}
  EtcdClient client;
  bool up = false;
  int64_t lease = 0;
  Clock::time_point next_keep_alive{};
  std::map<Key, Status> published;  // what etcd holds of this site's verdicts
  uint64_t seen_changes = ~uint64_t(0);
  milliseconds backoff{250};
  bool voting = false;  // this session's lease holds sites/SITE
  int64_t held_by = 0;  // the other lease that does, once logged
  Clock::time_point next_claim{};
  bool resumed = false;  // `lease` was read from the lease file, not granted in this process
};

int64_t Replica::read_lease_file() const {
  if (lease_file_.empty()) return 0;
  std::ifstream in(lease_file_);
  if (!in) return 0;
  try {
    const auto saved = json::parse(in);
    if (saved.value("site", "") != settings_.site) return 0;  // another config's file
    return json_int(saved.value("lease", json()));
  } catch (const std::exception& error) {
    spdlog::warn("replication: ignoring {}: {}", lease_file_, error.what());
    return 0;
  }
}

void Replica::write_lease_file(int64_t lease) const {
  if (lease_file_.empty()) return;
  // Written whole, then renamed over the old one: a crash leaves one or the other.
  const std::string temporary = lease_file_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << json{{"site", settings_.site}, {"lease", std::to_string(lease)}}.dump() << "\n";
    if (!out.flush()) {
      spdlog::warn("replication: cannot write {}; a restart after a crash waits out this lease", temporary);
      return;
    }
  }
  if (std::rename(temporary.c_str(), lease_file_.c_str()) != 0)
    spdlog::warn("replication: cannot rename {} to {}; a restart after a crash waits out this lease",
                 temporary, lease_file_);
}

Replica::Replica(model::ReplicationSettings settings, ApplyOverrides apply_overrides, std::string lease_file)
    : settings_(std::move(settings)),
      quorum_{settings_.healthy_fraction},
      apply_overrides_(std::move(apply_overrides)),
      lease_file_(std::move(lease_file)),
      since_(Clock::now()),
      lost_at_(since_),  // never connected: nothing remote to keep past one lease TTL
      etcd_in_use_(settings_.etcd.empty() ? "" : settings_.etcd.front()),
      watch_(std::make_unique<EtcdWatch>()) {}

Replica::~Replica() { stop(); }

void Replica::attach(std::shared_ptr<const model::Config> config, std::shared_ptr<probes::HealthTable> health) {
  {
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
    health_ = std::move(health);
    attached_ = true;
    reapply_overrides_ = true;  // etcd's overrides of endpoints the old config lacked
    recompute_locked(Clock::now());
  }
  watch_->wakeup();
}

void Replica::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "replication");
    run();
  });
}

void Replica::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  watch_->wakeup();
  thread_.join();
}

void Replica::publish_override(OverrideChange change) {
  change.site = settings_.site;
  {
    std::lock_guard lock(mutex_);
    latest_local_[change.key] = change.since;
    pending_[change.key] = std::move(change);
  }
  watch_->wakeup();
}

std::vector<SiteVerdict> Replica::sites_locked(const Key& key, Status local) const {
  // Sites whose lease ended have left live_sites_; once stale, remote_ is empty.
  const auto forever = Clock::time_point::max();
  // While another replica holds this site's name, its verdicts stand for the site here too, so
  // that this replica answers as every other one does; until then this site's own probes do.
  const bool observer = connected_ && !voting_;
  std::vector<SiteVerdict> sites;
  if (own_vote_counts_locked()) sites.push_back({settings_.site, local, forever});
  if (const auto found = remote_.find(key); found != remote_.end())
    for (const auto& [site, status] : found->second)
      if (live_sites_.contains(site) && (site != settings_.site || observer))
        sites.push_back({site, status, forever});
  return sites;
}

std::optional<Status> Replica::shared_verdict_locked(const Key& key, Status local, Clock::time_point now,
                                                     Combined* combined) const {
  // A status the config fixes (disabled, not monitored, ...) is the same at every site.
  if (!probe_verdict(local)) return std::nullopt;
  const Combined result = combine(sites_locked(key, local), local, quorum_, now);
  if (combined) *combined = result;
  // Only this site's own verdict counted: leave the table to the probes, as without replication
  // (combine() would say the same; this keeps shared() empty where nothing is shared).
  if (result.local_only ||
      (own_vote_counts_locked() && result.live == 1 && local != Status::CheckingEndpoint))
    return std::nullopt;
  return result.status;
}

bool Replica::own_vote_counts_locked() const {
  return !(connected_ && !voting_) && !probes_stalled_;
}

void Replica::note_probe_loop_locked() {
  if (!health_) return;
  const auto silent = std::chrono::steady_clock::now() - health_->last_beat();
  const bool stalled = silent > settings_.lease_ttl;
  if (stalled == probes_stalled_) return;
  probes_stalled_ = stalled;
  attached_ = true;  // publish again: withdraw every verdict, or put them all back
  if (stalled)
    spdlog::warn(
        "replication: the probe loop has not run for {} ms; this site's verdicts no longer count, here or "
        "at the other sites, until it runs again",
        std::chrono::duration_cast<milliseconds>(silent).count());
  else
    spdlog::info("replication: the probe loop runs again; this site's verdicts count again");
}

void Replica::recompute_locked(Clock::time_point now) {
  if (!connected_ && !stale_ && now >= lost_at_ + settings_.lease_ttl) {
    // Their leases would have run out by now: the other sites stop counting, and stop being
    // listed as live, until a new session reads them again. Frozen verdicts would otherwise
    // keep answering with a region that fails during the outage.
    stale_ = true;
    remote_.clear();
    live_sites_ = {settings_.site};
    if (connects_ > 0)
      spdlog::warn("replication: etcd still unreachable after the lease TTL; routing on this site's probes alone");
  }
  if (!config_ || !health_) return;
  for (const auto& profile : config_->profiles)
    for (const auto& endpoint : profile.endpoints) {
      const auto want = shared_verdict_locked({profile.name, endpoint.name}, health_->verdict(endpoint.id), now, nullptr);
      if (health_->shared(endpoint.id) != want) {
        health_->set_shared(endpoint.id, want);
        ++shared_changes_;
      }
    }
}

void Replica::keep_alive_if_due(Session& session) {
  if (Clock::now() < session.next_keep_alive) return;
  if (!session.client.keep_alive(session.lease)) {
    session.lease = 0;
    throw EtcdError("the lease expired");
  }
  session.next_keep_alive = Clock::now() + settings_.lease_ttl / 3;
}

void Replica::write_all(Session& session, const std::vector<EtcdWrite>& writes) {
  for (size_t at = 0; at < writes.size(); at += max_writes_per_transaction) {
    // Thousands of endpoints take many transactions: the lease must not run out meanwhile.
    if (stopping_) throw EtcdError("stopping");
    keep_alive_if_due(session);
    const auto end = std::min(writes.size(), at + max_writes_per_transaction);
    session.client.write({writes.begin() + at, writes.begin() + end});
    std::lock_guard lock(mutex_);
    writes_ += end - at;
  }
}

void Replica::connect(Session& session) {
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_ttl);
  // The old lease may still hold (a short outage, or a restart after a crash: read_lease_file):
  // keep it, and with it the keys others see.
  const int64_t before = session.lease;
  if (session.lease == 0 || !session.client.keep_alive(session.lease)) session.lease = session.client.grant(ttl);
  if (session.lease != before)
    write_lease_file(session.lease);
  else if (session.resumed)
    spdlog::info("replication: resumed lease {:x} from before the restart", session.lease);
  session.resumed = false;
  session.published.clear();  // written again below: a write may have failed with the session
  session.next_keep_alive = Clock::now() + settings_.lease_ttl / 3;
  session.voting = false;
  claim_site(session);
  // A kept lease still holds what this site published before (before a crash, perhaps under
  // another config): start from that, so that a verdict no endpoint gives any more is deleted.
  if (session.voting && session.lease == before) session.published = published_before(session);
  {
    std::lock_guard lock(mutex_);
    attached_ = true;
  }
  session.seen_changes = ~uint64_t(0);
  publish_verdicts(session, session.voting);
  push_overrides(session);
  read_all(session);
  session.up = true;
  session.backoff = milliseconds(250);
  spdlog::info("replication: connected to etcd {} as site {} (lease {:x})", session.client.endpoint(),
               settings_.site, session.lease);
}

std::map<Key, Status> Replica::published_before(Session& session) const {
  const std::string mine = settings_.prefix + "verdicts/" + escape(settings_.site) + "/";
  std::map<Key, Status> out;
  for (const auto& kv : session.client.range_prefix(mine).kvs) {
    const auto parts = split(std::string_view(kv.key).substr(settings_.prefix.size()));
    const auto status = parse_status(kv.value);
    if (parts && parts->size() == 4 && status && kv.lease == session.lease)
      out[{(*parts)[2], (*parts)[3]}] = *status;
  }
  return out;
}

void Replica::claim_site(Session& session) {
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_ttl);
  const json site = {
      {"site", settings_.site}, {"lease_ttl_s", ttl.count()}, {"healthy_when", healthy_when(settings_)}};
  const auto holder =
      session.client.claim(settings_.prefix + "sites/" + escape(settings_.site), site.dump(), session.lease);
  session.next_claim = Clock::now() + settings_.lease_ttl / 3;
  const bool voting = holder == session.lease;
  if (!voting && holder != 0 && holder != session.held_by)
    spdlog::error(
        "replication: another replica holds site {} (lease {:x}): every site name must be unique; "
        "this one does not vote until that lease ends (after a crash without a state file, its own "
        "last lease: at most one TTL)",
        settings_.site, holder);
  if (voting && session.held_by != 0)
    spdlog::info("replication: site {} is free (lease {:x} ended); voting from now on", settings_.site,
                 session.held_by);
  if (voting && !session.voting) {
    session.published.clear();
    session.seen_changes = ~uint64_t(0);  // every verdict, on the next publish
  }
  session.voting = voting;
  if (voting || holder != 0) session.held_by = voting ? 0 : holder;
  std::lock_guard lock(mutex_);
  voting_ = voting;
  site_held_by_ = session.held_by;
  site_released_ = false;
  if (voting) attached_ = true;
}

void Replica::read_all(Session& session) {
  const auto range = session.client.range_prefix(settings_.prefix);
  std::set<std::string> live;
  std::map<Key, std::map<std::string, Status>> remote;
  std::map<Key, OverrideChange> overrides;
  for (const auto& kv : range.kvs) {
    const auto parts = split(std::string_view(kv.key).substr(settings_.prefix.size()));
    if (!parts) {
      spdlog::warn("replication: ignoring key {}: not escaped as Meridian escapes names", kv.key);
      continue;
    }
    const auto& p = *parts;
    if (p.size() == 2 && p[0] == "sites") {
      live.insert(p[1]);
      if (p[1] != settings_.site) note_site(p[1], kv.value);
    } else if (p.size() == 4 && p[0] == "verdicts") {  // this site's too: see sites_locked()
      if (const auto status = parse_status(kv.value)) remote[{p[2], p[3]}][p[1]] = *status;
    } else if (p.size() == 3 && p[0] == "overrides") {
      if (const auto change = parse_override({p[1], p[2]}, kv.value))
        overrides[change->key] = *change;
      else
        spdlog::warn("replication: ignoring {}: not an override", kv.key);
    }
  }
  watch_->start(session.client, settings_.prefix, range.revision + 1);
  std::vector<OverrideChange> changes;
  {
    std::lock_guard lock(mutex_);
    live_sites_ = std::move(live);
    live_sites_.insert(settings_.site);
    remote_ = std::move(remote);
    etcd_overrides_ = overrides;
    if (!connected_) {  // a new session, not a watch read again
      since_ = Clock::now();
      ++connects_;
    }
    connected_ = true;
    stale_ = false;
    etcd_in_use_ = session.client.endpoint();
    recompute_locked(Clock::now());
    for (const auto& [key, change] : overrides) changes.push_back(change);
    // A change made since push_overrides() is newer than what the read saw.
    for (const auto& [key, change] : pending_) changes.push_back(change);
  }
  apply_overrides_(changes, true);
}

void Replica::note_site(const std::string& site, const std::string& value) {
  try {
    const auto parsed = json::parse(value);
    const auto theirs = parsed.value("healthy_when", "");
    if (!theirs.empty() && theirs != healthy_when(settings_))
      spdlog::warn("replication: site {} combines verdicts with healthy_when {} and this one with {}: "
                   "replicas may disagree",
                   site, theirs, healthy_when(settings_));
  } catch (const json::exception&) {
  }
}

void Replica::lose(Session& session, const std::string& why) {
  watch_->stop();
  const bool was_up = session.up;
  session.up = false;
  session.published.clear();  // what failed may not have reached etcd: all of it again next time
  bool first_failure = false;
  {
    std::lock_guard lock(mutex_);
    ++errors_;
    first_failure = errors_ == 1;
    last_error_ = why;
    etcd_in_use_ = session.client.endpoint();
    voting_ = false;
    if (was_up) {
      connected_ = false;
      since_ = lost_at_ = Clock::now();
    }
  }
  // Logged once per outage, not once per retry.
  if (was_up)
    spdlog::warn("replication: etcd unreachable ({}); answering from the last combined view for {} s, "
                 "then from this site's probes",
                 why, std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_ttl).count());
  else if (first_failure)
    spdlog::warn("replication: cannot reach etcd ({}); answering from this site's probes until it can", why);
  session.client.next_endpoint();
}

void Replica::publish_verdicts(Session& session, bool to_etcd) {
  std::vector<EtcdWrite> writes;
  std::map<Key, Status> now;
  {
    std::lock_guard lock(mutex_);
    if (!config_ || !health_) return;
    note_probe_loop_locked();
    const uint64_t changes = health_->verdict_changes();
    if (!attached_ && changes == session.seen_changes) return;
    attached_ = false;
    session.seen_changes = changes;
    recompute_locked(Clock::now());                  // this site's own verdicts count at once, etcd or not
    if (!to_etcd) return;  // connect() publishes them all
    // A stalled probe loop's verdicts are stale: all of them are deleted until it runs again.
    if (!probes_stalled_)
      for (const auto& profile : config_->profiles)
        for (const auto& endpoint : profile.endpoints) {
          const auto status = health_->verdict(endpoint.id);
          if (probe_verdict(status)) now[{profile.name, endpoint.name}] = status;
        }
  }
  const auto key_of = [&](const Key& key) {
    return settings_.prefix + "verdicts/" + escape(settings_.site) + "/" + escape(key.first) + "/" +
           escape(key.second);
  };
  for (const auto& [key, status] : now)
    if (auto found = session.published.find(key); found == session.published.end() || found->second != status)
      writes.push_back({key_of(key), model::to_string(status), false, session.lease});
  for (const auto& [key, status] : session.published)
    if (!now.contains(key)) writes.push_back({key_of(key), "", true, 0});
  write_all(session, writes);
  session.published = std::move(now);  // only once all of it is in etcd
}

void Replica::push_overrides(Session& session) {
  std::map<Key, OverrideChange> pending;
  {
    std::lock_guard lock(mutex_);
    pending = pending_;
  }
  if (pending.empty()) return;
  std::vector<EtcdWrite> writes;
  for (const auto& [key, change] : pending) {
    // A cleared override is written too ("none"), not deleted, so the others can log who cleared it.
    const json value = {{"override", probes::to_string(change.value)},
                        {"since_ms", std::chrono::duration_cast<milliseconds>(change.since.time_since_epoch()).count()},
                        {"site", change.site}};
    writes.push_back({settings_.prefix + "overrides/" + escape(key.first) + "/" + escape(key.second), value.dump(),
                      false, 0});
  }
  write_all(session, writes);
  std::lock_guard lock(mutex_);
  // Only what was written: a change made meanwhile stays pending.
  for (const auto& [key, change] : pending)
    if (auto found = pending_.find(key); found != pending_.end() && found->second.since == change.since &&
                                         found->second.value == change.value)
      pending_.erase(found);
}

void Replica::handle(const std::vector<WatchEvent>& events) {
  if (events.empty()) return;
  std::vector<OverrideChange> overrides;
  {
    std::lock_guard lock(mutex_);
    events_ += events.size();
    for (const auto& event : events) {
      if (!event.kv.key.starts_with(settings_.prefix)) continue;
      const auto parts = split(std::string_view(event.kv.key).substr(settings_.prefix.size()));
      if (!parts) continue;  // read_all() warned, or will
      const auto& p = *parts;
      if (p.size() == 2 && p[0] == "sites") {
        if (p[1] == settings_.site) {
          if (event.deleted && !voting_) site_released_ = true;  // the other holder left
          continue;
        }
        if (event.deleted) {
          live_sites_.erase(p[1]);
          spdlog::info("replication: site {} left (its lease ended); its verdicts no longer count", p[1]);
        } else if (live_sites_.insert(p[1]).second) {
          spdlog::info("replication: site {} joined", p[1]);
          note_site(p[1], event.kv.value);
        }
      } else if (p.size() == 4 && p[0] == "verdicts") {
        const Key key{p[2], p[3]};
        if (event.deleted) {
          if (auto found = remote_.find(key); found != remote_.end()) found->second.erase(p[1]);
        } else if (const auto status = parse_status(event.kv.value)) {
          remote_[key][p[1]] = *status;
        }
      } else if (p.size() == 3 && p[0] == "overrides" && !event.deleted) {
        const auto change = parse_override({p[1], p[2]}, event.kv.value);
        if (!change) continue;
        etcd_overrides_[change->key] = *change;
        // The echo of an older change of ours, arriving after a newer one was made here.
        if (const auto mine = latest_local_.find(change->key); mine != latest_local_.end() && change->since < mine->second)
          continue;
        overrides.push_back(*change);
      }
    }
    recompute_locked(Clock::now());
  }
  if (!overrides.empty()) apply_overrides_(overrides, false);
}

void Replica::reapply_overrides() {
  std::vector<OverrideChange> changes;
  {
    std::lock_guard lock(mutex_);
    if (!reapply_overrides_) return;
    reapply_overrides_ = false;
    if (!connected_) return;  // read_all() applies them when the session begins
    for (const auto& [key, change] : etcd_overrides_) changes.push_back(change);
  }
  apply_overrides_(changes, false);
}

void Replica::run() {
  EtcdOptions options{settings_.etcd, settings_.timeout, settings_.ca_file, settings_.cert_file,
                      settings_.key_file, settings_.username, settings_.password};
  Session session(std::move(options));
  session.lease = read_lease_file();
  session.resumed = session.lease != 0;
  while (!stopping_) {
    try {
      if (!session.up) {
        connect(session);
        continue;
      }
      const auto wait = std::min(verdict_poll, std::chrono::duration_cast<milliseconds>(session.next_keep_alive -
                                                                                        Clock::now()));
      std::vector<WatchEvent> events;
      try {
        events = watch_->poll(std::max(milliseconds(0), wait));
      } catch (const EtcdError& error) {
        // A compaction, or a member that ended the stream: read everything again in this
        // session; if etcd itself is gone, read_all() throws and the session ends.
        spdlog::info("replication: watch ended ({}); reading everything again", error.what());
        read_all(session);
      }
      handle(events);
      reapply_overrides();
      if (!session.voting) {
        bool released = false;
        {
          std::lock_guard lock(mutex_);
          released = site_released_;
        }
        if (released || Clock::now() >= session.next_claim) claim_site(session);
      }
      publish_verdicts(session, session.voting);
      push_overrides(session);
      keep_alive_if_due(session);
    } catch (const std::exception& error) {
      if (stopping_) break;
      lose(session, error.what());
      // Wait before the next member, still answering to wakeups (an override, a reload, stop).
      const auto until = Clock::now() + session.backoff;
      while (!stopping_ && Clock::now() < until) {
        watch_->poll(std::min(verdict_poll, std::chrono::duration_cast<milliseconds>(until - Clock::now())));
        try {
          publish_verdicts(session, false);  // this site's own verdicts still count locally
        } catch (const std::exception&) {
        }
        std::lock_guard lock(mutex_);
        if (!stale_) recompute_locked(Clock::now());  // becomes stale at the lease TTL
      }
      session.backoff = std::min(session.backoff * 2, milliseconds(2000));
    }
  }
  if (session.up && session.lease) {
    try {
      session.client.revoke(session.lease);
      spdlog::info("replication: left (lease revoked)");
    } catch (const std::exception& error) {
      spdlog::warn("replication: could not revoke the lease ({}); the other sites count this one until it expires",
                   error.what());
    }
  }
  watch_->stop();
}

uint64_t Replica::shared_changes() const {
  std::lock_guard lock(mutex_);
  return shared_changes_;
}

ReplicaReport Replica::report() const {
  std::lock_guard lock(mutex_);
  ReplicaReport report;
  report.site = settings_.site;
  report.healthy_when = healthy_when(settings_);
  report.etcd = etcd_in_use_;
  report.connected = connected_;
  report.since = since_;
  report.last_error = last_error_;
  report.live_sites.assign(live_sites_.begin(), live_sites_.end());
  if (!live_sites_.contains(settings_.site)) report.live_sites.push_back(settings_.site);
  report.errors = errors_;
  report.connects = connects_;
  report.events = events_;
  report.writes = writes_;
  report.pending_overrides = pending_.size();
  report.voting = voting_ && !probes_stalled_;
  report.probes_stalled = probes_stalled_;
  report.site_held_by = site_held_by_;
  if (!config_ || !health_) return report;
  const auto now = Clock::now();
  for (const auto& profile : config_->profiles)
    for (const auto& endpoint : profile.endpoints) {
      const Key key{profile.name, endpoint.name};
      const auto local = health_->verdict(endpoint.id);
      EndpointAgreement agreement;
      for (const auto& site : sites_locked(key, local)) agreement.sites.emplace_back(site.site, site.status);
      const auto shared = shared_verdict_locked(key, local, now, &agreement.combined);
      if (!shared) agreement.combined.status = local;
      report.endpoints.emplace(key, std::move(agreement));
    }
  return report;
}

}  // namespace meridian::replication
