// The control API end to end: health and readiness, /v1/status, reloads, overrides and their
// state file, who may call what, `meridian ctl`, and SIGTERM, against the real binary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "control_fixtures.h"
#include "harness.h"
#include "http_backend.h"
#include "http_client.h"

using namespace meridian::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++: the system calls themselves.
int open_pidfd(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}
int signal_pidfd(int pidfd, int number) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, number, nullptr, 0));
}

std::string zones_filled(const std::string& config) {
  return fill(config, {{"{ZONES}", fixtures() + "/zones"}});
}

// The first A record of the answer, "NODATA" for a NOERROR without one, else the rcode.
std::string answer_of(uint16_t port, const std::string& name = "web.example.test.") {
  auto reply = query_udp(port, name, LDNS_RR_TYPE_A);
  auto values = rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A);
  if (!values.empty()) return values.front();
  const auto rcode = rcode_name(reply.get());
  return rcode == "NOERROR" ? "NODATA" : rcode;
}

json parsed(const HttpReply& reply) {
  try {
    return json::parse(reply.body);
  } catch (const json::exception& error) {
    FAIL("not JSON (HTTP " << reply.status << "): " << error.what() << "\n" << reply.body);
  }
  return {};
}

json status_of(uint16_t control_port) {
  const auto reply = http_get(control_port, "/v1/status");
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK(reply.content_type.starts_with("application/json"));
  return parsed(reply);
}

json endpoint_of(const json& status, const std::string& profile, const std::string& endpoint) {
  for (const auto& p : status.at("profiles"))
    if (p.at("name") == profile)
      for (const auto& e : p.at("endpoints"))
        if (e.at("name") == endpoint) return e;
  FAIL("no endpoint " << profile << "/" << endpoint << " in /v1/status:\n" << status.dump(2));
  return {};
}

json profile_of(const json& status, const std::string& profile) {
  for (const auto& p : status.at("profiles"))
    if (p.at("name") == profile) return p;
  FAIL("no profile " << profile << " in /v1/status:\n" << status.dump(2));
  return {};
}

std::string override_path(const std::string& profile, const std::string& endpoint,
                          const std::string& action) {
  return "/v1/profiles/" + profile + "/endpoints/" + endpoint + "/" + action;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The (profile, endpoint, override) entries of a state file.
std::vector<std::tuple<std::string, std::string, std::string>> state_entries(const std::string& path) {
  const auto text = read_file(path);
  json state;
  try {
    state = json::parse(text);
  } catch (const json::exception& error) {
    FAIL("state file " << path << " is not JSON: " << error.what() << "\n" << text);
  }
  CHECK(state.at("version") == 1);
  std::vector<std::tuple<std::string, std::string, std::string>> entries;
  for (const auto& entry : state.at("overrides"))
    entries.emplace_back(entry.at("profile"), entry.at("endpoint"), entry.at("override"));
  return entries;
}

// `meridian serve` run by this test itself, so that it owns the PID: the SIGTERM test reaps the
// process and must be sure no one signals a reused PID afterwards. A pidfd tells when it ended.
class OwnServe {
 public:
  explicit OwnServe(const std::string& config_file) {
    int err_pipe[2];
    REQUIRE(pipe2(err_pipe, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
      dup2(err_pipe[1], 2);
      const char* argv[] = {MERIDIAN_BINARY, "serve",       "--config",  config_file.c_str(), "--listen",
                            "127.0.0.1:0",   "--control",   "127.0.0.1:0",
                            geteuid() == 0 ? "--allow-root" : nullptr,  // as Server::start does
                            nullptr};
      execv(MERIDIAN_BINARY, const_cast<char**>(argv));
      _exit(127);
    }
    close(err_pipe[1]);
    err_ = err_pipe[0];
    fcntl(err_, F_SETFL, O_NONBLOCK);
    pidfd_ = open_pidfd(pid_);
    REQUIRE(pidfd_ >= 0);
    REQUIRE_MESSAGE(wait_for_log("server: ready", 15s), "meridian did not start:\n" << log_);
    std::smatch match;
    REQUIRE(std::regex_search(log_, match, std::regex(R"(server: listening address=127\.0\.0\.1:(\d+))")));
    port_ = static_cast<uint16_t>(std::stoi(match[1]));
    REQUIRE(std::regex_search(log_, match, std::regex(R"(control: listening address=127\.0\.0\.1:(\d+))")));
    control_port_ = static_cast<uint16_t>(std::stoi(match[1]));
  }
  ~OwnServe() {
    if (!reaped_) {
      signal_pidfd(pidfd_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(pidfd_);
    close(err_);
  }
  OwnServe(const OwnServe&) = delete;
  OwnServe& operator=(const OwnServe&) = delete;

  uint16_t port() const { return port_; }
  uint16_t control_port() const { return control_port_; }
  pid_t pid() const { return pid_; }  // valid until wait_exit() has reaped it
  void signal(int number) { REQUIRE(signal_pidfd(pidfd_, number) == 0); }
  // Waits until the process has exited, up to `timeout`; its wait status, or nothing.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    pollfd entry{pidfd_, POLLIN, 0};
    if (poll(&entry, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    int status = 0;
    REQUIRE(waitpid(pid_, &status, 0) == pid_);
    reaped_ = true;
    return status;
  }
  std::string log() {
    drain();
    return log_;
  }

 private:
  void drain() {
    char buffer[4096];
    ssize_t n;
    while ((n = read(err_, buffer, sizeof buffer)) > 0) log_.append(buffer, n);
  }
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (true) {
      drain();
      if (log_.find(text) != std::string::npos) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return false;
      pollfd entries[2] = {{err_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
      poll(entries, 2, static_cast<int>(left.count()));
      if (entries[1].revents & POLLIN) {  // it exited: what it wrote is all there is
        drain();
        return log_.find(text) != std::string::npos;
      }
    }
  }

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  uint16_t port_ = 0;
  uint16_t control_port_ = 0;
  std::string log_;
};

// A TCP connection to 127.0.0.1:port that sends nothing (or what it is given) and waits.
class IdleConnection {
 public:
  explicit IdleConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~IdleConnection() { close(fd_); }
  uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return ntohs(address.sin_port);
  }
  void send_text(const std::string& text) {
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
  }

 private:
  int fd_ = -1;
};

// A config with one probed endpoint (probes every 200 ms) on `backend_port`, written into `dir`.
std::string probed_config(const TempDir& dir, uint16_t backend_port) {
  return dir.write("meridian.yaml", fill(zones_filled(R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    monitor: {protocol: http, path: /, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PORT}}
)"),
                                         {{"PORT", std::to_string(backend_port)}}));
}

// Sends SIGTERM and checks the process exits 0, and within a second (timed from the signal to
// the moment its pidfd says it ended).
void terminate_within_a_second(OwnServe& serve) {
  serve.signal(SIGTERM);
  const auto sent = Clock::now();
  const auto status = serve.wait_exit(10s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  REQUIRE_MESSAGE(status.has_value(), "still running 10 s after SIGTERM:\n" << serve.log());
  MESSAGE("SIGTERM to exit: " << took.count() << " ms");
  CHECK(took < 1000ms);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_MESSAGE(serve.log().find("server: stopped") != std::string::npos, serve.log());
}

}  // namespace

TEST_CASE("GET /healthz answers 200 ok while the process runs") {
  Server server(two_endpoints);
  const auto reply = http_get(server.control_port(), "/healthz");
  CHECK(reply.status == 200);
  CHECK(reply.body == "ok\n");
}

TEST_CASE("GET /readyz is 503 naming the endpoint without a first verdict, then 200 once it has one") {
  // The backend is down and 9 failures are tolerated: no verdict for 10 intervals (5 s), until
  // the backend starts and the next probe succeeds.
  HttpBackend backend("127.0.0.11");
  backend.stop();
  Server server(fill(R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    monitor: {protocol: http, path: /, interval: 500ms, timeout: 200ms, tolerated_failures: 9}
    endpoints:
      - {name: probed, target: 127.0.0.11, monitor: {port: PORT}}
      - {name: fixed, target: 127.0.0.12, always_serve: true}
)",
                     {{"PORT", std::to_string(backend.port())}}));
  const auto waiting = http_get(server.control_port(), "/readyz");
  CHECK(waiting.status == 503);
  CHECK_MESSAGE(waiting.body.find("probed") != std::string::npos, waiting.body);
  CHECK(status_of(server.control_port()).at("ready") == false);

  backend.start();
  HttpReply ready;
  CHECK_MESSAGE(eventually([&] {
                  ready = http_get(server.control_port(), "/readyz");
                  return ready.status == 200;
                }),
                "still " << ready.status << ": " << ready.body);
  CHECK(ready.body == "ready\n");
  const auto status = status_of(server.control_port());
  CHECK(status.at("ready") == true);
  CHECK(endpoint_of(status, "web", "probed").at("probe_status") == "Online");
}

TEST_CASE("GET /v1/status shows generation 1, the profiles and endpoints as configured, and the answer now") {
  Server server(two_endpoints);
  const auto status = status_of(server.control_port());
  CHECK(status.at("config").at("generation") == 1);
  CHECK(status.at("last_reload").is_null());
  CHECK(status.at("ready") == true);
  REQUIRE(status.at("profiles").size() == 1);
  const auto web = profile_of(status, "web");
  CHECK(web.at("fqdn").get<std::string>().starts_with("web.example.test"));
  CHECK(web.at("method") == "priority");
  CHECK(web.at("ttl") == 5);
  REQUIRE(web.at("endpoints").size() == 2);
  const auto primary = endpoint_of(status, "web", "primary");
  const auto secondary = endpoint_of(status, "web", "secondary");
  CHECK(primary.at("target") == "127.0.0.11");
  CHECK(primary.at("priority") == 1);
  CHECK(primary.at("status") == "NotMonitored");
  CHECK(primary.at("override") == "none");
  CHECK(primary.at("available") == true);
  CHECK(secondary.at("target") == "127.0.0.12");
  CHECK(secondary.at("priority") == 2);
  const auto& a = web.at("answer").at("A");
  CHECK(a.at("kind") == "addresses");
  CHECK(a.at("records") == json::array({"127.0.0.11"}));
  CHECK(a.at("endpoints") == json::array({"primary"}));
  CHECK(a.at("ttl") == 5);
  CHECK(web.at("answer").at("AAAA").at("kind") == "nodata");
  CHECK(answer_of(server.port()) == "127.0.0.11");
}

TEST_CASE("POST /v1/reload reads the config again: 200, generation 2, last_reload ok") {
  TempDir dir;
  const auto file = dir.write("meridian.yaml", zones_filled(two_endpoints));
  Server server(Server::File{file});
  CHECK(status_of(server.control_port()).at("config").at("generation") == 1);

  // The reload applies a change: secondary becomes the preferred endpoint.
  std::string swapped = zones_filled(two_endpoints);
  swapped = fill(swapped, {{"127.0.0.11, always", "127.0.0.11, priority: 2, always"},
                           {"127.0.0.12, always", "127.0.0.12, priority: 1, always"}});
  dir.write("meridian.yaml", swapped);
  const auto reply = http_post(server.control_port(), "/v1/reload");
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  const auto body = parsed(reply);
  CHECK(body.at("ok") == true);
  CHECK(body.at("generation") == 2);
  CHECK(body.at("profiles") == 1);
  CHECK(body.at("endpoints") == 2);

  const auto status = status_of(server.control_port());
  CHECK(status.at("config").at("generation") == 2);
  REQUIRE(status.at("last_reload").is_object());
  CHECK(status.at("last_reload").at("ok") == true);
  CHECK(status.at("last_reload").at("error").is_null());
  CHECK(status.at("reloads").at("ok") == 1);
  CHECK(answer_of(server.port()) == "127.0.0.12");
}

TEST_CASE("a reload of a broken config is 422 with FILE:LINE; the generation stays and DNS still answers") {
  TempDir dir;
  const auto file = dir.write("meridian.yaml", zones_filled(two_endpoints));
  Server server(Server::File{file});
  // The profile gets a key no profile has.
  std::string broken = zones_filled(two_endpoints);
  broken = fill(broken, {{"    ttl: 5\n", "    ttl: 5\n    colour: blue\n"}});
  dir.write("meridian.yaml", broken);
  REQUIRE(broken.find("colour") != std::string::npos);
  const int line =
      1 + static_cast<int>(std::count(broken.begin(), broken.begin() + broken.find("colour"), '\n'));

  const auto reply = http_post(server.control_port(), "/v1/reload");
  CHECK(reply.status == 422);
  const auto body = parsed(reply);
  CHECK(body.at("ok") == false);
  REQUIRE(body.at("error").is_string());
  const std::string error = body.at("error");
  CHECK_MESSAGE(error.find(file + ":" + std::to_string(line) + ":") != std::string::npos, error);
  CHECK(body.at("generation") == 1);

  const auto status = status_of(server.control_port());
  CHECK(status.at("config").at("generation") == 1);
  CHECK(status.at("last_reload").at("ok") == false);
  CHECK(status.at("last_reload").at("error") == error);
  CHECK(status.at("reloads").at("failed") == 1);
  CHECK(answer_of(server.port()) == "127.0.0.11");
  CHECK(server.wait_for_log("reload failed: " + file + ":" + std::to_string(line) + ":"));
}

TEST_CASE(
    "a reload through the API frees the replaced generation once the workers let go, as SIGHUP's does") {
  TempDir dir;
  const auto file = dir.write("meridian.yaml", zones_filled(two_endpoints));
  Server server(Server::File{file});
  REQUIRE(answer_of(server.port()) == "127.0.0.11");
  const auto reply = http_post(server.control_port(), "/v1/reload");
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  // Queries move the workers to the new snapshot; idle ones wake up now and then to let go too.
  CHECK_MESSAGE(eventually([&] {
                  answer_of(server.port());
                  return server.log().find("server: replaced snapshots released") != std::string::npos;
                }),
                server.log());
}

TEST_CASE("unknown routes, profiles, endpoints and actions are 404 with a JSON error") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/nothing"},
           {"POST", override_path("nope", "primary", "drain")},
           {"POST", override_path("web", "nope", "drain")},
           {"POST", override_path("web", "primary", "explode")}}) {
    CAPTURE(path);
    const auto reply = http_request(method, port, path);
    CHECK(reply.status == 404);
    CHECK(reply.content_type.starts_with("application/json"));
    const auto body = parsed(reply);
    REQUIRE(body.contains("error"));
    CHECK(!body.at("error").get<std::string>().empty());
  }
  CHECK(parsed(http_post(port, override_path("nope", "primary", "drain"))).at("error") == "no profile nope");
  CHECK(parsed(http_post(port, override_path("web", "nope", "drain")))
            .at("error")
            .get<std::string>()
            .find("nope") != std::string::npos);
  // Nothing was changed on the way.
  CHECK(endpoint_of(status_of(port), "web", "primary").at("override") == "none");
}

TEST_CASE("a method a route does not take is 405 with an Allow header") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  struct Case {
    std::string method, path, allow;
  };
  for (const auto& c : std::vector<Case>{{"GET", "/v1/reload", "POST"},
                                         {"POST", "/v1/status", "GET"},
                                         {"DELETE", override_path("web", "primary", "drain"), "POST"}}) {
    CAPTURE(c.method);
    CAPTURE(c.path);
    const auto reply = http_request(c.method, port, c.path);
    CHECK(reply.status == 405);
    CHECK(reply.allow == c.allow);
    CHECK(parsed(reply).contains("error"));
  }
  CHECK(status_of(port).at("config").at("generation") == 1);  // the GET did not reload
}

TEST_CASE("drain takes an endpoint out of the DNS answer at once; enable puts it back") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  REQUIRE(answer_of(server.port()) == "127.0.0.11");
  const auto before = status_of(port).at("health_generation").get<uint64_t>();

  const auto drained = http_post(port, override_path("web", "primary", "drain"));
  REQUIRE_MESSAGE(drained.status == 200, drained.body);
  const auto body = parsed(drained);
  CHECK(body.at("override") == "drain");
  CHECK(body.at("status") == "Disabled");
  CHECK(body.at("changed") == true);
  CHECK(answer_of(server.port()) == "127.0.0.12");  // no waiting: the override is in before the 200

  auto status = status_of(port);
  auto primary = endpoint_of(status, "web", "primary");
  CHECK(primary.at("override") == "drain");
  CHECK(primary.at("status") == "Disabled");
  CHECK(primary.at("reason") == "drained");
  CHECK(primary.at("available") == false);
  CHECK(!primary.at("override_since").is_null());
  CHECK(status.at("health_generation").get<uint64_t>() == before + 1);
  CHECK(profile_of(status, "web").at("answer").at("A").at("endpoints") == json::array({"secondary"}));
  REQUIRE(!status.at("changes").empty());
  const auto& change = status.at("changes").front();
  CHECK(change.at("profile") == "web");
  CHECK(change.at("endpoint") == "primary");
  CHECK(change.at("to") == "Disabled");
  CHECK(change.at("reason") == "drained");

  // A second drain changes nothing.
  const auto again = http_post(port, override_path("web", "primary", "drain"));
  CHECK(again.status == 200);
  CHECK(parsed(again).at("changed") == false);

  const auto enabled = http_post(port, override_path("web", "primary", "enable"));
  REQUIRE_MESSAGE(enabled.status == 200, enabled.body);
  CHECK(parsed(enabled).at("override") == "none");
  CHECK(answer_of(server.port()) == "127.0.0.11");
  status = status_of(port);
  primary = endpoint_of(status, "web", "primary");
  CHECK(primary.at("override") == "none");
  CHECK(primary.at("status") == "NotMonitored");
  CHECK(status.at("health_generation").get<uint64_t>() == before + 2);
}

TEST_CASE("draining the last available endpoint is refused with 409 unless ?force=true") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  REQUIRE(http_post(port, override_path("web", "primary", "drain")).status == 200);
  REQUIRE(answer_of(server.port()) == "127.0.0.12");

  const auto refused = http_post(port, override_path("web", "secondary", "drain"));
  CHECK(refused.status == 409);
  const auto body = parsed(refused);
  REQUIRE(body.contains("error"));
  CHECK_MESSAGE(body.at("error").get<std::string>().find("no available endpoint") != std::string::npos,
                body.dump());
  CHECK(body.at("override") == "none");
  CHECK(answer_of(server.port()) == "127.0.0.12");
  CHECK(endpoint_of(status_of(port), "web", "secondary").at("override") == "none");

  const auto forced = http_post(port, override_path("web", "secondary", "drain") + "?force=true");
  REQUIRE_MESSAGE(forced.status == 200, forced.body);
  CHECK(parsed(forced).at("override") == "drain");
  CHECK(endpoint_of(status_of(port), "web", "secondary").at("status") == "Disabled");
  // Every endpoint drained: none is answered (drained endpoints are not failed open to).
  CHECK(answer_of(server.port()) == "NODATA");
}

TEST_CASE(
    "force-up answers a dead backend while its probes say Degraded; auto gives the answer back to the "
    "probes") {
  HttpBackend primary("127.0.0.11", 503);
  HttpBackend secondary("127.0.0.12");
  Server server(
      fill(R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    ttl: 5
    monitor: {protocol: http, path: /, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PRIMARY}}
      - {name: secondary, target: 127.0.0.12, monitor: {port: SECONDARY}}
)",
           {{"PRIMARY", std::to_string(primary.port())}, {"SECONDARY", std::to_string(secondary.port())}}));
  const uint16_t port = server.control_port();
  json status;
  REQUIRE_MESSAGE(eventually([&] {
                    status = status_of(port);
                    return endpoint_of(status, "web", "primary").at("probe_status") == "Degraded" &&
                           endpoint_of(status, "web", "secondary").at("probe_status") == "Online";
                  }),
                  status.dump(2));
  CHECK(answer_of(server.port()) == "127.0.0.12");

  const auto forced = http_post(port, override_path("web", "primary", "force-up"));
  REQUIRE_MESSAGE(forced.status == 200, forced.body);
  CHECK(parsed(forced).at("override") == "force-up");
  CHECK(parsed(forced).at("status") == "Online");
  CHECK(answer_of(server.port()) == "127.0.0.11");

  // The probes go on, and go on failing, without moving the answer.
  const auto probed_at = endpoint_of(status_of(port), "web", "primary").at("last_probe").at("at");
  REQUIRE_MESSAGE(eventually([&] {
                    status = status_of(port);
                    return endpoint_of(status, "web", "primary").at("last_probe").at("at") != probed_at;
                  }),
                  status.dump(2));
  auto endpoint = endpoint_of(status, "web", "primary");
  CHECK(endpoint.at("override") == "force-up");
  CHECK(endpoint.at("probe_status") == "Degraded");
  CHECK(endpoint.at("status") == "Online");
  CHECK(endpoint.at("last_probe").at("ok") == false);
  CHECK_MESSAGE(endpoint.at("reason").get<std::string>().starts_with("forced up"), endpoint.dump());
  CHECK(answer_of(server.port()) == "127.0.0.11");

  const auto automatic = http_post(port, override_path("web", "primary", "auto"));
  REQUIRE_MESSAGE(automatic.status == 200, automatic.body);
  CHECK(parsed(automatic).at("override") == "none");
  CHECK(parsed(automatic).at("status") == "Degraded");
  CHECK(answer_of(server.port()) == "127.0.0.12");
  endpoint = endpoint_of(status_of(port), "web", "primary");
  CHECK(endpoint.at("override") == "none");
  CHECK(endpoint.at("status") == "Degraded");
}

TEST_CASE("enable lifts a drain but not a force-up") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  REQUIRE(http_post(port, override_path("web", "secondary", "force-up")).status == 200);
  const auto enabled = http_post(port, override_path("web", "secondary", "enable"));
  CHECK(enabled.status == 200);
  CHECK(parsed(enabled).at("override") == "force-up");
  CHECK(parsed(enabled).at("changed") == false);
  CHECK(endpoint_of(status_of(port), "web", "secondary").at("override") == "force-up");
}

TEST_CASE(
    "force-up is refused with 409 for a nested endpoint (its child decides) and for one the config "
    "disables") {
  Server server(R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: child
    fqdn: child.example.test
    method: priority
    endpoints:
      - {name: leaf, target: 127.0.0.11, always_serve: true}
  - name: parent
    fqdn: parent.example.test
    method: priority
    endpoints:
      - {name: region, profile: child}
      - {name: off, target: 127.0.0.13, enabled: false}
      - {name: fallback, target: 127.0.0.12, always_serve: true}
)");
  const uint16_t port = server.control_port();
  for (const auto& [endpoint, reason] :
       std::vector<std::pair<std::string, std::string>>{{"region", "nested"}, {"off", "enabled: false"}}) {
    CAPTURE(endpoint);
    const auto refused = http_post(port, override_path("parent", endpoint, "force-up"));
    CHECK(refused.status == 409);
    const auto body = parsed(refused);
    REQUIRE(body.contains("error"));
    CHECK_MESSAGE(body.at("error").get<std::string>().find(reason) != std::string::npos, body.dump());
    CHECK(body.at("override") == "none");
    CHECK(endpoint_of(status_of(port), "parent", endpoint).at("override") == "none");
  }
  CHECK(answer_of(server.port(), "parent.example.test.") == "127.0.0.11");
  // The child's own endpoint can be forced: that is where the override belongs.
  CHECK(http_post(port, override_path("child", "leaf", "force-up")).status == 200);
}

TEST_CASE("a drain survives a restart: the state file holds it and the new process starts drained") {
  TempDir dir;
  const auto file =
      dir.write("meridian.yaml", "server: {state_file: state.json}\n" + zones_filled(two_endpoints));
  const auto state = dir.path() + "/state.json";
  {
    Server server(Server::File{file});
    REQUIRE(http_post(server.control_port(), override_path("web", "primary", "drain")).status == 200);
    CHECK(answer_of(server.port()) == "127.0.0.12");
    // On disk before the 200.
    CHECK(state_entries(state) ==
          std::vector<std::tuple<std::string, std::string, std::string>>{{"web", "primary", "drain"}});
  }
  Server restarted(Server::File{file});
  CHECK(answer_of(restarted.port()) == "127.0.0.12");
  const auto status = status_of(restarted.control_port());
  CHECK(endpoint_of(status, "web", "primary").at("override") == "drain");
  CHECK(endpoint_of(status, "web", "primary").at("status") == "Disabled");
  CHECK(status.at("state_file") == state);
  CHECK(restarted.wait_for_log("override web/primary drain restored"));
}

TEST_CASE("an override in the state file for an endpoint the config lacks is dropped at start, on disk too") {
  TempDir dir;
  const auto file =
      dir.write("meridian.yaml", "server: {state_file: state.json}\n" + zones_filled(two_endpoints));
  const auto state = dir.write("state.json", R"({"version": 1, "overrides": [
    {"profile": "web", "endpoint": "primary", "override": "drain", "since": "2026-01-02T03:04:05.678Z"},
    {"profile": "web", "endpoint": "gone", "override": "drain", "since": "2026-01-02T03:04:05.678Z"},
    {"profile": "old", "endpoint": "primary", "override": "force-up", "since": "2026-01-02T03:04:05.678Z"}]}
)");
  Server server(Server::File{file});
  CHECK(answer_of(server.port()) == "127.0.0.12");
  CHECK(state_entries(state) ==
        std::vector<std::tuple<std::string, std::string, std::string>>{{"web", "primary", "drain"}});
  CHECK(server.wait_for_log("override of web/gone dropped"));
  CHECK(server.wait_for_log("override of old/primary dropped"));
  CHECK(endpoint_of(status_of(server.control_port()), "web", "primary").at("override_since") ==
        "2026-01-02T03:04:05.678Z");
}

TEST_CASE("a drain survives a reload; an endpoint a reload removes drops its override from the state file") {
  TempDir dir;
  const std::string config = "server: {state_file: state.json}\n" + zones_filled(two_endpoints);
  const auto file = dir.write("meridian.yaml", config);
  const auto state = dir.path() + "/state.json";
  Server server(Server::File{file});
  const uint16_t port = server.control_port();
  REQUIRE(http_post(port, override_path("web", "primary", "drain")).status == 200);

  auto reload = http_post(port, "/v1/reload");
  REQUIRE_MESSAGE(reload.status == 200, reload.body);
  CHECK(answer_of(server.port()) == "127.0.0.12");
  CHECK(endpoint_of(status_of(port), "web", "primary").at("override") == "drain");
  CHECK(state_entries(state).size() == 1);

  // primary leaves the config: its override goes, on disk too.
  dir.write("meridian.yaml",
            fill(config, {{"      - {name: primary, target: 127.0.0.11, always_serve: true}\n", ""}}));
  reload = http_post(port, "/v1/reload");
  REQUIRE_MESSAGE(reload.status == 200, reload.body);
  CHECK(parsed(reload).at("endpoints") == 1);
  CHECK(state_entries(state).empty());
  CHECK(server.wait_for_log("override of web/primary dropped"));

  // And it does not linger in memory: back in the config, primary serves again.
  dir.write("meridian.yaml", config);
  reload = http_post(port, "/v1/reload");
  REQUIRE_MESSAGE(reload.status == 200, reload.body);
  CHECK(endpoint_of(status_of(port), "web", "primary").at("override") == "none");
  CHECK(answer_of(server.port()) == "127.0.0.11");
}

TEST_CASE("a corrupt state file stops serve at start: exit 1 and the file's path") {
  TempDir dir;
  const auto file =
      dir.write("meridian.yaml", "server: {state_file: state.json}\n" + zones_filled(two_endpoints));
  const auto state = dir.write("state.json", "{\"version\": 1, \"overrides\": [");
  const auto run =
      run_meridian({"serve", "--config", file, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0"}, 15s);
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find(state) != std::string::npos, run.err);
  CHECK(run.err.find("server: ready") == std::string::npos);
}

TEST_CASE(
    "with a control token, changes need it (401 without it or with a wrong one); loopback reads do not") {
  TempDir dir;
  dir.write("token", "s3cret-token-42\n");
  const auto file =
      dir.write("meridian.yaml", "server: {control_token_file: token}\n" + zones_filled(two_endpoints));
  Server server(Server::File{file});
  const uint16_t port = server.control_port();
  const auto drain = override_path("web", "primary", "drain");

  for (const std::string token : {"", "wrong-token", "s3cret-token-4", "s3cret-token-42x"}) {
    CAPTURE(token);
    for (const auto& path : {drain, std::string("/v1/reload")}) {
      CAPTURE(path);
      const auto reply = http_post(port, path, token);
      CHECK(reply.status == 401);
      CHECK(reply.content_type.starts_with("application/json"));
      CHECK(parsed(reply).contains("error"));
    }
  }
  CHECK(answer_of(server.port()) == "127.0.0.11");  // none of them drained it
  CHECK(status_of(port).at("config").at("generation") == 1);

  for (const auto& path : {"/v1/status", "/metrics", "/healthz", "/readyz", "/"}) {
    CAPTURE(path);
    CHECK(http_get(port, path).status == 200);
  }

  const auto allowed = http_post(port, drain, "s3cret-token-42");
  CHECK_MESSAGE(allowed.status == 200, allowed.body);
  CHECK(answer_of(server.port()) == "127.0.0.12");
}

TEST_CASE("a non-loopback control address without a token is refused at start, naming control_token_file") {
  // Each run exits before it binds anything: no traffic ever reaches a non-loopback address.
  TempDir dir;
  const auto file = dir.write("meridian.yaml", zones_filled(two_endpoints));
  auto run =
      run_meridian({"serve", "--config", file, "--listen", "127.0.0.1:0", "--control", "0.0.0.0:0"}, 15s);
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("control_token_file") != std::string::npos, run.err);
  CHECK_MESSAGE(run.err.find("--control") != std::string::npos, run.err);
  CHECK(run.err.find("server: ready") == std::string::npos);

  // Set in the config: the message names the config line.
  const auto in_config =
      dir.write("control.yaml", "server:\n  control: 0.0.0.0:0\n" + zones_filled(two_endpoints));
  run = run_meridian({"serve", "--config", in_config, "--listen", "127.0.0.1:0"}, 15s);
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find(in_config + ":2:") != std::string::npos, run.err);
  CHECK_MESSAGE(run.err.find("control_token_file") != std::string::npos, run.err);
}

TEST_CASE(
    "meridian ctl: status prints a table, drain says yes, a refused call exits 1 with the server's error") {
  Server server(two_endpoints);
  const auto control = "127.0.0.1:" + std::to_string(server.control_port());

  auto run = run_meridian({"ctl", "--control", control, "status"});
  CHECK_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("PROFILE") != std::string::npos);
  static const std::regex primary_row(R"((^|\n)web +primary +127\.0\.0\.11 +NotMonitored)");
  static const std::regex secondary_row(R"((^|\n)web +secondary +127\.0\.0\.12 +NotMonitored)");
  CHECK_MESSAGE(std::regex_search(run.out, primary_row), run.out);
  CHECK_MESSAGE(std::regex_search(run.out, secondary_row), run.out);

  run = run_meridian({"ctl", "--control", control, "drain", "web/primary"});
  CHECK_MESSAGE(run.exit_code == 0, run.err);
  CHECK_MESSAGE(run.out.find("drain") != std::string::npos, run.out);
  CHECK(answer_of(server.port()) == "127.0.0.12");

  run = run_meridian({"ctl", "--control", control, "drain", "web/nope"});
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("profile web has no endpoint nope") != std::string::npos, run.err);

  run = run_meridian({"ctl", "--control", control, "drain", "web/secondary"});
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("no available endpoint") != std::string::npos, run.err);
  CHECK(answer_of(server.port()) == "127.0.0.12");

  run = run_meridian({"ctl", "--control", control, "status", "--json"});
  CHECK_MESSAGE(run.exit_code == 0, run.err);
  json status;
  try {
    status = json::parse(run.out);
  } catch (const json::exception& error) {
    FAIL("ctl status --json is not JSON: " << error.what() << "\n" << run.out);
  }
  CHECK(endpoint_of(status, "web", "primary").at("override") == "drain");
}

TEST_CASE(
    "SIGTERM stops the server with exit 0 within a second, while probes run and clients are connected") {
  HttpBackend backend("127.0.0.11");
  TempDir dir;
  OwnServe serve(probed_config(dir, backend.port()));
  REQUIRE(answer_of(serve.port()) == "127.0.0.11");
  // A DNS client between queries, and a control client in the middle of its request.
  IdleConnection idle_dns(serve.port());
  IdleConnection half_request(serve.control_port());
  half_request.send_text("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  REQUIRE(!socket_of_connection_from(serve.pid(), idle_dns.local_port()).empty());
  REQUIRE(!socket_of_connection_from(serve.pid(), half_request.local_port()).empty());
  terminate_within_a_second(serve);
}

TEST_CASE(
    "SIGTERM stops the server within a second while a control client holds a connection it sent nothing on") {
  // What a browser's preconnect, a load balancer's TCP check or a stalled client leaves open.
  HttpBackend backend("127.0.0.11");
  TempDir dir;
  OwnServe serve(probed_config(dir, backend.port()));
  IdleConnection idle_control(serve.control_port());
  REQUIRE(!socket_of_connection_from(serve.pid(), idle_control.local_port()).empty());
  terminate_within_a_second(serve);
}
