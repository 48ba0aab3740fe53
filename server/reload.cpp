// Builds a generation from a config, and swaps a reloaded one in place of the running one.
#include "server/reload.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "conf/config.h"

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

Generation build_generation(std::shared_ptr<const model::Config> config,
                            const probes::ProbeService* previous) {
  auto health = std::make_shared<probes::HealthTable>(config->endpoint_count);
  probes::publish_initial_statuses(*config, *health);
  auto resolved = std::make_shared<resolver::ResolvedTable>(config->endpoint_count);
  Generation generation;
  generation.snapshot = std::make_shared<const Snapshot>(config, health, resolved);  // the slow part
  // After the snapshot, so that the health carried over is as recent as it can be.
  generation.probes = previous ? std::make_unique<probes::ProbeService>(config, health, resolved, *previous)
                               : std::make_unique<probes::ProbeService>(config, health, resolved);
  return generation;
}

std::vector<std::string> restart_needed(const model::ServerSettings& started,
                                        const model::ServerSettings& now) {
  std::vector<std::string> changed;
  if (!same_addresses(started.listen, now.listen)) changed.push_back("server.listen");
  if (started.workers != now.workers) changed.push_back("server.workers");
  if (!same_address(started.control, now.control)) changed.push_back("server.control");
  return changed;
}

Reloader::Reloader(std::string config_file, SnapshotStore& store,
                   std::shared_ptr<const model::Config> running, std::unique_ptr<probes::ProbeService> probes)
    : config_file_(std::move(config_file)),
      store_(store),
      started_(running->server),
      probes_(std::move(probes)) {}

Reloader::~Reloader() {
  stop();
}

void Reloader::stop() {
  std::lock_guard lock(mutex_);
  if (probes_) probes_->stop();
  probes_.reset();
  retired_.clear();  // the workers hold what they still need
}

size_t Reloader::collect() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return 1;  // a reload runs: ask again later
  // The store no longer hands these out, so a count of 1 (ours) stays 1: freeing it here
  // cannot race with a worker taking it.
  const size_t before = retired_.size();
  std::erase_if(retired_,
                [](const std::shared_ptr<const Snapshot>& snapshot) { return snapshot.use_count() == 1; });
  if (retired_.size() < before) malloc_trim(0);
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
  try {
    config = conf::load(config_file_);
    next = build_generation(config, probes_.get());
    next.probes->start();
  } catch (const conf::ConfigError& error) {
    result.error = error.what();
  } catch (const std::exception& error) {
    result.error = config_file_ + ": " + error.what();  // as `meridian check` prints it
  } catch (...) {
    result.error = config_file_ + ": unexpected error";  // the thread pool must not see it
  }
  if (!result.error.empty()) {
    spdlog::error("server: reload failed: {}; keeping the running config", result.error);
    return result;  // `next`, if built, dies here; nothing of it was published
  }

  result.restart_needed = restart_needed(started_, config->server);
  for (const auto& setting : result.restart_needed)
    spdlog::warn("server: reload: {} changed; restart to apply", setting);
  retired_.push_back(store_.current());
  store_.publish(next.snapshot);
  // Workers may still answer a batch from the old snapshot; its health table simply stops
  // moving, for no longer than that batch.
  auto previous = std::exchange(probes_, std::move(next.probes));
  previous->stop();
  previous.reset();

  result.ok = true;
  result.zones = config->zones.size();
  result.profiles = config->profiles.size();
  result.endpoints = config->endpoint_count;
  result.kept_status = probes_->kept_status();
  result.took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
  spdlog::info("server: reloaded zones={} profiles={} endpoints={} kept_status={} ms={}", result.zones,
               result.profiles, result.endpoints, result.kept_status, result.took.count());
  // As at start: parsing left freed YAML nodes in malloc's arenas. The old snapshot is freed
  // by a later collect(), once every worker has moved on.
  malloc_trim(0);
  return result;
}

}  // namespace meridian::server
