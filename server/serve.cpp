// `meridian serve`: load the config, bind, start the workers, reload on SIGHUP, and run until
// SIGINT or SIGTERM.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <atomic>
#include <random>
#include <thread>

#include "conf/config.h"
#include "probes/probes.h"
#include "replication/replica.h"
#include "server/control_api.h"
#include "server/control_server.h"
#include "server/metrics.h"
#include "server/overrides.h"
#include "server/privileges.h"
#include "server/reload.h"
#include "server/reload_on_signal.h"
#include "server/service_manager.h"
#include "server/server.h"
#include "server/snapshot.h"
#include "server/sockets.h"
#include "server/worker.h"

namespace meridian::server {
namespace {

std::shared_ptr<probes::HealthTable> initial_health(const model::Config& config) {
  auto table = std::make_shared<probes::HealthTable>(config.endpoint_count);
  probes::publish_initial_statuses(config, *table);
  return table;
}

}  // namespace

void init_logging() {
  auto logger = spdlog::stderr_logger_mt("meridian");
  logger->set_pattern("%l %v");
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

int serve(const ServeOptions& options) {
  // A SIGHUP during start-up (a large config takes seconds) must neither end the server nor be
  // lost: it waits, blocked, until the handler below is in place. Threads started meanwhile
  // keep it blocked, which does no harm: libuv's handler takes it on any thread.
  sigset_t hangup_signal;
  sigemptyset(&hangup_signal);
  sigaddset(&hangup_signal, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hangup_signal, nullptr);
  std::shared_ptr<const model::Config> config;
  try {
    config = conf::load(options.config_file);
  } catch (const conf::ConfigError& error) {
    spdlog::error("conf: {}", error.what());
    return 1;
  }
  auto settings = config->server;
  if (!options.listen.empty()) {
    settings.listen.clear();
    for (const auto& text : options.listen) {
      auto address = geo::SocketAddress::parse(text);
      if (!address) {
        spdlog::error("server: --listen \"{}\" is not ADDRESS:PORT", text);
        return 1;
      }
      settings.listen.push_back(*address);
    }
  }
  auto control_address = *settings.control;
  if (!options.control.empty()) {
    auto address = geo::SocketAddress::parse(options.control);
    if (!address) {
      spdlog::error("server: --control \"{}\" is not ADDRESS:PORT", options.control);
      return 1;
    }
    control_address = *address;
  }
  if (settings.control_token.empty() && !is_loopback(control_address.address)) {
    const std::string where = !options.control.empty()
                                  ? std::string("--control")
                                  : fmt::format("{}:{}", config->file, settings.control_line);
    spdlog::error(
        "{}: control address {} is not loopback: set server.control_token_file to open it beyond "
        "this host",
        where, control_address.to_string());
    return 1;
  }
  try {
    check_start_privileges(settings, config->file, options.allow_root);
  } catch (const PrivilegeError& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  Overrides overrides;
  if (!settings.state_file.empty()) {
    try {
      overrides = Overrides::load(settings.state_file);
    } catch (const StateFileError& error) {
      spdlog::error("server: state file: {}", error.what());
      return 1;
    }
  }
  const unsigned workers =
      settings.workers ? settings.workers : std::max(1u, std::thread::hardware_concurrency());

  const CounterSlots slots = counter_slots(workers, settings.listen.size());
  SnapshotStore store;
  Generation first;
  try {
    first = build_generation(config, nullptr, slots);
    store.publish(first.snapshot);
  } catch (const std::exception& error) {
    spdlog::error("server: {}", error.what());
    return 1;
  }

  std::vector<ListenSockets> sockets;
  try {
    sockets = open_listen_sockets(settings.listen, workers);
  } catch (const std::exception& error) {
    spdlog::error("server: {}", error.what());
    return 2;
  }

  // Parsing a large YAML file leaves hundreds of MB of freed nodes in malloc's arenas: give
  // them back before serving (bench/scale.sh measured 554 MB RSS at 10,000 profiles).
  malloc_trim(0);

  const auto dropped = overrides.apply(*config, *first.health);
  for (const auto& [profile, endpoint] : dropped)
    spdlog::warn("server: override of {}/{} dropped: the endpoint is not in the config", profile, endpoint);
  for (const auto& [key, entry] : overrides.entries())
    spdlog::info("server: override {}/{} {} restored since={}", key.first, key.second,
                 probes::to_string(entry.value), iso_time(entry.since));
  // Written back once the server is who it will stay (below): a folder it cannot write to is
  // found at start, not at the first drain in the middle of an incident.
  const Overrides restored = overrides;
  const auto first_probes = first.probes;  // started once privileges are dropped
  Reloader reloader(options.config_file, store, config, std::move(first), std::move(overrides),
                    settings.state_file, slots);
  first = Generation{};  // the store holds the snapshot; a reload must be able to free it
  // With `replication:`, verdicts and overrides are shared through etcd (replication/replica.h);
  // its thread starts with the probes.
  std::unique_ptr<replication::Replica> replica;
  if (config->replication.enabled) {
    replica = std::make_unique<replication::Replica>(
        config->replication,
        [&reloader](const std::vector<replication::OverrideChange>& changes, bool complete) {
          reloader.apply_shared_overrides(changes, complete);
        },
        settings.state_file.empty() ? std::string() : settings.state_file + ".lease");
    reloader.replicate(replica.get());
  }

  ClientConnections tcp_clients;  // declared before the workers: it outlives them
  // The control port is bound before any worker starts, so a port in use exits 2 as a DNS one does.
  // One rate-limit table for every UDP socket, kept across reloads (rrl: takes effect at once).
  RateLimiter limiter(std::random_device{}() * 0x9e3779b97f4a7c15ull ^ std::random_device{}());
  std::vector<std::unique_ptr<Worker>> pool;
  // A reload through the API is collected by the main loop as a SIGHUP's is (ReloadOnSignal,
  // made below; until then no reload has replaced anything worth collecting).
  std::atomic<ReloadOnSignal*> collector{nullptr};
  ControlApi api(
      reloader, [&pool](std::string& out, const Running& running) { write_metrics(out, running, pool); },
      [&collector] {
        if (auto* hangup = collector.load()) hangup->reloaded();
      });
  std::unique_ptr<ControlServer> control;
  try {
    control = std::make_unique<ControlServer>(api, control_address, settings.control_token);
  } catch (const std::exception& error) {
    spdlog::error("server: {}", error.what());
    reloader.stop();
    return 2;
  }
  // Every socket is bound: from here on the server needs no privilege. Nothing has read a
  // query or sent a probe yet, and no other thread runs.
  try {
    spdlog::info("{}", drop_privileges(settings));
    if (!settings.state_file.empty()) restored.save(settings.state_file);
  } catch (const PrivilegeError& error) {
    spdlog::error("{}", error.what());
    reloader.stop();
    return 2;
  } catch (const StateFileError& error) {
    spdlog::error("server: state file: {}", error.what());
    reloader.stop();
    return 1;
  }
  first_probes->start();
  if (replica) replica->start();
  for (unsigned i = 0; i < workers; ++i) {
    std::vector<int> udp, tcp;
    for (const auto& entry : sockets) {
      udp.push_back(entry.udp[i]);
      tcp.push_back(entry.tcp[i]);
    }
    pool.push_back(
        std::make_unique<Worker>(i, workers, store, tcp_clients, std::move(udp), std::move(tcp), limiter));
    pool.back()->start();
  }
  control->start();
  // The main thread waits for a signal to stop or reload. The handlers are in place before
  // "ready" is logged: a signal sent on seeing that line must find them.
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_signal_t interrupt, terminate;
  uv_signal_init(&loop, &interrupt);
  uv_signal_init(&loop, &terminate);
  auto on_stop = [](uv_signal_t* handle, int signal) {
    spdlog::info("server: stopping signal={}", signal);
    uv_stop(handle->loop);
  };
  uv_signal_start(&interrupt, on_stop, SIGINT);
  uv_signal_start(&terminate, on_stop, SIGTERM);
  ReloadOnSignal hangup(&loop, reloader);
  collector.store(&hangup);
  pthread_sigmask(SIG_UNBLOCK, &hangup_signal, nullptr);
  for (const auto& entry : sockets)
    spdlog::info("server: listening address={} udp=yes tcp=yes", entry.address.to_string());
  spdlog::info("control: listening address={}", control->address().to_string());
  spdlog::info("server: ready workers={} zones={} profiles={} endpoints={}", workers, config->zones.size(),
               config->profiles.size(), config->endpoint_count);
  // Every socket is bound and every worker runs: systemd may now count the service as started.
  notify_ready(fmt::format("answering on {} address(es), {} zone(s), {} profile(s)", sockets.size(),
                           config->zones.size(), config->profiles.size()));
  config.reset();  // the snapshot holds it: a reload must be able to free it

  uv_run(&loop, UV_RUN_DEFAULT);
  notify_stopping();
  // Stop taking control calls first (one in flight is answered), then queries; overrides were
  // saved when they were made.
  control->stop();
  collector.store(nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&interrupt), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&terminate), nullptr);
  hangup.close();
  uv_run(&loop, UV_RUN_DEFAULT);  // also lets a reload under way finish
  uv_loop_close(&loop);

  for (auto& worker : pool) worker->stop();
  if (replica) {
    replica->stop();  // before the Reloader it applies overrides to
    reloader.replicate(nullptr);
  }
  reloader.stop();
  spdlog::info("server: stopped");
  return 0;
}

int check(const std::string& config_file) {
  try {
    auto config = conf::load(config_file);
    Snapshot snapshot(config, initial_health(*config));  // also opens GeoIP files
  } catch (const conf::ConfigError& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}: {}\n", config_file, error.what());
    return 1;
  }
  fmt::print("{}: ok\n", config_file);
  return 0;
}

}  // namespace meridian::server
