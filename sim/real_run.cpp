// The real-time run: regions and server up, one thread per client, the timeline on this thread.
#include "sim/real_run.h"

#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "conf/config.h"
#include "sim/dns_client.h"
#include "sim/endpoint_names.h"
#include "sim/fake_region.h"
#include "sim/server_process.h"

namespace meridian::sim {

namespace {

using Clock = std::chrono::steady_clock;

// A folder of its own for the config the server reads, removed afterwards.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "meridian-sim-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temporary folder");
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes by rename, so the server never reads half a file.
void write_config(const std::filesystem::path& path, const std::string& text) {
  const auto temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + temporary);
  }
  std::filesystem::rename(temporary, path);
}

Behaviour behaviour_of(EventKind kind) {
  switch (kind) {
    case EventKind::fail: return Behaviour::fail;
    case EventKind::hang: return Behaviour::hang;
    case EventKind::degrade: return Behaviour::degrade;
    case EventKind::slow: return Behaviour::slow;
    default: return Behaviour::healthy;
  }
}

// The config in service, for naming answers: replaced when a reload succeeds.
class RunningConfig {
 public:
  RunningConfig(std::shared_ptr<const model::Config> config, const std::vector<Region>& regions)
      : regions_(regions) {
    replace(std::move(config));
  }
  void replace(std::shared_ptr<const model::Config> config) {
    auto names = std::make_shared<const EndpointNames>(*config, regions_);
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
    names_ = std::move(names);
  }
  std::shared_ptr<const model::Config> current() const {
    std::lock_guard lock(mutex_);
    return config_;
  }
  // The answer's endpoints, named against the profile `query` belongs to.
  std::vector<std::string> name(const std::string& query, const DnsReply& reply) const {
    std::shared_ptr<const model::Config> config;
    std::shared_ptr<const EndpointNames> names;
    {
      std::lock_guard lock(mutex_);
      config = config_;
      names = names_;
    }
    const auto wire = conf::to_wire_name(query);
    for (const auto& profile : config->profiles)
      if (profile.fqdn_wire == wire) return names->of_answer(profile, reply.addresses, reply.cnames);
    std::vector<std::string> raw;
    for (const auto& address : reply.addresses) raw.push_back(address.to_string());
    return raw;
  }

 private:
  const std::vector<Region>& regions_;
  mutable std::mutex mutex_;
  std::shared_ptr<const model::Config> config_;
  std::shared_ptr<const EndpointNames> names_;  // of config_
};

Seconds since(Clock::time_point start, Clock::time_point at) {
  return std::chrono::duration<double>(at - start).count();
}

// SIGINT and SIGTERM, blocked in every thread of the run (threads inherit the mask) and taken by
// the timeline's waits, so Ctrl-C ends the run early with a report of what it saw, the server
// stopped and the scratch folder removed. The mask is restored at the end.
class InterruptibleWait {
 public:
  InterruptibleWait() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &before_);
  }
  ~InterruptibleWait() { pthread_sigmask(SIG_SETMASK, &before_, nullptr); }
  InterruptibleWait(const InterruptibleWait&) = delete;
  InterruptibleWait& operator=(const InterruptibleWait&) = delete;

  // Waits until `until`; false when a signal came first (and from then on).
  bool until(Clock::time_point until) {
    while (!interrupted_) {
      const auto left = until - Clock::now();
      if (left <= Clock::duration::zero()) return true;
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      const timespec wait{time_t(ns / 1000000000), long(ns % 1000000000)};
      if (sigtimedwait(&signals_, nullptr, &wait) > 0) interrupted_ = true;
    }
    return false;
  }

 private:
  sigset_t signals_;
  sigset_t before_;
  bool interrupted_ = false;
};

}  // namespace

RunResult run_real(const Scenario& scenario, const std::string& binary) {
  RunResult result;
  result.clients = empty_observations(scenario);
  InterruptibleWait wait;  // first: every thread below starts with the signals blocked

  FakeRegions regions;
  for (const auto& region : scenario.regions)
    regions.add(region.name, region.address, region.port, region.protocol, region.path, region.latency);
  regions.start();

  ScratchFolder folder;
  const auto config_path = folder.path() / "meridian.yaml";
  write_config(config_path, scenario.config.standalone);
  RunningConfig running(scenario.model, scenario.regions);
  ServerProcess server(binary, config_path.string(), std::chrono::seconds(15));
  const Clock::time_point start = server.probes_started();
  Clock::time_point end = start + scenario.duration;

  // One thread per client, each on its own schedule: query k goes out at start + k / rate.
  std::atomic<bool> stopping = false;
  std::vector<std::thread> clients;
  for (size_t c = 0; c < scenario.clients.size(); ++c) {
    clients.emplace_back([&, c] {
      const Client& client = scenario.clients[c];
      auto& observations = result.clients[c].observations;
      DnsClient dns(server.dns());
      const auto period =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / client.rate));
      const auto timeout = std::min<model::Duration>(std::chrono::seconds(1),
                                                     std::chrono::duration_cast<model::Duration>(period * 4));
      for (uint64_t k = 0;; ++k) {
        const auto due = start + period * k;
        if (due >= end || stopping) break;
        std::this_thread::sleep_until(due);  // pacing a query rate, not waiting for an event
        if (stopping) break;
        const auto reply = dns.query(client.query, client.qtype, client.subnet, timeout);
        Observation observation;
        observation.at = since(start, due);
        observation.outcome = reply.outcome == "answer" && reply.addresses.empty() && reply.cnames.empty()
                                  ? "NODATA"
                                  : reply.outcome;
        observation.ttl = reply.ttl;
        if (observation.outcome == "answer") observation.endpoints = running.name(client.query, reply);
        observations.push_back(std::move(observation));
      }
    });
  }

  httplib::Client control(server.control().address.to_string(), server.control().port);
  control.set_connection_timeout(std::chrono::seconds(2));
  control.set_read_timeout(std::chrono::seconds(10));
  // The token the server started with is the one it keeps (a reload cannot change it).
  if (!scenario.model->server.control_token.empty())
    control.set_bearer_token_auth(scenario.model->server.control_token);
  auto warn = [&](Seconds at, const std::string& what) {
    result.warnings.push_back(fmt::format("at {:.1f}s: {}", at, what));
  };
  bool interrupted = false;
  for (const auto& event : scenario.timeline) {
    if (!wait.until(start + event.at)) {  // the timeline's own clock, or Ctrl-C
      interrupted = true;
      break;
    }
    const Seconds at = std::chrono::duration<double>(event.at).count();
    switch (event.kind) {
      case EventKind::drain:
      case EventKind::enable: {
        const auto path = fmt::format("/v1/profiles/{}/endpoints/{}/{}", event.profile, event.endpoint,
                                      to_string(event.kind));
        auto reply = control.Post(path, "", "application/json");
        if (!reply)
          warn(at, fmt::format("{} {}/{}: the control API did not answer", to_string(event.kind),
                               event.profile, event.endpoint));
        else if (reply->status != 200)
          warn(at, fmt::format("{} refused ({}): {}", to_string(event.kind), reply->status, reply->body));
        break;
      }
      case EventKind::reload: {
        write_config(config_path, event.config->standalone);
        // Answers from the new config may arrive before the call returns: name them by it from
        // now, and go back if the server keeps the old one.
        const auto before = running.current();
        running.replace(event.model);
        auto reply = control.Post("/v1/reload", "", "application/json");
        if (!reply || reply->status != 200) running.replace(before);
        if (!reply)
          warn(at, "reload: the control API did not answer");
        else if (reply->status != 200)
          warn(at,
               fmt::format("reload failed ({}), the config running is kept: {}", reply->status, reply->body));
        break;
      }
      default:
        for (size_t r = 0; r < scenario.regions.size(); ++r)
          if (scenario.regions[r].name == event.region) regions.set(r, behaviour_of(event.kind), event.delay);
        break;
    }
  }
  if (!interrupted && !wait.until(end)) interrupted = true;
  if (interrupted) {
    end = Clock::now();
    result.stopped_at = since(start, end);
    result.warnings.push_back(
        fmt::format("interrupted at {:.1f}s: the report covers the run until then", *result.stopped_at));
  }
  stopping = true;
  for (auto& client : clients) client.join();
  // Queries in flight when the run was cut short belong to it no more.
  for (auto& client : result.clients)
    while (!client.observations.empty() && client.observations.back().at >= since(start, end))
      client.observations.pop_back();

  for (const auto& transition : server.transitions()) {
    if (transition.at < start || transition.at >= end) continue;
    result.statuses.push_back(
        {since(start, transition.at), transition.endpoint, transition.from, transition.to});
  }
  return result;
}

}  // namespace meridian::sim
