#include "replication/replica.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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

std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = text.find('/', start)) != std::string_view::npos; start = slash + 1)
    parts.push_back(unescape(text.substr(start, slash - start)));
  parts.push_back(unescape(text.substr(start)));
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

std::optional<probes::Override> parse_override(const std::string& text) {
  for (const auto value : {probes::Override::none, probes::Override::drain, probes::Override::force_up})
    if (text == probes::to_string(value)) return value;
  return std::nullopt;
}

}  // namespace

struct Replica::Session {
  explicit Session(EtcdOptions options) : client(std::move(options)) {}
  EtcdClient client;
  bool up = false;
  bool connecting = false;  // connect() is writing this site's keys
  int64_t lease = 0;
  Clock::time_point next_keep_alive{};
  std::map<Key, Status> published;  // what etcd holds of this site's verdicts
  uint64_t seen_changes = ~uint64_t(0);
  milliseconds backoff{250};
};

Replica::Replica(model::ReplicationSettings settings, ApplyOverrides apply_overrides)
    : settings_(std::move(settings)),
      quorum_{settings_.healthy_fraction},
      apply_overrides_(std::move(apply_overrides)),
      since_(Clock::now()),
      etcd_in_use_(settings_.etcd.empty() ? "" : settings_.etcd.front()),
      watch_(std::make_unique<EtcdWatch>()) {}

Replica::~Replica() { stop(); }

void Replica::attach(std::shared_ptr<const model::Config> config, std::shared_ptr<probes::HealthTable> health) {
  {
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
    health_ = std::move(health);
    attached_ = true;
    recompute_locked(Clock::now());
  }
  watch_->wakeup();
}

void Replica::start() {
  thread_ = std::thread([this] { run(); });
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
    pending_[change.key] = std::move(change);
  }
  watch_->wakeup();
}

std::optional<Status> Replica::shared_verdict_locked(const Key& key, Status local, Clock::time_point now,
                                                     Combined* combined) const {
  // A status the config fixes (disabled, not monitored, ...) is the same at every site.
  if (!probe_verdict(local)) return std::nullopt;
  std::vector<SiteVerdict> sites;
  const auto forever = Clock::time_point::max();
  sites.push_back({settings_.site, local, forever});
  if (const auto found = remote_.find(key); found != remote_.end()) {
    // Once stale (recompute_locked decides, so /v1/status says what the table holds) they are gone.
    const auto expires = stale_ ? Clock::time_point::min() : forever;
    for (const auto& [site, status] : found->second)
      if (live_sites_.contains(site)) sites.push_back({site, status, expires});
  }
  const Combined result = combine(sites, local, quorum_, now);
  if (combined) *combined = result;
  // Only this site's own verdict counted: leave the table to the probes, as without replication
  // (combine() would say the same; this keeps shared() empty where nothing is shared).
  if (result.local_only || (result.live == 1 && local != Status::CheckingEndpoint)) return std::nullopt;
  return result.status;
}

void Replica::recompute_locked(Clock::time_point now) {
  if (!config_ || !health_) return;
  if (!connected_ && !stale_ && now >= lost_at_ + settings_.lease_ttl) {
    // Their leases would have run out by now: the other sites stop counting, and stop being
    // listed as live, until a new session reads them again.
    stale_ = true;
    remote_.clear();
    live_sites_ = {settings_.site};
    spdlog::warn("replication: etcd still unreachable after the lease TTL; routing on this site's probes alone");
  }
  for (const auto& profile : config_->profiles)
    for (const auto& endpoint : profile.endpoints) {
      const auto want = shared_verdict_locked({profile.name, endpoint.name}, health_->verdict(endpoint.id), now, nullptr);
      if (health_->shared(endpoint.id) != want) {
        health_->set_shared(endpoint.id, want);
        ++shared_changes_;
      }
    }
}

bool Replica::connect(Session& s) {
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_ttl);
  // The old lease may still hold (a short outage): keep it, and with it the keys others see.
  if (s.lease == 0 || !s.client.keep_alive(s.lease)) {
    s.lease = s.client.grant(ttl);
    s.published.clear();
  }
  s.next_keep_alive = Clock::now() + settings_.lease_ttl / 3;
  const json site = {{"site", settings_.site}, {"lease_ttl_s", ttl.count()}};
  s.client.write({{settings_.prefix + "sites/" + escape(settings_.site), site.dump(), false, s.lease}});
  {
    std::lock_guard lock(mutex_);
    attached_ = true;  // publish everything again: etcd may have lost or expired it
  }
  s.seen_changes = ~uint64_t(0);
  s.connecting = true;
  try {
    publish_verdicts(s);
  } catch (...) {
    s.connecting = false;
    throw;
  }
  s.connecting = false;
  push_overrides(s);

  const auto range = s.client.range_prefix(settings_.prefix);
  std::set<std::string> live;
  std::map<Key, std::map<std::string, Status>> remote;
  std::vector<OverrideChange> overrides;
  for (const auto& kv : range.kvs) {
    const auto parts = split(std::string_view(kv.key).substr(settings_.prefix.size()));
    if (parts.size() == 2 && parts[0] == "sites") {
      live.insert(parts[1]);
    } else if (parts.size() == 4 && parts[0] == "verdicts" && parts[1] != settings_.site) {
      if (const auto status = parse_status(kv.value)) remote[{parts[2], parts[3]}][parts[1]] = *status;
    } else if (parts.size() == 3 && parts[0] == "overrides") {
      try {
        const auto value = json::parse(kv.value);
        if (const auto o = parse_override(value.value("override", "")))
          overrides.push_back({{parts[1], parts[2]}, *o, Clock::time_point(milliseconds(value.value("since_ms", int64_t(0)))),
                               value.value("site", "")});
      } catch (const json::exception&) {
        spdlog::warn("replication: ignoring {}: not an override", kv.key);
      }
    }
  }
  watch_->start(s.client, settings_.prefix, range.revision + 1);
  {
    std::lock_guard lock(mutex_);
    live_sites_ = std::move(live);
    live_sites_.insert(settings_.site);
    remote_ = std::move(remote);
    connected_ = true;
    since_ = Clock::now();
    stale_ = false;
    ++connects_;
    etcd_in_use_ = s.client.endpoint();
    recompute_locked(Clock::now());
    // A change made since push_overrides() is newer than what the read saw.
    for (const auto& [key, change] : pending_) overrides.push_back(change);
  }
  apply_overrides_(overrides, true);
  s.up = true;
  s.backoff = milliseconds(250);
  spdlog::info("replication: connected to etcd {} as site {} (lease {:x}, {} keys)", s.client.endpoint(),
               settings_.site, s.lease, range.kvs.size());
  return true;
}

void Replica::lose(Session& s, const std::string& why) {
  watch_->stop();
  const bool was_up = s.up;
  s.up = false;
  {
    std::lock_guard lock(mutex_);
    ++errors_;
    last_error_ = why;
    etcd_in_use_ = s.client.endpoint();
    if (was_up) {
      connected_ = false;
      since_ = lost_at_ = Clock::now();
    } else if (connects_ == 0 && lost_at_ == Clock::time_point{}) {
      lost_at_ = since_;  // never connected: nothing remote to keep
    }
  }
  // Logged once per outage, not once per retry.
  if (was_up)
    spdlog::warn("replication: etcd unreachable ({}); answering from the last combined view for {} s, "
                 "then from this site's probes",
                 why, std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_ttl).count());
  else if (errors_ == 1)
    spdlog::warn("replication: cannot reach etcd ({}); answering from this site's probes until it can", why);
  s.client.next_endpoint();
}

void Replica::publish_verdicts(Session& s) {
  std::vector<EtcdClient::Write> writes;
  {
    std::lock_guard lock(mutex_);
    if (!config_ || !health_) return;
    const uint64_t changes = health_->verdict_changes();
    if (!attached_ && changes == s.seen_changes) return;
    attached_ = false;
    s.seen_changes = changes;
    recompute_locked(Clock::now());  // this site's own verdicts count at once, etcd or not
    if (!s.up && !s.connecting) return;  // connect() publishes them all
    std::map<Key, Status> now;
    for (const auto& profile : config_->profiles)
      for (const auto& endpoint : profile.endpoints) {
        const auto status = health_->verdict(endpoint.id);
        if (probe_verdict(status)) now[{profile.name, endpoint.name}] = status;
      }
    const auto key_of = [&](const Key& key) {
      return settings_.prefix + "verdicts/" + escape(settings_.site) + "/" + escape(key.first) + "/" +
             escape(key.second);
    };
    for (const auto& [key, status] : now)
      if (auto found = s.published.find(key); found == s.published.end() || found->second != status)
        writes.push_back({key_of(key), model::to_string(status), false, s.lease});
    for (const auto& [key, status] : s.published)
      if (!now.contains(key)) writes.push_back({key_of(key), "", true, 0});
    s.published = std::move(now);
  }
  for (size_t at = 0; at < writes.size(); at += max_writes_per_transaction) {
    const auto end = std::min(writes.size(), at + max_writes_per_transaction);
    s.client.write({writes.begin() + at, writes.begin() + end});
  }
  std::lock_guard lock(mutex_);
  writes_ += writes.size();
}

void Replica::push_overrides(Session& s) {
  std::map<Key, OverrideChange> pending;
  {
    std::lock_guard lock(mutex_);
    pending = pending_;
  }
  if (pending.empty()) return;
  std::vector<EtcdClient::Write> writes;
  for (const auto& [key, change] : pending) {
    // A cleared override is written too ("none"), not deleted, so the others can log who cleared it.
    const json value = {{"override", probes::to_string(change.value)},
                        {"since_ms", std::chrono::duration_cast<milliseconds>(change.since.time_since_epoch()).count()},
                        {"site", change.site}};
    writes.push_back({settings_.prefix + "overrides/" + escape(key.first) + "/" + escape(key.second), value.dump(),
                      false, 0});
  }
  for (size_t at = 0; at < writes.size(); at += max_writes_per_transaction) {
    const auto end = std::min(writes.size(), at + max_writes_per_transaction);
    s.client.write({writes.begin() + at, writes.begin() + end});
  }
  std::lock_guard lock(mutex_);
  writes_ += writes.size();
  // Only what was written: a change made meanwhile stays pending.
  for (const auto& [key, change] : pending)
    if (auto found = pending_.find(key); found != pending_.end() && found->second.since == change.since &&
                                         found->second.value == change.value)
      pending_.erase(found);
}

void Replica::handle(const std::vector<WatchEvent>& events) {
  std::vector<OverrideChange> overrides;
  {
    std::lock_guard lock(mutex_);
    events_ += events.size();
    for (const auto& event : events) {
      if (!event.kv.key.starts_with(settings_.prefix)) continue;
      const auto parts = split(std::string_view(event.kv.key).substr(settings_.prefix.size()));
      if (parts.size() == 2 && parts[0] == "sites") {
        if (parts[1] == settings_.site) continue;
        if (event.deleted) {
          live_sites_.erase(parts[1]);
          spdlog::info("replication: site {} left (its lease ended); its verdicts no longer count", parts[1]);
        } else if (live_sites_.insert(parts[1]).second) {
          spdlog::info("replication: site {} joined", parts[1]);
        }
      } else if (parts.size() == 4 && parts[0] == "verdicts" && parts[1] != settings_.site) {
        const Key key{parts[2], parts[3]};
        if (event.deleted) {
          if (auto found = remote_.find(key); found != remote_.end()) found->second.erase(parts[1]);
        } else if (const auto status = parse_status(event.kv.value)) {
          remote_[key][parts[1]] = *status;
        }
      } else if (parts.size() == 3 && parts[0] == "overrides") {
        OverrideChange change{{parts[1], parts[2]}, probes::Override::none, Clock::now(), ""};
        if (!event.deleted) {
          try {
            const auto value = json::parse(event.kv.value);
            const auto o = parse_override(value.value("override", ""));
            if (!o) continue;
            change.value = *o;
            change.since = Clock::time_point(milliseconds(value.value("since_ms", int64_t(0))));
            change.site = value.value("site", "");
          } catch (const json::exception&) {
            continue;
          }
        }
        overrides.push_back(std::move(change));
      }
    }
    recompute_locked(Clock::now());
  }
  if (!overrides.empty()) apply_overrides_(overrides, false);
}

void Replica::run() {
  EtcdOptions options{settings_.etcd, settings_.timeout, settings_.ca_file, settings_.cert_file,
                      settings_.key_file, settings_.username, settings_.password};
  Session s(std::move(options));
  while (!stopping_) {
    try {
      if (!s.up) {
        connect(s);
        continue;
      }
      const auto now = Clock::now();
      const auto wait = std::min(verdict_poll, std::chrono::duration_cast<milliseconds>(s.next_keep_alive - now));
      handle(watch_->poll(std::max(milliseconds(0), wait)));
      publish_verdicts(s);
      push_overrides(s);
      if (Clock::now() >= s.next_keep_alive) {
        if (!s.client.keep_alive(s.lease)) {
          s.lease = 0;
          throw EtcdError("the lease expired");
        }
        s.next_keep_alive = Clock::now() + settings_.lease_ttl / 3;
      }
    } catch (const std::exception& error) {
      lose(s, error.what());
      // Wait before the next member, still answering to wakeups (an override, a reload, stop).
      const auto until = Clock::now() + s.backoff;
      while (!stopping_ && Clock::now() < until) {
        watch_->poll(std::min(verdict_poll, std::chrono::duration_cast<milliseconds>(until - Clock::now())));
        try {
          publish_verdicts(s);  // this site's own verdicts still count locally
        } catch (const std::exception&) {
        }
        std::lock_guard lock(mutex_);
        if (!stale_) recompute_locked(Clock::now());  // becomes stale at the lease TTL
      }
      s.backoff = std::min(s.backoff * 2, milliseconds(2000));
    }
  }
  if (s.up && s.lease) {
    try {
      s.client.revoke(s.lease);
      spdlog::info("replication: left (lease revoked)");
    } catch (const std::exception& error) {
      spdlog::warn("replication: could not revoke the lease ({}); the other sites count this one until it expires",
                   error.what());
    }
  }
  watch_->stop();
}

ReplicaReport Replica::report() const {
  std::lock_guard lock(mutex_);
  ReplicaReport r;
  r.site = settings_.site;
  r.healthy_when = settings_.healthy_fraction ? fmt::format("{}", *settings_.healthy_fraction) : "majority";
  r.etcd = etcd_in_use_;
  r.connected = connected_;
  r.since = since_;
  r.last_error = last_error_;
  r.live_sites.assign(live_sites_.begin(), live_sites_.end());
  if (!live_sites_.contains(settings_.site)) r.live_sites.push_back(settings_.site);
  r.errors = errors_;
  r.connects = connects_;
  r.events = events_;
  r.writes = writes_;
  r.pending_overrides = pending_.size();
  r.shared_changes = shared_changes_;
  if (!config_ || !health_) return r;
  const auto now = Clock::now();
  for (const auto& profile : config_->profiles)
    for (const auto& endpoint : profile.endpoints) {
      const Key key{profile.name, endpoint.name};
      const auto local = health_->verdict(endpoint.id);
      EndpointAgreement agreement;
      agreement.sites.emplace_back(settings_.site, local);
      if (const auto found = remote_.find(key); found != remote_.end())
        for (const auto& [site, status] : found->second)
          if (live_sites_.contains(site)) agreement.sites.emplace_back(site, status);
      const auto shared = shared_verdict_locked(key, local, now, &agreement.combined);
      if (!shared) agreement.combined.status = local;
      r.endpoints.emplace(key, std::move(agreement));
    }
  return r;
}

}  // namespace meridian::replication
