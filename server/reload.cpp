// Builds a generation from a config, and swaps a reloaded one in place of the running one.
#include "server/reload.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "conf/config.h"
#include "routing/routing.h"

namespace meridian::server {

namespace {

bool same_addresses(const std::vector<geo::SocketAddress>& a, const std::vector<geo::SocketAddress>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].address != b[i].address || a[i].port != b[i].port) return false;
  return true;
}

bool same_address(const std::optional<geo::SocketAddress>& a, const std::optional<geo::SocketAddress>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->address == b->address && a->port == b->port);
}

}  // namespace

Generation build_generation(std::shared_ptr<const model::Config> config, const probes::ProbeService* previous,
                            CounterSlots slots) {
  auto health = std::make_shared<probes::HealthTable>(config->endpoint_count);
  probes::publish_initial_statuses(*config, *health);
  auto resolved = std::make_shared<resolver::ResolvedTable>(config->endpoint_count);
  Generation generation;
  generation.snapshot = std::make_shared<const Snapshot>(config, health, resolved, slots);  // the slow part
  generation.health = health;
  // After the snapshot, so that the health carried over is as recent as it can be.
  generation.probes = previous ? std::make_shared<probes::ProbeService>(config, health, resolved, *previous)
                               : std::make_shared<probes::ProbeService>(config, health, resolved);
  return generation;
}

std::vector<std::string> restart_needed(const model::ServerSettings& started,
                                        const model::ServerSettings& now) {
  std::vector<std::string> changed;
  if (!same_addresses(started.listen, now.listen)) changed.push_back("server.listen");
  if (started.workers != now.workers) changed.push_back("server.workers");
  if (!same_address(started.control, now.control)) changed.push_back("server.control");
  if (started.control_token_file != now.control_token_file || started.control_token != now.control_token)
    changed.push_back("server.control_token_file");
  if (started.state_file != now.state_file) changed.push_back("server.state_file");
  // Privileges are dropped once, at start; a process that dropped them cannot take them back.
  if (started.uid != now.uid || started.gid != now.gid) changed.push_back("server.user");
  if (started.allow_root != now.allow_root) changed.push_back("server.allow_root");
  return changed;
}

uint64_t Running::health_generation() const {
  return probes->generation() + override_changes + (replica ? replica->shared_changes() : 0);
}

bool same_replication(model::ReplicationSettings started, model::ReplicationSettings now) {
  started.line = now.line = 0;  // moved lines are no change
  return started == now;
}

Reloader::Reloader(std::string config_file, SnapshotStore& store,
                   std::shared_ptr<const model::Config> running, Generation generation, Overrides overrides,
                   std::string state_file, CounterSlots slots)
    : config_file_(std::move(config_file)),
      store_(store),
      started_(running->server),
      started_replication_(running->replication),
      state_file_(std::move(state_file)),
      slots_(slots),
      probes_(std::move(generation.probes)),
      health_(std::move(generation.health)),
      overrides_(std::move(overrides)),
      loaded_at_(Clock::now()) {}

Reloader::~Reloader() {
  stop();
}

void Reloader::stop() {
  std::lock_guard lock(mutex_);
  std::shared_ptr<probes::ProbeService> probes;
  {
    std::lock_guard view(view_);
    probes = std::exchange(probes_, nullptr);
  }
  if (probes) probes->stop();
}

Running Reloader::running() const {
  std::lock_guard lock(view_);
  Running view;
  view.snapshot = store_.current();
  view.health = health_;
  view.probes = probes_;
  view.overrides = overrides_;
  view.state_file = state_file_;
  view.retired = retired_;
  view.freed_counts = freed_counts_;
  view.replaced_probe_stats = replaced_probe_stats_;
  view.generation = generation_;
  view.loaded_at = loaded_at_;
  view.last_reload = last_reload_;
  view.reloads_ok = reloads_ok_;
  view.reloads_failed = reloads_failed_;
  view.override_changes = override_changes_;
  view.replica = replica_view_;
  return view;
}

void Reloader::note_failure(ReloadResult& result) {
  spdlog::error("server: reload failed: {}; keeping the running config", result.error);
  std::lock_guard view(view_);
  result.generation = generation_;
  result.at = Clock::now();
  last_reload_ = result;
  ++reloads_failed_;
}

OverrideResult Reloader::change_override(const std::string& profile_name, const std::string& endpoint_name,
                                         OverrideAction action, bool force) {
  std::lock_guard lock(mutex_);
  OverrideResult result;
  const auto snapshot = store_.current();
  if (!probes_ || !snapshot) {
    result.outcome = OverrideResult::Outcome::failed;
    result.error = "the server is stopping";
    return result;
  }
  const model::Config& config = snapshot->config();
  const model::Profile* profile = nullptr;
  for (const auto& candidate : config.profiles)
    if (candidate.name == profile_name) profile = &candidate;
  if (!profile) {
    result.outcome = OverrideResult::Outcome::no_profile;
    result.error = fmt::format("no profile {}", profile_name);
    return result;
  }
  size_t index = profile->endpoints.size();
  for (size_t i = 0; i < profile->endpoints.size(); ++i)
    if (profile->endpoints[i].name == endpoint_name) index = i;
  if (index == profile->endpoints.size()) {
    result.outcome = OverrideResult::Outcome::no_endpoint;
    result.error = fmt::format("profile {} has no endpoint {}", profile_name, endpoint_name);
    return result;
  }
  const model::Endpoint& endpoint = profile->endpoints[index];
  const routing::Context context{config, snapshot->health(), snapshot->geo(), config.geo.latency.get()};
  const probes::Override before = health_->override_of(endpoint.id);
  const probes::Override after = next_override(before, action);
  if (auto refusal = override_refusal(context, *profile, index, before, after, force)) {
    result.outcome = OverrideResult::Outcome::refused;
    result.error = std::move(*refusal);
    result.value = before;
    result.status = routing::current_status(context, *profile, index);
    return result;
  }

  result.value = after;
  if (after != before) {
    Overrides next = overrides_;
    const auto since = Clock::now();
    next.set({profile_name, endpoint_name}, {after, since});
    if (!state_file_.empty()) {
      try {
        next.save(state_file_);
      } catch (const StateFileError& error) {
        spdlog::error("server: override not saved: {}", error.what());
        result.outcome = OverrideResult::Outcome::failed;
        result.error =
            fmt::format("override not applied: the state file cannot be written: {}", error.what());
        result.value = before;
        result.status = routing::current_status(context, *profile, index);
        return result;
      }
    }
    health_->set_override(endpoint.id, after);
    {
      std::lock_guard view(view_);
      overrides_ = std::move(next);
      ++override_changes_;
    }
    result.changed = true;
    spdlog::info("server: override {}/{} {} -> {}{}", profile_name, endpoint_name, probes::to_string(before),
                 probes::to_string(after), force && action == OverrideAction::drain ? " forced=yes" : "");
    if (replica_) replica_->publish_override({{profile_name, endpoint_name}, after, since, ""});
  }
  result.status = routing::current_status(context, *profile, index);
  return result;
}

size_t Reloader::collect() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return 1;  // a reload runs: ask again later
  // The store no longer hands these out, so a count of 1 (ours) stays 1: freeing it here
  // cannot race with a worker taking it.
  std::vector<std::shared_ptr<const Snapshot>> freed;
  {
    std::lock_guard view(view_);
    std::erase_if(retired_, [&](std::shared_ptr<const Snapshot>& snapshot) {
      if (snapshot.use_count() != 1) return false;
      // use_count() is a relaxed read: order the last worker's counts before reading them.
      std::atomic_thread_fence(std::memory_order_acquire);
      freed_counts_.add(*snapshot);  // final: no thread answers from it any more
      freed.push_back(std::move(snapshot));
      return true;
    });
  }
  if (freed.empty()) return retired_.size();
  freed.clear();  // outside view_: freeing a generation takes time (32 ms at 10,000 profiles)
  malloc_trim(0);
  std::lock_guard view(view_);
  return retired_.size();
}

ReloadResult Reloader::reload() {
  std::lock_guard lock(mutex_);
  const auto begin = std::chrono::steady_clock::now();
  ReloadResult result;
  if (!probes_) {
    result.error = "the server is stopping";
    return result;
  }
  std::shared_ptr<const model::Config> config;
  Generation next;
  Overrides next_overrides = overrides_;
  std::vector<Overrides::Key> dropped;
  try {
    config = conf::load(config_file_);
    next = build_generation(config, probes_.get(), slots_);
    // Before the probes start: their first write must find the overrides in place.
    dropped = next_overrides.apply(*config, *next.health);
    next.probes->start();
  } catch (const conf::ConfigError& error) {
    result.error = error.what();
  } catch (const std::exception& error) {
    result.error = config_file_ + ": " + error.what();  // as `meridian check` prints it
  } catch (...) {
    result.error = config_file_ + ": unexpected error";  // the thread pool must not see it
  }
  if (!result.error.empty()) {
    result.took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
    note_failure(result);
    return result;  // `next`, if built, dies here; nothing of it was published
  }

  result.restart_needed = restart_needed(started_, config->server);
  // The etcd session, the site and how sites agree are set up once, at start.
  if (!same_replication(started_replication_, config->replication)) result.restart_needed.push_back("replication");
  for (const auto& setting : result.restart_needed)
    spdlog::warn("server: reload: {} changed; restart to apply", setting);
  for (const auto& [profile, endpoint] : dropped)
    spdlog::warn("server: reload: override of {}/{} dropped: the endpoint is no longer in the config",
                 profile, endpoint);
  if (!dropped.empty() && !state_file_.empty()) {
    try {
      next_overrides.save(state_file_);
    } catch (const StateFileError& error) {
      spdlog::error("server: reload: state file not rewritten: {}", error.what());  // the next change retries
    }
  }
  // Combined verdicts into the new table before anyone reads it.
  if (replica_) replica_->attach(config, next.health);
  std::shared_ptr<probes::ProbeService> previous;
  {
    std::lock_guard view(view_);
    retired_.push_back(store_.current());
    // The old service's probe counts, kept so that probe counters run on across the reload (the
    // few results it records before it stops are not counted).
    for (const auto& report : probes_->reports())
      if (report.stats) replaced_probe_stats_[{report.profile, report.endpoint}].add(*report.stats);
    store_.publish(next.snapshot);
    previous = std::exchange(probes_, std::move(next.probes));
    health_ = std::move(next.health);
    overrides_ = std::move(next_overrides);
    ++generation_;
    loaded_at_ = Clock::now();
  }
  // Workers may still answer a batch from the old snapshot; its health table simply stops
  // moving, for no longer than that batch.
  previous->stop();
  previous.reset();

  result.ok = true;
  result.zones = config->zones.size();
  result.profiles = config->profiles.size();
  result.endpoints = config->endpoint_count;
  result.kept_status = probes_->kept_status();
  result.took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
  {
    std::lock_guard view(view_);
    result.generation = generation_;
    result.at = loaded_at_;
    last_reload_ = result;
    ++reloads_ok_;
  }
  spdlog::info("server: reloaded zones={} profiles={} endpoints={} kept_status={} ms={}", result.zones,
               result.profiles, result.endpoints, result.kept_status, result.took.count());
  // As at start: parsing left freed YAML nodes in malloc's arenas. The old snapshot is freed
  // by a later collect(), once every worker has moved on.
  malloc_trim(0);
  return result;
}

void Reloader::replicate(replication::Replica* replica) {
  std::lock_guard lock(mutex_);
  replica_ = replica;
  if (replica_) replica_->attach(store_.current()->shared_config(), health_);
  std::lock_guard view(view_);
  replica_view_ = replica;
}

void Reloader::apply_shared_overrides(const std::vector<replication::OverrideChange>& changes, bool complete) {
  std::lock_guard lock(mutex_);
  const auto snapshot = store_.current();
  if (!probes_ || !snapshot) return;
  const model::Config& config = snapshot->config();
  std::map<Overrides::Key, const model::Endpoint*> endpoints;
  for (const auto& profile : config.profiles)
    for (const auto& endpoint : profile.endpoints) endpoints[{profile.name, endpoint.name}] = &endpoint;
  std::map<Overrides::Key, replication::OverrideChange> wanted;
  for (const auto& change : changes) wanted[change.key] = change;
  // etcd keeps cleared overrides too ("none"), so one it lacks is one it never held (a new
  // cluster, a new prefix, lost data): this replica's is written to it rather than lost.
  if (complete && replica_)
    for (const auto& [key, entry] : overrides_.entries())
      if (!wanted.contains(key)) {
        spdlog::info("server: override {}/{} {} written to etcd, which did not have it", key.first, key.second,
                     probes::to_string(entry.value));
        replica_->publish_override({key, entry.value, entry.since, ""});
      }

  Overrides next = overrides_;
  uint64_t changed = 0;
  for (const auto& [key, change] : wanted) {
    const auto found = endpoints.find(key);
    if (found == endpoints.end()) continue;  // another config generation's endpoint
    const probes::Override before = health_->override_of(found->second->id);
    if (before == change.value) continue;
    next.set(key, {change.value, change.since});
    health_->set_override(found->second->id, change.value);
    ++changed;
    spdlog::info("server: override {}/{} {} -> {} from={} (through etcd)", key.first, key.second,
                 probes::to_string(before), probes::to_string(change.value),
                 change.site.empty() ? "unknown" : change.site);
  }
  if (!changed) return;
  if (!state_file_.empty()) {
    try {
      next.save(state_file_);
    } catch (const StateFileError& error) {
      spdlog::error("server: overrides from etcd not saved to the state file: {}", error.what());
    }
  }
  std::lock_guard view(view_);
  overrides_ = std::move(next);
  override_changes_ += changed;
}

}  // namespace meridian::server
