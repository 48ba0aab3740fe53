// Hot reload on SIGHUP: the config and zone files are read again and swapped in whole; a broken
// config changes nothing; health survives for endpoints that did not change; settings bound at
// start say so; signals in a burst are handled one reload at a time.
#include <doctest/doctest.h>
#include <signal.h>

#include <sstream>
#include <string>
#include <thread>

#include "harness.h"
#include "http_backend.h"

using namespace meridian::test;

namespace {

constexpr const char* zone_template = R"($ORIGIN example.test.
$TTL 300
@       IN SOA ns1 hostmaster 1 7200 3600 1209600 60
        IN NS  ns1
ns1     IN A   192.0.2.53
static  IN A   STATIC
EXTRA
)";

std::string zone(const std::string& static_address, const std::string& extra = "") {
  return fill(zone_template, {{"STATIC", static_address}, {"EXTRA", extra}});
}

// The first A record of the answer, or the rcode when there is none.
std::string answer_of(uint16_t port, const std::string& name, const QueryOptions& options = {}) {
  auto reply = query_udp(port, name, LDNS_RR_TYPE_A, options);
  auto values = rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A);
  return values.empty() ? rcode_name(reply.get()) : values.front();
}

size_t count(const std::string& text, const std::string& what) {
  size_t found = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++found;
  return found;
}

// The line of `text` holding `what`, or "" when none does.
std::string line_with(const std::string& text, const std::string& what) {
  const size_t at = text.find(what);
  if (at == std::string::npos) return "";
  const size_t begin = text.rfind('\n', at) + 1;  // npos + 1 == 0 on the first line
  return text.substr(begin, text.find('\n', at) - begin);
}

// The 1-based line of `text` that holds `what`.
int line_number(const std::string& text, const std::string& what) {
  return 1 + int(count(text.substr(0, text.find(what)), "\n"));
}

void hang_up(const Server& server) {
  REQUIRE(kill(server.pid(), SIGHUP) == 0);
}

constexpr const char* static_config = R"(
server:
  workers: 2
zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: old
    fqdn: old.example.test
    method: priority
    monitor: {protocol: none}
    endpoints:
      - {name: a, target: 192.0.2.50}
)";

}  // namespace

TEST_CASE("SIGHUP reads the config and zone files again: new record, new profile, removed profile") {
  TempDir dir;
  const auto config = dir.write("meridian.yaml", static_config);
  dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.1");
  CHECK(answer_of(server.port(), "old.example.test.") == "192.0.2.50");
  CHECK(answer_of(server.port(), "fresh.example.test.") == "NXDOMAIN");

  dir.write("zones/example.test.zone", zone("192.0.2.2"));
  dir.write("meridian.yaml", R"(
server:
  workers: 2
zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: fresh
    fqdn: fresh.example.test
    method: priority
    ttl: 42
    monitor: {protocol: none}
    endpoints:
      - {name: a, target: 192.0.2.60}
)");
  hang_up(server);
  REQUIRE_MESSAGE(
      server.wait_for_log("info server: reloaded zones=1 profiles=1 endpoints=1 kept_status=0 ms="),
      server.log());
  CHECK(server.log().find("info server: SIGHUP received; reloading") != std::string::npos);
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.2");
  auto tcp = query_tcp(server.port(), "static.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(tcp.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.2"});
  auto fresh = query_udp(server.port(), "fresh.example.test.", LDNS_RR_TYPE_A);
  CHECK(section(fresh.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"fresh.example.test. 42 IN A 192.0.2.60"});
  CHECK(answer_of(server.port(), "old.example.test.") == "NXDOMAIN");
  CHECK(server.log().find("reload failed") == std::string::npos);
}

TEST_CASE("a config that fails to load is never swapped in: FILE:LINE in the log, the old answers go on") {
  TempDir dir;
  const auto config = dir.write("meridian.yaml", static_config);
  const auto zone_file = dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});
  REQUIRE(answer_of(server.port(), "old.example.test.") == "192.0.2.50");

  // An unknown key in the config file.
  const std::string unknown = std::string(static_config) + "bogus: 1\n";
  dir.write("meridian.yaml", unknown);
  hang_up(server);
  const std::string expected = "error server: reload failed: " + config + ":" +
                               std::to_string(line_number(unknown, "bogus")) + ": unknown key \"bogus\"";
  REQUIRE_MESSAGE(server.wait_for_log(expected), server.log());
  CHECK(line_with(server.log(), expected).ends_with("; keeping the running config"));
  CHECK(answer_of(server.port(), "old.example.test.") == "192.0.2.50");
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.1");

  // A bad record in a zone file: the zone file's name and line.
  dir.write("meridian.yaml", static_config);
  const std::string bad_zone = zone("192.0.2.1", "broken  IN A   not-an-address");
  dir.write("zones/example.test.zone", bad_zone);
  hang_up(server);
  const std::string zone_failed =
      "reload failed: " + zone_file + ":" + std::to_string(line_number(bad_zone, "broken")) + ": ";
  REQUIRE_MESSAGE(server.wait_for_log(zone_failed), server.log());
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.1");

  // A GeoIP file that does not exist: found when the snapshot opens it, after validation.
  dir.write("zones/example.test.zone", zone("192.0.2.3"));
  dir.write("meridian.yaml", "geo:\n  databases: [missing.mmdb]\n" + std::string(static_config));
  hang_up(server);
  // Blamed on the line that names it, like every config error.
  REQUIRE_MESSAGE(server.wait_for_log("reload failed: " + config + ":2: "), server.log());
  CHECK(line_with(server.log(), "reload failed: " + config + ":2: ").find("missing.mmdb") !=
        std::string::npos);
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.1");  // the new zone is not in service
  CHECK(server.log().find("info server: reloaded") == std::string::npos);

  // Fixed: the next SIGHUP applies it.
  dir.write("meridian.yaml", static_config);
  hang_up(server);
  REQUIRE_MESSAGE(server.wait_for_log("info server: reloaded zones=1 profiles=1 endpoints=1"), server.log());
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.3");
  CHECK(count(server.log(), "reload failed") == 3);
}

TEST_CASE("health survives a reload: unchanged endpoints keep their status, a changed target starts afresh") {
  HttpBackend primary("127.0.0.31");
  HttpBackend secondary("127.0.0.32");
  HttpBackend broken("127.0.0.33", 503);
  HttpBackend spare("127.0.0.34");
  HttpBackend before_move("127.0.0.35");
  HttpBackend after_move("127.0.0.36");
  // tolerated_failures 2: an endpoint that restarted at CheckingEndpoint would serve for three
  // probe intervals before turning Degraded again, long enough for the queries below to see it.
  const std::string config_template = R"(
rrl: {enabled: false}  # queried as fast as it answers, through the reload
zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    monitor: {protocol: http, interval: 200ms, timeout: 100ms, tolerated_failures: 2}
    endpoints:
      - {name: primary, target: 127.0.0.31, monitor: {port: PRIMARY}}
      - {name: secondary, target: 127.0.0.32, monitor: {port: SECONDARY}}
  - name: down
    fqdn: down.example.test
    method: priority
    monitor: {protocol: http, interval: 200ms, timeout: 100ms, tolerated_failures: 2}
    endpoints:
      - {name: broken, target: 127.0.0.33, monitor: {port: BROKEN}}
      - {name: spare, target: 127.0.0.34, monitor: {port: SPARE}}
  - name: moving
    fqdn: moving.example.test
    method: priority
    monitor: {protocol: http, interval: 200ms, timeout: 100ms, tolerated_failures: 2}
    endpoints:
      - {name: m, target: MOVING_ADDRESS, monitor: {port: MOVING_PORT}}
)";
  auto config_for = [&](const HttpBackend& moving, const std::string& address) {
    return fill(config_template, {{"PRIMARY", std::to_string(primary.port())},
                                  {"SECONDARY", std::to_string(secondary.port())},
                                  {"BROKEN", std::to_string(broken.port())},
                                  {"SPARE", std::to_string(spare.port())},
                                  {"MOVING_ADDRESS", address},
                                  {"MOVING_PORT", std::to_string(moving.port())}});
  };
  TempDir dir;
  const auto config = dir.write("meridian.yaml", config_for(before_move, "127.0.0.35"));
  dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});
  REQUIRE_MESSAGE(server.wait_for_log("probes: profile web ready online=2"), server.log());
  REQUIRE_MESSAGE(server.wait_for_log("probes: profile down ready online=1 degraded=1"), server.log());
  REQUIRE_MESSAGE(server.wait_for_log("probes: profile moving ready online=1"), server.log());
  REQUIRE(answer_of(server.port(), "web.example.test.") == "127.0.0.31");
  REQUIRE(answer_of(server.port(), "down.example.test.") == "127.0.0.34");  // broken is Degraded

  // An unrelated change (a new static record) and one endpoint whose target moved.
  dir.write("zones/example.test.zone", zone("192.0.2.1", "added   IN A   192.0.2.99"));
  dir.write("meridian.yaml", config_for(after_move, "127.0.0.36"));
  hang_up(server);
  // Query all through the reload, until the new probe service has probed `broken` twice: had it
  // restarted at CheckingEndpoint it would be answered (a fresh endpoint serves) until then.
  size_t queries = 0, web_flaps = 0, down_flaps = 0;
  bool reloaded = false;
  uint64_t broken_probes_at_reload = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    ++queries;
    web_flaps += answer_of(server.port(), "web.example.test.") != "127.0.0.31";
    down_flaps += answer_of(server.port(), "down.example.test.") != "127.0.0.34";
    // The line comes after the old probe service stopped: later probes are the new service's.
    if (!reloaded && server.log().find("info server: reloaded") != std::string::npos) {
      reloaded = true;
      broken_probes_at_reload = broken.requests();
    }
    if (reloaded && broken.requests() >= broken_probes_at_reload + 2) break;
  }
  REQUIRE_MESSAGE(reloaded, server.log());
  REQUIRE(broken.requests() >= broken_probes_at_reload + 2);
  MESSAGE(queries << " queries of each name during the reload");
  CHECK(web_flaps == 0);
  CHECK(down_flaps == 0);
  CHECK(answer_of(server.port(), "added.example.test.") == "192.0.2.99");

  REQUIRE_MESSAGE(server.wait_for_log("info server: reloaded zones=1 profiles=3 endpoints=5 kept_status=4"),
                  server.log());
  // The moved endpoint starts afresh, probed at its new target, and its profile is announced
  // again; the unchanged ones never go back to CheckingEndpoint, nor are their profiles announced.
  REQUIRE_MESSAGE(server.wait_for_log("probes: profile moving ready online=1", 5s), server.log());
  const std::string log = server.log();
  CHECK(count(log, "probes: moving/m CheckingEndpoint -> Online") == 2);
  CHECK(count(log, "probes: profile moving ready") == 2);
  CHECK(after_move.requests() >= 1);
  CHECK(count(log, "probes: web/primary CheckingEndpoint -> Online") == 1);
  CHECK(count(log, "probes: web/secondary CheckingEndpoint -> Online") == 1);
  CHECK(count(log, "probes: down/broken CheckingEndpoint -> Degraded") == 1);
  CHECK(count(log, "probes: profile web ready") == 1);
  CHECK(count(log, "probes: profile down ready") == 1);
  CHECK(log.find("probes: web/primary Online -> ") == std::string::npos);
}

TEST_CASE(
    "a flattened FQDN target keeps its addresses through a reload, even while its name cannot be resolved") {
  Server upstream(R"(
zones:
  - origin: upstream.test
    file: {ZONES}/upstream.test.zone
)");
  const std::string config_template = R"(
resolver:
  servers: ["127.0.0.1:UPSTREAM"]
rrl: {enabled: false}  # queried as fast as it answers, through the reload
zones:
  - origin: example.test
    file: zones/example.test.zone
profiles:
  - name: apex
    fqdn: example.test
    method: priority
    ttl: TTL
    monitor: {protocol: none}
    endpoints:
      - {name: app, target: app.upstream.test, flatten: true}
)";
  auto config_with_ttl = [&](const std::string& ttl) {
    return fill(config_template, {{"UPSTREAM", std::to_string(upstream.port())}, {"TTL", ttl}});
  };
  TempDir dir;
  const auto config = dir.write("meridian.yaml", config_with_ttl("30"));
  dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});
  REQUIRE_MESSAGE(server.wait_for_log("info resolver: apex/app app.upstream.test -> 127.0.0.1"),
                  server.log());
  REQUIRE(answer_of(server.port(), "example.test.") == "127.0.0.1");

  // The upstream stops answering (SIGSTOP): the reloaded resolver's lookups time out.
  REQUIRE(kill(upstream.pid(), SIGSTOP) == 0);
  struct Resume {
    pid_t pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume{upstream.pid()};
  dir.write("meridian.yaml", config_with_ttl("31"));
  hang_up(server);
  // Query until the new resolver has given up on its first lookup: from the swap until then,
  // the addresses can only come from the ones kept.
  size_t queries = 0, empty = 0;
  const std::string failed = "warning resolver: apex/app app.upstream.test lookup failed";
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (server.log().find(failed) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    ++queries;
    empty += answer_of(server.port(), "example.test.") != "127.0.0.1";
    std::this_thread::sleep_for(1ms);  // polling pace over the seconds c-ares takes to give up
  }
  REQUIRE_MESSAGE(server.log().find(failed) != std::string::npos, server.log());
  REQUIRE(server.log().find("info server: reloaded") != std::string::npos);
  MESSAGE(queries << " queries during the reload and the failing lookup");
  CHECK(empty == 0);
  auto reply = query_udp(server.port(), "example.test.", LDNS_RR_TYPE_A);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"example.test. 31 IN A 127.0.0.1"});
}

TEST_CASE("listen and workers need a restart: a warning names each, everything else is applied") {
  TempDir dir;
  const std::string before = R"(
server:
  workers: 2
  nsid: before
zones:
  - origin: example.test
    file: zones/example.test.zone
)";
  const auto config = dir.write("meridian.yaml", before);
  dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});
  REQUIRE(nsid_of(query_udp(server.port(), "static.example.test.", LDNS_RR_TYPE_A, {.nsid = true}).get()) ==
          "before");

  dir.write("meridian.yaml", R"(
server:
  listen: ["127.0.0.1:5399"]
  workers: 3
  nsid: after
zones:
  - origin: example.test
    file: zones/example.test.zone
)");
  hang_up(server);
  REQUIRE_MESSAGE(server.wait_for_log("info server: reloaded"), server.log());
  const std::string log = server.log();
  CHECK(log.find("warning server: reload: server.listen changed; restart to apply") != std::string::npos);
  CHECK(log.find("warning server: reload: server.workers changed; restart to apply") != std::string::npos);
  CHECK(log.find("server.control changed") == std::string::npos);
  // Still on the port bound at start, with the new NSID.
  CHECK(nsid_of(query_udp(server.port(), "static.example.test.", LDNS_RR_TYPE_A, {.nsid = true}).get()) ==
        "after");
}

TEST_CASE("a burst of SIGHUPs: one reload at a time, and the last config is the one in service") {
  TempDir dir;
  const auto config = dir.write("meridian.yaml", static_config);
  dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});

  dir.write("zones/example.test.zone", zone("192.0.2.7"));
  for (int i = 0; i < 5; ++i) hang_up(server);
  REQUIRE_MESSAGE(server.wait_for_log("info server: reloaded"), server.log());
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.7");
  // Signals that came during a reload were coalesced into one more, which also ran.
  auto settled = [&] {
    const std::string log = server.log();
    return count(log, "info server: reloaded") ==
           count(log, "SIGHUP received; reloading") + count(log, "reloading again after it");
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!settled() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);  // polling pace, not synchronisation
  CHECK(settled());
  // Each reload ended before the next began: a SIGHUP during one was queued, not run beside it.
  std::istringstream lines(server.log());
  bool in_reload = false, queued = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("SIGHUP received; reloading") != std::string::npos) {
      CHECK_MESSAGE(!in_reload, "two reloads at once:\n" << server.log());
      in_reload = true;
    } else if (line.find("reloading again after it") != std::string::npos) {
      CHECK(in_reload);
      CHECK_FALSE(queued);  // logged once per queued reload
      queued = true;
    } else if (line.find("info server: reloaded") != std::string::npos) {
      CHECK(in_reload);
      in_reload = queued;  // the queued one starts at once
      queued = false;
    }
  }
  CHECK_FALSE(in_reload);
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.7");
}

TEST_CASE("the replaced generation is freed even when some workers get no queries") {
  // Four workers and one client: most UDP receivers and TCP loops stay idle through the reload,
  // and must still let go of the old snapshot (they wake up now and then to do so).
  TempDir dir;
  const auto config = dir.write("meridian.yaml", fill(static_config, {{"workers: 2", "workers: 4"}}));
  dir.write("zones/example.test.zone", zone("192.0.2.1"));
  Server server(Server::File{config});
  REQUIRE(answer_of(server.port(), "static.example.test.") == "192.0.2.1");
  dir.write("zones/example.test.zone", zone("192.0.2.2"));
  hang_up(server);
  REQUIRE_MESSAGE(server.wait_for_log("info server: reloaded"), server.log());
  CHECK_MESSAGE(server.wait_for_log("info server: replaced snapshots released", std::chrono::seconds(5)),
                server.log());
  CHECK(answer_of(server.port(), "static.example.test.") == "192.0.2.2");
}
