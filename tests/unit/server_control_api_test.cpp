// server::ControlApi without HTTP: which request gets which status, content type and body.
//
// The API runs over a Reloader on a scratch config with nothing probed; /metrics gets a stand-in
// writer (the real one reads DNS workers), so escape_label, which it relies on, is tested here.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <utility>

#include "conf/config.h"
#include "conf_test_support.h"
#include "server/control_api.h"
#include "server/metrics.h"
#include "server/reload.h"
#include "server/snapshot.h"

using namespace meridian;
using nlohmann::json;
using server::ControlReply;
using server::ControlRequest;

namespace {

// web answers a (priority 1) while it serves, else b; solo has one endpoint. Nothing is probed.
std::string config_text(const std::string& server_extra = "") {
  return testing::with_zone(
      "server:\n"
      "  workers: 1\n" +
      server_extra +
      "zones:\n"
      "  - origin: example.test\n"
      "    file: ZONE\n"
      "profiles:\n"
      "  - name: web\n"
      "    fqdn: web.example.test\n"
      "    method: priority\n"
      "    monitor: {protocol: none}\n"
      "    endpoints:\n"
      "      - {name: a, target: 192.0.2.1, priority: 1}\n"
      "      - {name: b, target: 192.0.2.2, priority: 2}\n"
      "  - name: solo\n"
      "    fqdn: solo.example.test\n"
      "    method: priority\n"
      "    endpoints:\n"
      "      - {name: only, target: 192.0.2.10, always_serve: true}\n");
}

constexpr const char* metrics_marker = "# test metrics writer was here\n";

// A running first generation behind a Reloader and a ControlApi, as serve() wires them; the
// metrics writer is a stand-in (the real one reads the DNS workers).
struct Api {
  testing::TempDir dir;
  std::string config_file;
  std::string state_file;
  server::SnapshotStore store;
  std::unique_ptr<server::Reloader> reloader;
  std::unique_ptr<server::ControlApi> api;
  uint64_t metrics_saw_generation = 0;

  explicit Api(const std::string& yaml = config_text()) {
    config_file = dir.write("meridian.yaml", yaml);
    auto config = conf::load(config_file);
    state_file =
        config->server.state_file.empty() ? (dir.path() / "state.json").string() : config->server.state_file;
    auto first = server::build_generation(config);
    store.publish(first.snapshot);
    first.probes->start();
    reloader = std::make_unique<server::Reloader>(config_file, store, config, std::move(first),
                                                  server::Overrides{}, state_file);
    api = std::make_unique<server::ControlApi>(*reloader,
                                               [this](std::string& out, const server::Running& running) {
                                                 out += metrics_marker;
                                                 metrics_saw_generation = running.generation;
                                               });
  }

  ControlReply call(const std::string& method, const std::string& path, bool force = false) const {
    return api->handle({method, path, force, true, true});
  }
  ControlReply call_as(const std::string& method, const std::string& path, bool may_read,
                       bool may_change) const {
    return api->handle({method, path, false, may_read, may_change});
  }
  json status_json() const {
    const auto reply = call("GET", "/v1/status");
    REQUIRE(reply.status == 200);
    return json::parse(reply.body);
  }
};

json body_of(const ControlReply& reply) {
  return json::parse(reply.body);
}

// The endpoint `name` of profile `profile` in a /v1/status document.
json endpoint_in(const json& status, const std::string& profile, const std::string& name) {
  for (const auto& p : status["profiles"])
    if (p["name"] == profile)
      for (const auto& e : p["endpoints"])
        if (e["name"] == name) return e;
  FAIL("no endpoint " << profile << "/" << name << " in the status");
  return nullptr;
}

json profile_in(const json& status, const std::string& name) {
  for (const auto& p : status["profiles"])
    if (p["name"] == name) return p;
  FAIL("no profile " << name << " in the status");
  return nullptr;
}

const std::string drain_a = "/v1/profiles/web/endpoints/a/drain";

}  // namespace

// --- GET routes -------------------------------------------------------------------------------

TEST_CASE("GET /healthz answers 200 ok in plain text") {
  Api api;
  const auto reply = api.call("GET", "/healthz");
  CHECK(reply.status == 200);
  CHECK(reply.body == "ok\n");
  CHECK(reply.content_type == "text/plain; charset=utf-8");
}

TEST_CASE("HEAD is taken where GET is") {
  Api api;
  CHECK(api.call("HEAD", "/healthz").status == 200);
  CHECK(api.call("HEAD", "/v1/status").status == 200);
}

TEST_CASE("GET / answers the status page as HTML") {
  Api api;
  const auto reply = api.call("GET", "/");
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "text/html; charset=utf-8");
  CHECK_FALSE(reply.body.empty());
}

TEST_CASE("GET /readyz answers 200 ready when no endpoint is probed") {
  Api api;
  const auto reply = api.call("GET", "/readyz");
  CHECK(reply.status == 200);
  CHECK(reply.body == "ready\n");
  CHECK(reply.content_type == "text/plain; charset=utf-8");
}

TEST_CASE("GET /metrics answers the metrics writer's text as exposition format 0.0.4") {
  Api api;
  const auto reply = api.call("GET", "/metrics");
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(reply.body == metrics_marker);
  CHECK(api.metrics_saw_generation == 1);
}

TEST_CASE("GET /v1/status answers JSON naming the config file and its generation") {
  Api api;
  const auto reply = api.call("GET", "/v1/status");
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "application/json");
  const auto status = body_of(reply);
  CHECK(status["config"]["file"] == api.config_file);
  CHECK(status["config"]["generation"] == 1);
  CHECK(status["ready"] == true);
  CHECK(status["last_reload"].is_null());
  CHECK(status["profiles"].size() == 2);
}

TEST_CASE("an unknown path is 404 with a JSON error naming it") {
  Api api;
  for (const char* method : {"GET", "POST"}) {
    CAPTURE(method);
    const auto reply = api.call(method, "/v1/nothing");
    CHECK(reply.status == 404);
    CHECK(reply.content_type == "application/json");
    CHECK(body_of(reply)["error"] == "no route /v1/nothing");
  }
  CHECK(api.call("POST", "/v1/profiles/web/endpoints/a").status == 404);
  CHECK(api.call("POST", "/v1/profiles/web/endpoints/a/drain/now").status == 404);
}

// --- methods ----------------------------------------------------------------------------------

TEST_CASE("the GET routes answer another method with 405 and Allow: GET") {
  Api api;
  for (const char* path : {"/", "/healthz", "/readyz", "/metrics", "/v1/status"})
    for (const char* method : {"POST", "PUT", "DELETE"}) {
      CAPTURE(path);
      CAPTURE(method);
      const auto reply = api.call(method, path);
      CHECK(reply.status == 405);
      CHECK(reply.allow == "GET");
      CHECK(body_of(reply)["error"].get<std::string>().starts_with("method not allowed"));
    }
}

TEST_CASE("POST /v1/reload answers another method with 405 and Allow: POST, and does not reload") {
  Api api;
  for (const char* method : {"GET", "HEAD", "PUT"}) {
    CAPTURE(method);
    const auto reply = api.call(method, "/v1/reload");
    CHECK(reply.status == 405);
    CHECK(reply.allow == "POST");
  }
  CHECK(api.reloader->running().generation == 1);
}

TEST_CASE("an override route answers another method with 405 and Allow: POST, and changes nothing") {
  Api api;
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    CAPTURE(method);
    const auto reply = api.call(method, drain_a);
    CHECK(reply.status == 405);
    CHECK(reply.allow == "POST");
  }
  CHECK(api.reloader->running().overrides.entries().empty());
}

// --- who may call -----------------------------------------------------------------------------

TEST_CASE("a caller that may not read gets 401 from every GET route but /healthz and /readyz") {
  Api api;
  for (const char* path : {"/", "/metrics", "/v1/status"}) {
    CAPTURE(path);
    const auto reply = api.call_as("GET", path, false, true);
    CHECK(reply.status == 401);
    CHECK(body_of(reply)["error"].get<std::string>().find("Authorization: Bearer") != std::string::npos);
  }
  CHECK(api.metrics_saw_generation == 0);  // the writer never ran
}

TEST_CASE("/healthz and /readyz answer a caller that may not read; the not-ready reason only one who may") {
  Api ready;
  CHECK(ready.call_as("GET", "/healthz", false, false).body == "ok\n");
  CHECK(ready.call_as("GET", "/readyz", false, false).body == "ready\n");

  // An endpoint probed every 30 s with 9 failures tolerated has no verdict while this runs.
  Api waiting(testing::with_zone(
      "zones:\n"
      "  - origin: example.test\n"
      "    file: ZONE\n"
      "profiles:\n"
      "  - name: web\n"
      "    fqdn: web.example.test\n"
      "    method: priority\n"
      "    monitor: {protocol: tcp, port: 9, interval: 30s, timeout: 5s, tolerated_failures: 9}\n"
      "    endpoints:\n"
      "      - {name: unjudged, target: 127.0.0.1}\n"));
  const auto outsider = waiting.call_as("GET", "/readyz", false, false);
  CHECK(outsider.status == 503);
  CHECK(outsider.body == "not ready\n");
  const auto reader = waiting.call_as("GET", "/readyz", true, false);
  CHECK(reader.status == 503);
  CHECK_MESSAGE(reader.body.find("unjudged") != std::string::npos, reader.body);
}

TEST_CASE("a caller that may not change gets 401 from POST /v1/reload, and nothing reloads") {
  Api api;
  const auto reply = api.call_as("POST", "/v1/reload", true, false);
  CHECK(reply.status == 401);
  CHECK(body_of(reply).contains("error"));
  CHECK(api.reloader->running().generation == 1);
  CHECK(api.reloader->running().reloads_ok == 0);
}

TEST_CASE("a caller that may not change gets 401 from every override route, and nothing changes") {
  Api api;
  for (const char* action : {"drain", "enable", "force-up", "auto"}) {
    CAPTURE(action);
    CHECK(api.call_as("POST", std::string("/v1/profiles/web/endpoints/a/") + action, true, false).status ==
          401);
  }
  CHECK(api.reloader->running().override_changes == 0);
  CHECK_FALSE(std::filesystem::exists(api.state_file));
}

TEST_CASE("a caller that may read but not change still reads") {
  Api api;
  CHECK(api.call_as("GET", "/v1/status", true, false).status == 200);
  CHECK(api.call_as("GET", "/metrics", true, false).status == 200);
}

// --- POST /v1/reload --------------------------------------------------------------------------

TEST_CASE("POST /v1/reload of a good config answers 200 with the new generation and its counts") {
  Api api;
  api.dir.write("meridian.yaml", config_text() + "# touched\n");
  const auto reply = api.call("POST", "/v1/reload");
  CHECK(reply.status == 200);
  const auto body = body_of(reply);
  CHECK(body["ok"] == true);
  CHECK(body["generation"] == 2);
  CHECK(body["profiles"] == 2);
  CHECK(body["endpoints"] == 3);
  CHECK(body["restart_needed"] == json::array());
  CHECK(api.status_json()["config"]["generation"] == 2);
}

TEST_CASE("POST /v1/reload of a broken config answers 422 with FILE:LINE and keeps the generation") {
  Api api;
  api.dir.write("meridian.yaml", config_text() + "bogus: 1\n");
  const auto reply = api.call("POST", "/v1/reload");
  CHECK(reply.status == 422);
  const auto body = body_of(reply);
  CHECK(body["ok"] == false);
  const auto error = body["error"].get<std::string>();
  CHECK(std::regex_search(error, std::regex("^" + api.config_file + ":[0-9]+: ")));
  CHECK(error.find("bogus") != std::string::npos);
  const auto status = api.status_json();
  CHECK(status["config"]["generation"] == 1);
  CHECK(status["last_reload"]["ok"] == false);
  CHECK(status["last_reload"]["error"] == error);
  CHECK(status["reloads"]["failed"] == 1);
}

TEST_CASE("a failed reload's reply names the generation still running") {
  Api api;
  api.dir.write("meridian.yaml", config_text() + "bogus: 1\n");
  const auto reply = api.call("POST", "/v1/reload");
  REQUIRE(reply.status == 422);
  CHECK(body_of(reply)["generation"] == 1);  // ReloadResult::generation: "the config generation now running"
  CHECK(api.reloader->running().last_reload->generation == 1);
}

// --- override routes --------------------------------------------------------------------------

TEST_CASE("POST drain answers 200 with the endpoint's override and status") {
  Api api;
  const auto reply = api.call("POST", drain_a);
  CHECK(reply.status == 200);
  const auto body = body_of(reply);
  CHECK(body["profile"] == "web");
  CHECK(body["endpoint"] == "a");
  CHECK(body["override"] == "drain");
  CHECK(body["status"] == "Disabled");
  CHECK(body["changed"] == true);
  CHECK_FALSE(body.contains("error"));
}

TEST_CASE("POST enable, force-up and auto answer 200 with the override now") {
  Api api;
  REQUIRE(api.call("POST", drain_a).status == 200);
  auto reply = api.call("POST", "/v1/profiles/web/endpoints/a/enable");
  CHECK(reply.status == 200);
  CHECK(body_of(reply)["override"] == "none");
  CHECK(body_of(reply)["status"] == "NotMonitored");
  reply = api.call("POST", "/v1/profiles/web/endpoints/a/force-up");
  CHECK(reply.status == 200);
  CHECK(body_of(reply)["override"] == "force-up");
  reply = api.call("POST", "/v1/profiles/web/endpoints/a/enable");
  CHECK(reply.status == 200);
  CHECK(body_of(reply)["override"] == "force-up");  // enable lifts drains only
  CHECK(body_of(reply)["changed"] == false);
  reply = api.call("POST", "/v1/profiles/web/endpoints/a/auto");
  CHECK(reply.status == 200);
  CHECK(body_of(reply)["override"] == "none");
  CHECK(body_of(reply)["changed"] == true);
}

TEST_CASE("an unknown profile, endpoint or action is 404 with a JSON error") {
  Api api;
  auto reply = api.call("POST", "/v1/profiles/nope/endpoints/a/drain");
  CHECK(reply.status == 404);
  CHECK(body_of(reply)["error"] == "no profile nope");
  reply = api.call("POST", "/v1/profiles/web/endpoints/nope/drain");
  CHECK(reply.status == 404);
  CHECK(body_of(reply)["error"] == "profile web has no endpoint nope");
  reply = api.call("POST", "/v1/profiles/web/endpoints/a/maintain");
  CHECK(reply.status == 404);
  CHECK(body_of(reply)["error"].get<std::string>().starts_with("no action maintain"));
  CHECK(api.reloader->running().override_changes == 0);
}

TEST_CASE("draining the last available endpoint is 409, and 200 with force") {
  Api api;
  auto reply = api.call("POST", "/v1/profiles/solo/endpoints/only/drain");
  CHECK(reply.status == 409);
  auto body = body_of(reply);
  CHECK(body["override"] == "none");
  CHECK(body["changed"] == false);
  CHECK(body["error"].get<std::string>().find("?force=true") != std::string::npos);

  reply = api.call("POST", "/v1/profiles/solo/endpoints/only/drain", true);
  CHECK(reply.status == 200);
  body = body_of(reply);
  CHECK(body["override"] == "drain");
  CHECK(body["status"] == "Disabled");
}

TEST_CASE("an override that cannot be saved answers 500 with the reason") {
  Api api(config_text("  state_file: blocker/state.json\n"));
  // A regular file where the state file's folder should be: the temporary file cannot be made.
  api.dir.write("blocker", "x\n");
  const auto reply = api.call("POST", drain_a);
  CHECK(reply.status == 500);
  CHECK(body_of(reply)["override"] == "none");
  CHECK(body_of(reply)["error"].get<std::string>().find("the state file cannot be written") !=
        std::string::npos);
}

// --- /v1/status -------------------------------------------------------------------------------

TEST_CASE("the status shows an endpoint as routing sees it before any override") {
  Api api;
  const auto status = api.status_json();
  const auto a = endpoint_in(status, "web", "a");
  CHECK(a["status"] == "NotMonitored");
  CHECK(a["probe_status"] == "NotMonitored");
  CHECK(a["override"] == "none");
  CHECK(a["override_since"].is_null());
  CHECK(a["available"] == true);
  CHECK(a["target"] == "192.0.2.1");
  const auto answer = profile_in(status, "web")["answer"]["A"];
  CHECK(answer["kind"] == "addresses");
  CHECK(answer["records"] == json::array({"192.0.2.1"}));
  CHECK(answer["endpoints"] == json::array({"a"}));
}

TEST_CASE("the status shows a drain: override, Disabled, reason drained, and the answer moved") {
  Api api;
  REQUIRE(api.call("POST", drain_a).status == 200);
  const auto status = api.status_json();
  const auto a = endpoint_in(status, "web", "a");
  CHECK(a["override"] == "drain");
  CHECK(a["status"] == "Disabled");
  CHECK(a["probe_status"] == "NotMonitored");  // the probes' view is unchanged
  CHECK(a["reason"] == "drained");
  CHECK(a["available"] == false);
  CHECK(a["override_since"].is_string());
  const auto answer = profile_in(status, "web")["answer"]["A"];
  CHECK(answer["records"] == json::array({"192.0.2.2"}));
  CHECK(answer["endpoints"] == json::array({"b"}));
  REQUIRE(status["changes"].size() >= 1);
  CHECK(status["changes"][0]["endpoint"] == "a");
  CHECK(status["changes"][0]["to"] == "Disabled");
  CHECK(status["changes"][0]["reason"] == "drained");
}

TEST_CASE("the status shows a force-up with its reason") {
  Api api;
  REQUIRE(api.call("POST", "/v1/profiles/web/endpoints/b/force-up").status == 200);
  const auto b = endpoint_in(api.status_json(), "web", "b");
  CHECK(b["override"] == "force-up");
  CHECK(b["reason"].get<std::string>().starts_with("forced up"));
}

TEST_CASE("health_generation moves on an override change") {
  Api api;
  const auto before = api.status_json()["health_generation"].get<uint64_t>();
  REQUIRE(api.call("POST", drain_a).status == 200);
  const auto drained = api.status_json()["health_generation"].get<uint64_t>();
  CHECK(drained > before);
  REQUIRE(api.call("POST", "/v1/profiles/web/endpoints/a/enable").status == 200);
  CHECK(api.status_json()["health_generation"].get<uint64_t>() > drained);
}

TEST_CASE("the status names the state file in use, not one a reload has not applied") {
  Api api(config_text("  state_file: state.json\n"));
  const auto in_use = api.state_file;
  REQUIRE(api.status_json()["state_file"] == in_use);
  api.dir.write("meridian.yaml", config_text("  state_file: elsewhere.json\n"));
  const auto reply = api.call("POST", "/v1/reload");
  REQUIRE(reply.status == 200);
  REQUIRE(body_of(reply)["restart_needed"] == json::array({"server.state_file"}));
  CHECK(api.status_json()["state_file"] == in_use);
}

// --- /metrics label values --------------------------------------------------------------------

TEST_CASE("escape_label escapes backslash, double quote and newline, and nothing else") {
  CHECK(server::escape_label("plain-name_1.2") == "plain-name_1.2");
  CHECK(server::escape_label(R"(a\b)") == R"(a\\b)");
  CHECK(server::escape_label(R"(say "hi")") == R"(say \"hi\")");
  CHECK(server::escape_label("two\nlines") == R"(two\nlines)");
  CHECK(server::escape_label("tab\there") == "tab\there");
  CHECK(server::escape_label("") == "");
}
