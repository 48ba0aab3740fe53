// Admin overrides: the state file, its application to a health table, and Reloader::change_override.
//
// change_override is driven through drain, enable, force-up and auto on a Reloader over a scratch
// config with nothing probed; after each change the state file is read back as serve() would.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.h"
#include "conf_test_support.h"
#include "server/overrides.h"
#include "server/reload.h"
#include "server/snapshot.h"

using namespace meridian;
using namespace std::chrono_literals;
using model::Status;
using probes::Override;
using server::Clock;
using server::OverrideAction;
using server::OverrideEntry;
using server::OverrideResult;
using server::Overrides;
using server::StateFileError;

namespace {

using OverrideMap = std::map<Overrides::Key, Override>;

// 2026-12-02T12:00:00.123Z
const Clock::time_point noon = Clock::from_time_t(1796212800) + 123ms;

OverrideMap values_of(const Overrides& overrides) {
  OverrideMap values;
  for (const auto& [key, entry] : overrides.entries()) values[key] = entry.value;
  return values;
}

// What `file` holds, as the server would read it at start.
OverrideMap on_disk(const std::string& file) {
  return values_of(Overrides::load(file));
}

std::string read_text(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The StateFileError that loading `file` throws (empty when none, or another type, was thrown).
std::string load_error(const std::string& file) {
  try {
    Overrides::load(file);
  } catch (const StateFileError& error) {
    return error.what();
  } catch (const std::exception& error) {
    FAIL_CHECK("not a StateFileError: " << std::string(error.what()));
    return "";
  }
  FAIL_CHECK("the state file loaded, but an error was expected:\n" << read_text(file));
  return "";
}

std::string state_file_with(const std::string& entry) {
  return R"({"version": 1, "overrides": [)" + entry + "]}";
}

// web: a and b serve (priority order), off is enabled: false; solo has one endpoint; parent
// nests solo. Nothing is probed.
const std::string web_profile =
    "  - name: web\n"
    "    fqdn: web.example.test\n"
    "    method: priority\n"
    "    monitor: {protocol: none}\n"
    "    endpoints:\n"
    "      - {name: a, target: 192.0.2.1, priority: 1}\n"
    "      - {name: b, target: 192.0.2.2, priority: 2}\n"
    "      - {name: off, target: 192.0.2.3, priority: 3, enabled: false}\n";
const std::string solo_and_parent_profiles =
    "  - name: solo\n"
    "    fqdn: solo.example.test\n"
    "    method: priority\n"
    "    endpoints:\n"
    "      - {name: only, target: 192.0.2.10, always_serve: true}\n"
    "  - name: parent\n"
    "    fqdn: parent.example.test\n"
    "    method: priority\n"
    "    monitor: {protocol: none}\n"
    "    endpoints:\n"
    "      - {name: child, profile: solo}\n";

std::string config_with(const std::string& profiles) {
  return testing::with_zone(
             "server:\n"
             "  workers: 1\n"
             "zones:\n"
             "  - origin: example.test\n"
             "    file: ZONE\n"
             "profiles:\n") +
         profiles;
}

const std::string full_config = config_with(web_profile + solo_and_parent_profiles);

// A config file in a scratch folder, its first generation built, published and started, and a
// Reloader over it with the state file `state_name` in that folder: what serve() does.
struct Server {
  testing::TempDir dir;
  std::string config_file;
  std::string state_file;
  server::SnapshotStore store;
  std::unique_ptr<server::Reloader> reloader;

  explicit Server(const std::string& yaml = full_config, const std::string& state_name = "state.json",
                  Overrides overrides = {}) {
    config_file = dir.write("meridian.yaml", yaml);
    state_file = (dir.path() / state_name).string();
    auto config = conf::load(config_file);
    auto first = server::build_generation(config);
    overrides.apply(*config, *first.health);
    store.publish(first.snapshot);
    first.probes->start();
    reloader = std::make_unique<server::Reloader>(config_file, store, config, std::move(first),
                                                  std::move(overrides), state_file);
  }

  OverrideResult change(const Overrides::Key& endpoint, OverrideAction action, bool force = false) {
    return reloader->change_override(endpoint.first, endpoint.second, action, force);
  }

  // What routing sees of profile/endpoint in the running generation.
  Status status(std::string_view profile, std::string_view endpoint) const {
    const auto running = reloader->running();
    for (const auto& p : running.snapshot->config().profiles)
      for (const auto& e : p.endpoints)
        if (p.name == profile && e.name == endpoint) return running.health->get(e.id);
    FAIL("no endpoint " << profile << "/" << endpoint);
    return Status::Stopped;
  }
  OverrideMap overrides() const { return values_of(reloader->running().overrides); }
  bool state_file_exists() const { return std::filesystem::exists(state_file); }
};

const Overrides::Key web_a{"web", "a"};
const Overrides::Key web_b{"web", "b"};
const Overrides::Key solo_only{"solo", "only"};

}  // namespace

// --- the state file ---------------------------------------------------------------------------

TEST_CASE("iso_time writes UTC to the millisecond") {
  CHECK(server::iso_time(noon) == "2026-12-02T12:00:00.123Z");
  CHECK(server::iso_time(noon + 999us) == "2026-12-02T12:00:00.123Z");
  CHECK(server::iso_time(Clock::from_time_t(0)) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("saved overrides load back with their values and times to the millisecond") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "state.json").string();
  Overrides saved;
  saved.set(web_a, {Override::drain, noon + 456us});  // below a millisecond: not kept
  saved.set(web_b, {Override::force_up, noon + 1h});
  saved.save(file);

  const auto loaded = Overrides::load(file);
  REQUIRE(loaded.entries().size() == 2);
  REQUIRE(loaded.find(web_a) != nullptr);
  REQUIRE(loaded.find(web_b) != nullptr);
  CHECK(loaded.find(web_a)->value == Override::drain);
  CHECK(loaded.find(web_a)->since == noon);
  CHECK(loaded.find(web_b)->value == Override::force_up);
  CHECK(loaded.find(web_b)->since == noon + 1h);
}

TEST_CASE("the state file is version 1 JSON with one entry per override") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "state.json").string();
  Overrides saved;
  saved.set(web_a, {Override::drain, noon});
  saved.save(file);

  const auto json = nlohmann::json::parse(read_text(file));
  CHECK(json["version"] == 1);
  REQUIRE(json["overrides"].size() == 1);
  CHECK(json["overrides"][0] == nlohmann::json{{"profile", "web"},
                                               {"endpoint", "a"},
                                               {"override", "drain"},
                                               {"since", "2026-12-02T12:00:00.123Z"}});
}

TEST_CASE("an empty set saves as an empty list and loads back empty") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "state.json").string();
  Overrides().save(file);
  CHECK(nlohmann::json::parse(read_text(file))["overrides"] == nlohmann::json::array());
  CHECK(Overrides::load(file).entries().empty());
}

TEST_CASE("a missing state file loads as no overrides") {
  testing::TempDir dir;
  CHECK(Overrides::load((dir.path() / "never-written.json").string()).entries().empty());
}

TEST_CASE("a state file that is not JSON throws StateFileError naming the file") {
  testing::TempDir dir;
  const auto file = dir.write("state.json", R"({"version": 1, "overrides": [)");
  const auto error = load_error(file);
  CHECK(error.starts_with(file + ": not JSON"));
}

TEST_CASE("an empty state file throws StateFileError naming the file") {
  testing::TempDir dir;
  const auto file = dir.write("state.json", "");
  CHECK(load_error(file).starts_with(file + ": "));
}

TEST_CASE("a state file of another version throws StateFileError naming the file") {
  testing::TempDir dir;
  const auto file = dir.write("state.json", R"({"version": 2, "overrides": []})");
  CHECK(load_error(file).starts_with(file + ": not a Meridian state file"));
}

TEST_CASE("a state file whose version is not a number throws StateFileError naming the file") {
  testing::TempDir dir;
  const auto file = dir.write("state.json", R"({"version": "1", "overrides": []})");
  CHECK(load_error(file).starts_with(file + ": "));
}

TEST_CASE("a state file without an overrides list throws StateFileError naming the file") {
  testing::TempDir dir;
  const auto file = dir.write("state.json", R"({"version": 1, "overrides": {}})");
  CHECK(load_error(file).starts_with(file + ": not a Meridian state file"));
}

TEST_CASE("an entry without its string fields throws StateFileError naming the file and the entry") {
  testing::TempDir dir;
  const auto file = dir.write("state.json", state_file_with(R"({"profile": "web", "override": "drain"})"));
  CHECK(load_error(file).starts_with(file + ": overrides[0] needs string fields"));
}

TEST_CASE("an unknown override name throws StateFileError naming the file and the entry") {
  testing::TempDir dir;
  const auto file =
      dir.write("state.json", state_file_with(R"({"profile": "web", "endpoint": "a", "override": "drain"},
                                                               {"profile": "web", "endpoint": "b", "override": "maintenance"})"));
  CHECK(load_error(file).starts_with(file + ": overrides[1]: override must be"));
}

TEST_CASE("a since that is not a time throws StateFileError naming the file and the entry") {
  testing::TempDir dir;
  const auto file = dir.write(
      "state.json",
      state_file_with(R"({"profile": "web", "endpoint": "a", "override": "drain", "since": "yesterday"})"));
  CHECK(load_error(file).starts_with(file + ": overrides[0]: since is not a time"));
}

TEST_CASE("a since with out-of-range fields throws StateFileError rather than loading another time") {
  testing::TempDir dir;
  const auto file =
      dir.write("state.json", state_file_with(R"({"profile": "web", "endpoint": "a", "override": "drain",
                                        "since": "2026-13-45T25:61:61.000Z"})"));
  CHECK(load_error(file).starts_with(file + ": overrides[0]: since is not a time"));
}

TEST_CASE("a since with fewer than three fraction digits is not read as another time") {
  testing::TempDir dir;
  const auto file =
      dir.write("state.json", state_file_with(R"({"profile": "web", "endpoint": "a", "override": "drain",
                                                               "since": "2026-12-02T12:00:00.5Z"})"));
  // Half a second, or refused; never five milliseconds.
  try {
    const auto loaded = Overrides::load(file);
    REQUIRE(loaded.find(web_a) != nullptr);
    CHECK(loaded.find(web_a)->since == Clock::from_time_t(1796212800) + 500ms);
  } catch (const StateFileError& error) {
    CHECK(std::string(error.what()).starts_with(file + ": overrides[0]: since is not a time"));
  }
}

TEST_CASE("an entry without since loads with the time it was loaded") {
  testing::TempDir dir;
  const auto file = dir.write(
      "state.json", state_file_with(R"({"profile": "web", "endpoint": "a", "override": "force-up"})"));
  const auto before = Clock::now();
  const auto loaded = Overrides::load(file);
  REQUIRE(loaded.find(web_a) != nullptr);
  CHECK(loaded.find(web_a)->value == Override::force_up);
  CHECK(loaded.find(web_a)->since >= before);
  CHECK(loaded.find(web_a)->since <= Clock::now());
}

TEST_CASE("a state file path that is a folder throws StateFileError naming it") {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "state.json");
  const std::string file = (dir.path() / "state.json").string();
  CHECK(load_error(file).starts_with(file + ": "));
}

TEST_CASE("a save leaves the state file and no temporary file beside it") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "state.json").string();
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  overrides.save(file);
  overrides.save(file);  // over an existing one, too
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.push_back(entry.path().filename().string());
  CHECK(names == std::vector<std::string>{"state.json"});
}

TEST_CASE("a save replaces what the state file held") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "state.json").string();
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  overrides.set(web_b, {Override::force_up, noon});
  overrides.save(file);
  overrides.set(web_a, {Override::none, noon});
  overrides.save(file);
  CHECK(on_disk(file) == OverrideMap{{web_b, Override::force_up}});
}

TEST_CASE("a save into a missing folder throws StateFileError naming the file") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "missing" / "state.json").string();
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  try {
    overrides.save(file);
    FAIL("the save succeeded");
  } catch (const StateFileError& error) {
    CHECK(std::string(error.what()).starts_with(file));
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

TEST_CASE("a save over a folder throws StateFileError and leaves no temporary file") {
  testing::TempDir dir;
  const std::string file = (dir.path() / "state.json").string();
  std::filesystem::create_directories(file);
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  CHECK_THROWS_AS(overrides.save(file), StateFileError);
  CHECK_FALSE(std::filesystem::exists(file + ".tmp"));
  CHECK(std::filesystem::is_directory(file));
}

// --- the set and its application --------------------------------------------------------------

TEST_CASE("setting none removes an override and find no longer finds it") {
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  REQUIRE(overrides.find(web_a) != nullptr);
  overrides.set(web_a, {Override::none, noon});
  CHECK(overrides.find(web_a) == nullptr);
  CHECK(overrides.entries().empty());
}

TEST_CASE("setting an override again replaces its value and time") {
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  overrides.set(web_a, {Override::force_up, noon + 1s});
  REQUIRE(overrides.find(web_a) != nullptr);
  CHECK(overrides.find(web_a)->value == Override::force_up);
  CHECK(overrides.find(web_a)->since == noon + 1s);
  CHECK(overrides.entries().size() == 1);
}

TEST_CASE("apply writes each override into the config's health table by endpoint id") {
  const auto config = conf::load_from_string(full_config, "meridian.yaml");
  probes::HealthTable health(config->endpoint_count);
  probes::publish_initial_statuses(*config, health);
  Overrides overrides;
  overrides.set(web_b, {Override::drain, noon});
  overrides.set(web_a, {Override::force_up, noon});
  const auto dropped = overrides.apply(*config, health);
  CHECK(dropped.empty());
  const auto& web = config->profiles.at(0);
  CHECK(health.override_of(web.endpoints.at(0).id) == Override::force_up);
  CHECK(health.override_of(web.endpoints.at(1).id) == Override::drain);
  CHECK(health.get(web.endpoints.at(1).id) == Status::Disabled);
  CHECK(health.override_of(web.endpoints.at(2).id) == Override::none);
  CHECK(overrides.entries().size() == 2);
}

TEST_CASE("apply removes and returns the overrides of profiles and endpoints the config lacks") {
  const auto config = conf::load_from_string(full_config, "meridian.yaml");
  probes::HealthTable health(config->endpoint_count);
  Overrides overrides;
  overrides.set(web_a, {Override::drain, noon});
  overrides.set({"web", "gone"}, {Override::drain, noon});
  overrides.set({"retired", "a"}, {Override::force_up, noon});
  const auto dropped = overrides.apply(*config, health);
  CHECK(dropped == std::vector<Overrides::Key>{{"retired", "a"}, {"web", "gone"}});
  CHECK(values_of(overrides) == OverrideMap{{web_a, Override::drain}});
}

// --- Reloader::change_override ----------------------------------------------------------------

TEST_CASE("drain makes an endpoint Disabled, records it and saves it") {
  Server server;
  const auto result = server.change(web_a, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK(result.error.empty());
  CHECK(result.changed);
  CHECK(result.value == Override::drain);
  CHECK(result.status == Status::Disabled);
  CHECK(server.status("web", "a") == Status::Disabled);
  CHECK(server.status("web", "b") == Status::NotMonitored);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::drain}});
  CHECK(on_disk(server.state_file) == OverrideMap{{web_a, Override::drain}});
  CHECK(server.reloader->running().override_changes == 1);
}

TEST_CASE("draining a drained endpoint changes nothing") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  const auto result = server.change(web_a, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::drain);
  CHECK(server.reloader->running().override_changes == 1);
}

TEST_CASE("enable lifts a drain: the probes decide again") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  const auto result = server.change(web_a, OverrideAction::enable);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK(result.changed);
  CHECK(result.value == Override::none);
  CHECK(result.status == Status::NotMonitored);
  CHECK(server.status("web", "a") == Status::NotMonitored);
  CHECK(server.overrides().empty());
  CHECK(on_disk(server.state_file).empty());
}

TEST_CASE("enable leaves a force-up in place") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::force_up).changed);
  const auto result = server.change(web_a, OverrideAction::enable);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::force_up);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::force_up}});
  CHECK(on_disk(server.state_file) == OverrideMap{{web_a, Override::force_up}});
}

TEST_CASE("enable of an endpoint without an override changes nothing and writes nothing") {
  Server server;
  const auto result = server.change(web_a, OverrideAction::enable);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::none);
  CHECK_FALSE(server.state_file_exists());
}

TEST_CASE("force-up sets the override; a status the config fixes stays as it is") {
  Server server;
  const auto result = server.change(web_a, OverrideAction::force_up);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK(result.changed);
  CHECK(result.value == Override::force_up);
  CHECK(result.status == Status::NotMonitored);  // monitor protocol none: nothing to lift
  CHECK(server.overrides() == OverrideMap{{web_a, Override::force_up}});
  CHECK(on_disk(server.state_file) == OverrideMap{{web_a, Override::force_up}});
}

TEST_CASE("force-up replaces a drain") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  const auto result = server.change(web_a, OverrideAction::force_up);
  CHECK(result.changed);
  CHECK(result.value == Override::force_up);
  CHECK(server.status("web", "a") == Status::NotMonitored);
  CHECK(on_disk(server.state_file) == OverrideMap{{web_a, Override::force_up}});
}

TEST_CASE("auto lifts a force-up") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::force_up).changed);
  const auto result = server.change(web_a, OverrideAction::automatic);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK(result.changed);
  CHECK(result.value == Override::none);
  CHECK(server.overrides().empty());
  CHECK(on_disk(server.state_file).empty());
}

TEST_CASE("auto lifts a drain") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  const auto result = server.change(web_a, OverrideAction::automatic);
  CHECK(result.changed);
  CHECK(result.value == Override::none);
  CHECK(server.status("web", "a") == Status::NotMonitored);
  CHECK(on_disk(server.state_file).empty());
}

TEST_CASE("draining the last serving endpoint of a profile is refused and changes nothing") {
  Server server;
  const auto result = server.change(solo_only, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::refused);
  CHECK(result.error.find("would leave profile solo with no available endpoint") != std::string::npos);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::none);
  CHECK(result.status == Status::NotMonitored);
  CHECK(server.status("solo", "only") == Status::NotMonitored);
  CHECK(server.overrides().empty());
  CHECK_FALSE(server.state_file_exists());
  CHECK(server.reloader->running().override_changes == 0);
}

TEST_CASE("draining the last serving endpoint is done with force") {
  Server server;
  const auto result = server.change(solo_only, OverrideAction::drain, true);
  CHECK(result.outcome == OverrideResult::Outcome::ok);
  CHECK(result.changed);
  CHECK(result.status == Status::Disabled);
  CHECK(server.status("solo", "only") == Status::Disabled);
  CHECK(on_disk(server.state_file) == OverrideMap{{solo_only, Override::drain}});
}

TEST_CASE("the last serving endpoint is counted without the drained and the disabled ones") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).outcome == OverrideResult::Outcome::ok);
  // web/off is enabled: false and web/a is drained: b is all that serves.
  const auto result = server.change(web_b, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::refused);
  CHECK(server.status("web", "b") == Status::NotMonitored);
  CHECK(server.change(web_b, OverrideAction::drain, true).outcome == OverrideResult::Outcome::ok);
  CHECK(server.status("web", "b") == Status::Disabled);
}

TEST_CASE("an unknown profile is no_profile, and nothing is written") {
  Server server;
  const auto result = server.change({"nope", "a"}, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::no_profile);
  CHECK(result.error == "no profile nope");
  CHECK_FALSE(result.changed);
  CHECK_FALSE(server.state_file_exists());
}

TEST_CASE("an unknown endpoint of a known profile is no_endpoint, and nothing is written") {
  Server server;
  const auto result = server.change({"web", "nope"}, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::no_endpoint);
  CHECK(result.error == "profile web has no endpoint nope");
  CHECK_FALSE(result.changed);
  CHECK_FALSE(server.state_file_exists());
}

TEST_CASE("force-up of a nested endpoint is refused: its child decides") {
  Server server;
  const auto result = server.change({"parent", "child"}, OverrideAction::force_up);
  CHECK(result.outcome == OverrideResult::Outcome::refused);
  CHECK(result.error.find("parent/child is nested") != std::string::npos);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::none);
  CHECK(server.overrides().empty());
  CHECK_FALSE(server.state_file_exists());
}

TEST_CASE("force-up of an endpoint the config disables is refused") {
  Server server;
  const auto result = server.change({"web", "off"}, OverrideAction::force_up);
  CHECK(result.outcome == OverrideResult::Outcome::refused);
  CHECK(result.error.find("web/off is disabled in the config") != std::string::npos);
  CHECK_FALSE(result.changed);
  CHECK(result.status == Status::Disabled);
  CHECK(server.overrides().empty());
  CHECK_FALSE(server.state_file_exists());
}

TEST_CASE("a change whose state file cannot be written fails and changes nothing") {
  Server server(full_config, "not-a-folder/state.json");
  server.dir.write("not-a-folder", "a regular file where the state file's folder should be\n");
  const auto result = server.change(web_a, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::failed);
  CHECK(result.error.find("the state file cannot be written") != std::string::npos);
  CHECK(result.error.find(server.state_file) != std::string::npos);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::none);
  CHECK(result.status == Status::NotMonitored);
  CHECK(server.status("web", "a") == Status::NotMonitored);
  CHECK(server.overrides().empty());
  CHECK(server.reloader->running().override_changes == 0);
}

TEST_CASE("lifting a drain whose state file cannot be written leaves the drain in place") {
  Server server(full_config, "folder/state.json");
  std::filesystem::create_directories(server.dir.path() / "folder");
  REQUIRE(server.change(web_a, OverrideAction::drain).outcome == OverrideResult::Outcome::ok);
  std::filesystem::remove_all(server.dir.path() / "folder");
  server.dir.write("folder", "now a regular file\n");

  const auto result = server.change(web_a, OverrideAction::automatic);
  CHECK(result.outcome == OverrideResult::Outcome::failed);
  CHECK_FALSE(result.changed);
  CHECK(result.value == Override::drain);
  CHECK(result.status == Status::Disabled);
  CHECK(server.status("web", "a") == Status::Disabled);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::drain}});
}

TEST_CASE("after each change the state file holds exactly the running overrides") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  CHECK(on_disk(server.state_file) == server.overrides());
  REQUIRE(server.change(web_b, OverrideAction::force_up).changed);
  CHECK(on_disk(server.state_file) == OverrideMap{{web_a, Override::drain}, {web_b, Override::force_up}});
  CHECK(on_disk(server.state_file) == server.overrides());
  REQUIRE(server.change(solo_only, OverrideAction::drain, true).changed);
  CHECK(on_disk(server.state_file) == server.overrides());
  REQUIRE(server.change(web_a, OverrideAction::enable).changed);
  CHECK(on_disk(server.state_file) == OverrideMap{{web_b, Override::force_up}, {solo_only, Override::drain}});
  CHECK(on_disk(server.state_file) == server.overrides());
  REQUIRE(server.change(web_b, OverrideAction::automatic).changed);
  REQUIRE(server.change(solo_only, OverrideAction::automatic).changed);
  CHECK(on_disk(server.state_file).empty());
  CHECK(server.reloader->running().override_changes == 6);
}

TEST_CASE("the state file records when each override was set") {
  Server server;
  const auto before = Clock::now() - 1ms;  // the file keeps milliseconds
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  const auto after = Clock::now();
  const auto loaded = Overrides::load(server.state_file);
  REQUIRE(loaded.find(web_a) != nullptr);
  CHECK(loaded.find(web_a)->since >= before);
  CHECK(loaded.find(web_a)->since <= after);
}

TEST_CASE("overrides given at start are the running ones, in force in the health table") {
  Overrides restored;
  restored.set(web_a, {Override::drain, noon});
  Server server(full_config, "state.json", restored);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::drain}});
  CHECK(server.status("web", "a") == Status::Disabled);
  // Lifting it works from what was restored.
  CHECK(server.change(web_a, OverrideAction::enable).changed);
  CHECK(server.status("web", "a") == Status::NotMonitored);
}

TEST_CASE("a change after stop() fails: the server is stopping") {
  Server server;
  server.reloader->stop();
  const auto result = server.change(web_a, OverrideAction::drain);
  CHECK(result.outcome == OverrideResult::Outcome::failed);
  CHECK(result.error == "the server is stopping");
  CHECK_FALSE(result.changed);
  CHECK_FALSE(server.state_file_exists());
}

// --- reloads ----------------------------------------------------------------------------------

TEST_CASE("a reload keeps the overrides, in force in the new generation") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  REQUIRE(server.change(web_b, OverrideAction::force_up).changed);
  const auto before = server.store.current();
  server.dir.write("meridian.yaml", full_config + "\n# touched\n");
  REQUIRE(server.reloader->reload().ok);
  REQUIRE(server.store.current() != before);
  CHECK(server.status("web", "a") == Status::Disabled);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::drain}, {web_b, Override::force_up}});
  const auto running = server.reloader->running();
  CHECK(running.health->override_of(running.snapshot->config().profiles.at(0).endpoints.at(1).id) ==
        Override::force_up);
  CHECK(on_disk(server.state_file) == server.overrides());
}

TEST_CASE("a reload drops the override of an endpoint the new config removes, from memory and disk") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  REQUIRE(server.change(web_b, OverrideAction::force_up).changed);
  REQUIRE(server.change(solo_only, OverrideAction::drain, true).changed);
  // web loses b; solo (and parent, which nests it) go.
  server.dir.write("meridian.yaml", config_with("  - name: web\n"
                                                "    fqdn: web.example.test\n"
                                                "    method: priority\n"
                                                "    monitor: {protocol: none}\n"
                                                "    endpoints:\n"
                                                "      - {name: a, target: 192.0.2.1, priority: 1}\n"
                                                "      - {name: c, target: 192.0.2.4, priority: 2}\n"));
  REQUIRE(server.reloader->reload().ok);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::drain}});
  CHECK(on_disk(server.state_file) == OverrideMap{{web_a, Override::drain}});
  CHECK(server.status("web", "a") == Status::Disabled);
  CHECK(server.status("web", "c") == Status::NotMonitored);
}

TEST_CASE("an override of an endpoint that a reload moves to another id follows it by name") {
  Server server;
  REQUIRE(server.change(web_b, OverrideAction::drain).changed);
  // A new first endpoint shifts every id.
  server.dir.write("meridian.yaml", config_with("  - name: web\n"
                                                "    fqdn: web.example.test\n"
                                                "    method: priority\n"
                                                "    monitor: {protocol: none}\n"
                                                "    endpoints:\n"
                                                "      - {name: first, target: 192.0.2.9, priority: 1}\n"
                                                "      - {name: a, target: 192.0.2.1, priority: 2}\n"
                                                "      - {name: b, target: 192.0.2.2, priority: 3}\n"));
  REQUIRE(server.reloader->reload().ok);
  CHECK(server.status("web", "b") == Status::Disabled);
  CHECK(server.status("web", "a") == Status::NotMonitored);
  CHECK(server.status("web", "first") == Status::NotMonitored);
}

TEST_CASE("a reload that fails keeps the overrides and the state file as they were") {
  Server server;
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  const auto on_disk_before = read_text(server.state_file);
  server.dir.write("meridian.yaml", full_config + "bogus: 1\n");
  REQUIRE_FALSE(server.reloader->reload().ok);
  CHECK(server.overrides() == OverrideMap{{web_a, Override::drain}});
  CHECK(server.status("web", "a") == Status::Disabled);
  CHECK(read_text(server.state_file) == on_disk_before);
}

TEST_CASE("a change after a reload applies to the new generation") {
  Server server;
  server.dir.write("meridian.yaml", full_config + "\n# touched\n");
  REQUIRE(server.reloader->reload().ok);
  REQUIRE(server.change(web_a, OverrideAction::drain).changed);
  CHECK(server.status("web", "a") == Status::Disabled);
  CHECK(server.reloader->running().generation == 2);
}

TEST_CASE("a changed state_file or control_token_file is reported as needing a restart") {
  model::ServerSettings started;
  started.state_file = "/var/lib/meridian/state.json";
  auto now = started;
  now.state_file = "/var/lib/meridian/other.json";
  CHECK(server::restart_needed(started, now) == std::vector<std::string>{"server.state_file"});
  now = started;
  now.control_token = "another";
  CHECK(server::restart_needed(started, now) == std::vector<std::string>{"server.control_token_file"});
}

TEST_CASE("override actions are parsed by their API names") {
  CHECK(server::parse_override_action("drain") == OverrideAction::drain);
  CHECK(server::parse_override_action("enable") == OverrideAction::enable);
  CHECK(server::parse_override_action("force-up") == OverrideAction::force_up);
  CHECK(server::parse_override_action("auto") == OverrideAction::automatic);
  CHECK_FALSE(server::parse_override_action("force_up").has_value());
  CHECK_FALSE(server::parse_override_action("Drain").has_value());
}
