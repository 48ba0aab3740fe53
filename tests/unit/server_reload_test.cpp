// server::Reloader without signals or sockets: what a reload returns (for the SIGHUP path and
// the control API), what it publishes, and when a replaced snapshot is freed.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "conf/config.h"
#include "server/reload.h"
#include "server/snapshot.h"

using namespace meridian;

namespace {

std::string zone_file() {
  return MERIDIAN_SOURCE_DIR "/tests/fixtures/zones/example.test.zone";
}

// A config file in a fresh folder, rewritten by the test between reloads.
class ConfigFile {
 public:
  ConfigFile() {
    char pattern[] = "/tmp/meridian-reload-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/meridian.yaml";
  }
  ~ConfigFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }
  void write(const std::string& text) const { std::ofstream(path_) << text; }

 private:
  std::string dir_;
  std::string path_;
};

std::string config_text(const std::string& extra_profile = "") {
  return "server:\n  workers: 2\nzones:\n  - origin: example.test\n    file: " + zone_file() +
         "\nprofiles:\n"
         "  - name: web\n    fqdn: web.example.test\n    method: priority\n    monitor: {protocol: none}\n"
         "    endpoints:\n      - {name: a, target: 192.0.2.1}\n" +
         extra_profile;
}

const std::string second_profile =
    "  - name: api\n    fqdn: api.example.test\n    method: priority\n    monitor: {protocol: none}\n"
    "    endpoints:\n      - {name: a, target: 192.0.2.2}\n      - {name: b, target: 192.0.2.3}\n";

// A started first generation, published, handed to a Reloader: what serve() does.
struct Running {
  ConfigFile file;
  server::SnapshotStore store;
  std::unique_ptr<server::Reloader> reloader;

  Running() {
    file.write(config_text());
    auto config = conf::load(file.path());
    auto first = server::build_generation(config);
    store.publish(first.snapshot);
    first.probes->start();
    reloader = std::make_unique<server::Reloader>(file.path(), store, config, std::move(first),
                                                  server::Overrides{}, std::string());
  }
};

geo::SocketAddress address(const char* text) {
  return *geo::SocketAddress::parse(text);
}

}  // namespace

TEST_CASE("a good config is published, with its counts in the result") {
  Running running;
  const auto before = running.store.current();
  const uint64_t generation = running.store.generation();
  running.file.write(config_text(second_profile));
  auto result = running.reloader->reload();
  CHECK(result.ok);
  CHECK(result.error.empty());
  CHECK(result.zones == 1);
  CHECK(result.profiles == 2);
  CHECK(result.endpoints == 3);
  CHECK(result.kept_status == 0);  // protocol none: nothing probed, nothing to keep
  CHECK(result.restart_needed.empty());
  CHECK(running.store.generation() == generation + 1);
  CHECK(running.store.current() != before);
  CHECK(running.store.current()->config().profiles.at(1).name == "api");
}

TEST_CASE("a config that fails is not published, and the result says where it failed") {
  Running running;
  const auto before = running.store.current();
  const uint64_t generation = running.store.generation();
  running.file.write(config_text() + "bogus: 1\n");
  auto result = running.reloader->reload();
  CHECK_FALSE(result.ok);
  CHECK(result.error.starts_with(running.file.path() + ":13: unknown key \"bogus\""));
  CHECK(running.store.generation() == generation);
  CHECK(running.store.current() == before);

  // The running generation is intact: the next good file reloads from it.
  running.file.write(config_text(second_profile));
  CHECK(running.reloader->reload().ok);
}

TEST_CASE("a replaced snapshot is freed by collect(), and only once no reader holds it") {
  Running running;
  std::weak_ptr<const server::Snapshot> old = running.store.current();
  auto reader = running.store.current();  // a worker that has not moved on yet
  running.file.write(config_text(second_profile));
  REQUIRE(running.reloader->reload().ok);
  CHECK(running.reloader->collect() == 1);
  CHECK_FALSE(old.expired());
  reader = running.store.current();  // the worker's next batch
  CHECK(running.reloader->collect() == 0);
  CHECK(old.expired());
}

TEST_CASE("listen, workers and control are reported when they change, nothing else is") {
  model::ServerSettings started;
  started.listen = {address("127.0.0.1:5300")};
  started.workers = 2;
  CHECK(server::restart_needed(started, started).empty());

  auto now = started;
  now.nsid = "other";
  now.udp_payload = 4096;
  CHECK(server::restart_needed(started, now).empty());
  now.listen = {address("127.0.0.1:5301")};
  now.workers = 4;
  now.control = address("127.0.0.1:8053");
  CHECK(server::restart_needed(started, now) ==
        std::vector<std::string>{"server.listen", "server.workers", "server.control"});
  now = started;
  now.listen.push_back(address("[::1]:5300"));
  CHECK(server::restart_needed(started, now) == std::vector<std::string>{"server.listen"});
}

TEST_CASE("a replication section that changes needs a restart; one that only moved does not") {
  model::ReplicationSettings started;
  started.enabled = true;
  started.site = "westeurope";
  started.etcd = {"http://127.0.0.1:2379"};
  started.line = 12;
  auto now = started;
  now.line = 20;
  CHECK(server::same_replication(started, now));
  now.healthy_fraction = 0.18;
  CHECK_FALSE(server::same_replication(started, now));
  now = started;
  now.etcd.push_back("http://127.0.0.1:2380");
  CHECK_FALSE(server::same_replication(started, now));
  CHECK_FALSE(server::same_replication(model::ReplicationSettings{}, started));  // added at reload
}
