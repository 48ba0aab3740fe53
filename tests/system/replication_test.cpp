// Replicas that agree (issue 22): three `meridian serve` processes, each its own probe site
// (its own source address), sharing verdicts and overrides through a real etcd cluster on
// loopback. One site's bad path does not fail a backend; two of three do, on every replica; a
// drain on one moves all; etcd going away loses no query, and the replicas converge once it is back.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "control_fixtures.h"
#include "etcd_cluster.h"
#include "harness.h"
#include "http_backend.h"
#include "http_client.h"
#include "replica_fixtures.h"
#include "stopped_thread.h"

using namespace meridian::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* primary_address = "127.0.0.11";
constexpr const char* secondary_address = "127.0.0.12";
// Probes every 200 ms, one failure tolerated: a site's verdict moves within 500 ms.
constexpr const char* replica_config = R"(
server:
  probe_source: SOURCE
  state_file: STATE
replication:
  site: SITE
  etcd: [ETCD]
  lease_ttl: LEASE
  timeout: 500ms
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    ttl: 5
    monitor: {protocol: http, path: /healthz, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PRIMARY}}
      - {name: secondary, target: 127.0.0.12, monitor: {port: SECONDARY}}
)";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string source_of(int replica) { return "127.0.0.2" + std::to_string(replica + 1); }
std::string site_of(int replica) { return "site" + std::to_string(replica + 1); }

class Replicas {
 public:
  explicit Replicas(int etcd_members, std::string lease = "2s")
      : lease_ttl(std::move(lease)),
        etcd(etcd_members),
        primary(primary_address),
        secondary(secondary_address) {
    for (const auto& url : etcd.client_urls()) urls += (urls.empty() ? "" : ", ") + url;
    for (int i = 0; i < 3; ++i) start(i, urls);
    for (int i = 0; i < 3; ++i)
      REQUIRE_MESSAGE(eventually([&] { return live_sites(i) == 3 && answer(i) == primary_address; }, 10s),
                      replicas[i]->log());
  }

  // Replica i probes from its own source address; `site` defaults to its own name.
  void start(int i, const std::string& urls, const std::string& site = "") {
    replicas.push_back(std::make_unique<Server>(config_of(i, urls, site)));
  }
  std::string config_of(int i, const std::string& urls, const std::string& site = "") {
    return fill(replica_config, {{"SOURCE", source_of(i)},
                                 {"STATE", state.path() + "/" + site_of(i) + ".json"},
                                 {"LEASE", lease_ttl},
                                 {"SITE", site.empty() ? site_of(i) : site},
                                 {"ETCD", urls},
                                 {"PRIMARY", std::to_string(primary.port())},
                                 {"SECONDARY", std::to_string(secondary.port())}});
  }

  std::string answer(int i) {
    auto reply = query_udp(replicas[i]->port(), "web.example.test", LDNS_RR_TYPE_A);
    const auto values = rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A);
    return values.empty() ? "" : values.front();
  }
  // Every replica still running answers `expected`, within `deadline`; how long it took.
  std::optional<std::chrono::milliseconds> all_answer(const std::string& expected, std::chrono::milliseconds deadline,
                                                      std::vector<int> which = {0, 1, 2}) {
    const auto start = Clock::now();
    const bool done = eventually(
        [&] {
          for (int i : which)
            if (answer(i) != expected) return false;
          return true;
        },
        deadline);
    if (!done) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  json status(int i) {
    const auto reply = http_get(replicas[i]->control_port(), "/v1/status");
    REQUIRE(reply.status == 200);
    return json::parse(reply.body);
  }
  json endpoint(int i, const std::string& name) {
    const json all = status(i);
    for (const auto& e : all["profiles"][0]["endpoints"])
      if (e["name"] == name) return e;
    FAIL("no endpoint " << name);
    return {};
  }
  size_t live_sites(int i) { return status(i)["replication"]["live_sites"].size(); }
  bool connected(int i) { return status(i)["replication"]["connected"].get<bool>(); }

  std::string lease_ttl;
  TempDir state;
  EtcdCluster etcd;
  std::string urls;  // etcd's client URLs, as the config lists them
  HttpBackend primary, secondary;
  std::vector<std::unique_ptr<Server>> replicas;
};

// What the replicas answer over `window` never leaves `expected` (a verdict must not move).
// Paced: a tight loop would meet response rate limiting (200 a second per name and /24).
bool answers_stay(Replicas& r, const std::string& expected, std::chrono::milliseconds window) {
  const auto until = Clock::now() + window;
  while (Clock::now() < until) {
    for (int i = 0; i < 3; ++i)
      if (r.answer(i) != expected) return false;
    std::this_thread::sleep_for(10ms);  // pace, not synchronisation
  }
  return true;
}

}  // namespace

TEST_CASE("replication: one site's bad path does not fail a backend; two of three sites fail it on every replica") {
  Replicas r(1);
  r.primary.set_status_from(source_of(0), 503);
  // site1's own probes say Degraded; the other two say Online, so the combined verdict holds.
  REQUIRE_MESSAGE(eventually([&] { return r.endpoint(0, "primary")["probe_status"] == "Degraded"; }, 5s),
                  r.replicas[0]->log());
  const auto seen = r.endpoint(0, "primary");
  CHECK(seen["sites"] == json({{"site1", "Degraded"}, {"site2", "Online"}, {"site3", "Online"}}));
  CHECK(seen["combined"]["status"] == "Online");
  CHECK(seen["status"] == "Online");
  CHECK(answers_stay(r, primary_address, 1500ms));  // seven probe intervals
  // `meridian ctl status` shows the session and the votes.
  const auto ctl = run_meridian({"ctl", "--control", "127.0.0.1:" + std::to_string(r.replicas[0]->control_port()), "status"});
  CHECK(ctl.exit_code == 0);
  CHECK_MESSAGE(ctl.out.find("replication: site site1") != std::string::npos, ctl.out);
  CHECK_MESSAGE(ctl.out.find("live sites: site1, site2, site3") != std::string::npos, ctl.out);
  CHECK_MESSAGE(ctl.out.find("2 online, 1 degraded") != std::string::npos, ctl.out);

  r.primary.set_status_from(source_of(1), 503);
  const auto moved = r.all_answer(secondary_address, 3s);
  REQUIRE_MESSAGE(moved, r.replicas[2]->log());
  MESSAGE("two of three sites failing moved all three replicas in " << moved->count() << " ms");
  // Even site3, whose own probes still reach the primary.
  const auto third = r.endpoint(2, "primary");
  CHECK(third["probe_status"] == "Online");
  CHECK(third["combined"]["status"] == "Degraded");
  CHECK(third["combined"]["degraded"] == 2);

  r.primary.set_status_from(source_of(0), 200);
  r.primary.set_status_from(source_of(1), 200);
  CHECK(r.all_answer(primary_address, 3s));
}

TEST_CASE("replication: a drain made through one replica moves the answer on all three, and so does its undoing") {
  Replicas r(1);
  REQUIRE(http_post(r.replicas[1]->control_port(), "/v1/profiles/web/endpoints/primary/drain").status == 200);
  const auto moved = r.all_answer(secondary_address, 3s);
  REQUIRE_MESSAGE(moved, r.replicas[0]->log());
  MESSAGE("a drain on one replica reached all three in " << moved->count() << " ms");
  // Applied as an override on the others, and saved in their state files (the fallback).
  CHECK(r.endpoint(0, "primary")["override"] == "drain");
  CHECK(r.replicas[2]->wait_for_log("override web/primary none -> drain from=site2 (through etcd)"));
  CHECK(read_file(r.state.path() + "/site3.json").find("\"drain\"") != std::string::npos);

  REQUIRE(http_post(r.replicas[2]->control_port(), "/v1/profiles/web/endpoints/primary/enable").status == 200);
  CHECK(r.all_answer(primary_address, 3s));
  CHECK(r.replicas[0]->wait_for_log("override web/primary drain -> none from=site3 (through etcd)"));
}

TEST_CASE("replication: etcd losing a member, then all of them, loses no query; the replicas converge once it is back") {
  Replicas r(3);
  // Every replica tries the first member first: killing it makes them all move on.
  r.etcd.kill(0);
  REQUIRE(http_post(r.replicas[0]->control_port(), "/v1/profiles/web/endpoints/primary/drain").status == 200);
  const auto moved = r.all_answer(secondary_address, 5s);
  REQUIRE_MESSAGE(moved, r.replicas[1]->log());
  MESSAGE("with one etcd member down, a drain reached all three replicas in " << moved->count() << " ms");

  const size_t logged_before = r.replicas[0]->log().size();
  r.etcd.kill_all();
  for (int i = 0; i < 3; ++i)
    REQUIRE_MESSAGE(eventually([&] { return !r.connected(i); }, 5s), r.replicas[i]->log());
  // No lost query: every replica answers, from its last combined view.
  for (int round = 0; round < 20; ++round)
    for (int i = 0; i < 3; ++i) CHECK(r.answer(i) == secondary_address);
  const auto metrics = http_get(r.replicas[0]->control_port(), "/metrics").body;
  CHECK(metrics.find("\nmeridian_replication_etcd_connected 0\n") != std::string::npos);
  CHECK(metrics.find("\nmeridian_replication_info{site=\"site1\",healthy_when=\"majority\"} 1\n") != std::string::npos);
  CHECK(r.replicas[0]->wait_for_log("replication: etcd unreachable"));
  // Said once per outage, not once per retry (the replica has retried every member by now).
  const auto log = r.replicas[0]->log().substr(logged_before);
  const auto said = log.find("replication: etcd unreachable");
  CHECK(said != std::string::npos);
  CHECK(said == log.rfind("replication: etcd unreachable"));

  // After one lease TTL the other sites' verdicts are gone: each replica lists itself alone.
  CHECK(eventually([&] { return r.live_sites(0) == 1; }, 5s));
  CHECK(r.replicas[0]->wait_for_log("etcd still unreachable after the lease TTL"));

  // A verdict that changes meanwhile reaches the others once etcd is back.
  r.secondary.set_status_from(source_of(0), 503);
  REQUIRE(eventually([&] { return r.endpoint(0, "secondary")["probe_status"] == "Degraded"; }, 5s));

  // An override made meanwhile applies here at once and waits for etcd.
  REQUIRE(http_post(r.replicas[0]->control_port(), "/v1/profiles/web/endpoints/primary/enable").status == 200);
  CHECK(r.answer(0) == primary_address);
  CHECK(r.status(0)["replication"]["pending_overrides"] == 1);
  CHECK(r.answer(1) == secondary_address);  // the others cannot know yet

  const auto restarted_at = Clock::now();
  r.etcd.restart_all();
  REQUIRE_MESSAGE(r.all_answer(primary_address, 10s), r.replicas[1]->log());
  MESSAGE("from etcd's restart to all three replicas agreeing: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted_at).count() << " ms");
  for (int i = 0; i < 3; ++i) CHECK(eventually([&] { return r.connected(i); }, 5s));
  CHECK(r.status(0)["replication"]["pending_overrides"] == 0);
  CHECK(eventually([&] { return r.endpoint(2, "secondary")["sites"]["site1"] == "Degraded"; }, 5s));
}

TEST_CASE("replication: an etcd member that hangs (a partition) is left for another within the request timeout") {
  Replicas r(3);
  // Every replica talks to the first member first: frozen, it accepts connections and answers nothing.
  r.etcd.pause(0);
  const auto paused_at = Clock::now();
  REQUIRE(eventually([&] { return r.replicas[1]->log().find("replication: etcd unreachable") != std::string::npos; }, 5s));
  REQUIRE(eventually([&] { return r.connected(0) && r.connected(1) && r.connected(2); }, 10s));
  REQUIRE(http_post(r.replicas[1]->control_port(), "/v1/profiles/web/endpoints/primary/drain").status == 200);
  const auto moved = r.all_answer(secondary_address, 5s);
  REQUIRE_MESSAGE(moved, r.replicas[0]->log());
  MESSAGE("with the first member hung, the replicas moved on and a drain reached all three "
          << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - paused_at).count()
          << " ms after the hang");
  r.etcd.resume(0);
}

TEST_CASE("replication: a killed replica's lease expires and its votes stop counting") {
  Replicas r(1);
  r.primary.set_status_from(source_of(0), 503);
  r.primary.set_status_from(source_of(1), 503);
  REQUIRE(r.all_answer(secondary_address, 3s));
  // site2 dies without a word: its Degraded vote counts until its lease (2 s) runs out; then
  // site1 (Degraded) and site3 (Online) are a tie, which stays Online.
  const auto killed_at = Clock::now();
  REQUIRE(kill(r.replicas[1]->pid(), SIGKILL) == 0);
  const auto back = r.all_answer(primary_address, 8s, {0, 2});
  REQUIRE_MESSAGE(back, r.replicas[0]->log());
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at);
  MESSAGE("site2's votes stopped counting " << after.count() << " ms after it was killed");
  // Not before its lease could have run out: renewed every third of its 2 s, it had at least 1.33 s left.
  CHECK(after >= 1300ms);
  CHECK(r.status(0)["replication"]["live_sites"] == json({"site1", "site3"}));
  CHECK(r.replicas[0]->wait_for_log("replication: site site2 left"));
  // A replica stopped cleanly revokes its lease: the others drop it at once, not 2 s later.
  const auto stopped_at = Clock::now();
  r.replicas[2].reset();
  REQUIRE(r.replicas[0]->wait_for_log("replication: site site3 left", 5s));
  const auto gone = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stopped_at);
  MESSAGE("a cleanly stopped replica was dropped by the others " << gone.count() << " ms after SIGTERM");
  CHECK(gone < 1300ms);  // its lease alone would have held at least 1.33 s
}

TEST_CASE(
    "replication: a replica started with a site name another one holds does not vote until that one leaves") {
  Replicas r(1);
  // A copied config: a fourth replica, probing from its own address, also calls itself site1.
  r.start(3, r.urls, site_of(0));
  REQUIRE_MESSAGE(r.replicas[3]->wait_for_log("another replica holds site site1"), r.replicas[3]->log());
  REQUIRE(eventually([&] { return r.connected(3); }, 5s));
  const auto duplicate = r.status(3)["replication"];
  CHECK(duplicate["voting"] == false);
  CHECK(duplicate["site_held_by"].is_string());
  CHECK(r.status(0)["replication"]["voting"] == true);
  CHECK(r.status(0)["replication"]["site_held_by"].is_null());
  CHECK(http_get(r.replicas[3]->control_port(), "/metrics").body.find("meridian_replication_voting 0") !=
        std::string::npos);
  const auto ctl = run_meridian(
      {"ctl", "--control", "127.0.0.1:" + std::to_string(r.replicas[3]->control_port()), "status"});
  CHECK_MESSAGE(ctl.out.find("NOT VOTING") != std::string::npos, ctl.out);

  // The duplicate's path to the primary fails, and site2's too. Had the duplicate written its
  // Degraded as site1's, that would be two sites of three: nobody moves, the duplicate included
  // (it takes site1's verdicts from etcd, as every other replica does).
  r.primary.set_status_from(source_of(3), 503);
  r.primary.set_status_from(source_of(1), 503);
  REQUIRE(eventually([&] { return r.endpoint(3, "primary")["probe_status"] == "Degraded"; }, 5s));
  REQUIRE(eventually([&] { return r.endpoint(1, "primary")["probe_status"] == "Degraded"; }, 5s));
  const auto until = Clock::now() + 1500ms;  // seven probe intervals
  while (Clock::now() < until) {
    for (int i = 0; i < 4; ++i) REQUIRE_MESSAGE(r.answer(i) == primary_address, "replica " << i << " moved");
    std::this_thread::sleep_for(10ms);  // pace, not synchronisation
  }
  CHECK(r.endpoint(2, "primary")["sites"] ==
        json({{"site1", "Online"}, {"site2", "Degraded"}, {"site3", "Online"}}));

  // The holder stops (its lease revoked): the duplicate takes site1 at once and votes Degraded,
  // two of three now, and every replica left moves.
  r.replicas[0].reset();
  REQUIRE_MESSAGE(r.replicas[3]->wait_for_log("replication: site site1 is free"), r.replicas[3]->log());
  CHECK(r.status(3)["replication"]["voting"] == true);
  const auto moved = r.all_answer(secondary_address, 3s, {1, 2, 3});
  REQUIRE_MESSAGE(moved, r.replicas[2]->log());
  CHECK(r.endpoint(2, "primary")["sites"] ==
        json({{"site1", "Degraded"}, {"site2", "Degraded"}, {"site3", "Online"}}));
}

TEST_CASE("replication: a site whose probe loop stalls withdraws its verdicts until the loop runs again") {
  Replicas r(1);
  r.primary.set_status_from(source_of(0), 503);
  r.primary.set_status_from(source_of(1), 503);
  REQUIRE(r.all_answer(secondary_address, 3s));  // site1 and site2 say Degraded
  // site2's probe thread stops; its DNS workers, control API and etcd session run on, so its
  // lease holds and, without the heartbeat, its last Degraded would count for as long as that.
  StoppedThread probes(r.replicas[1]->pid(), "probes");
  const auto stalled_at = Clock::now();
  // One lease TTL (2 s) of silence later site2 counts nowhere: site1 Degraded, site3 Online, a
  // tie, which stays Online, on every replica, the stalled one included.
  const auto back = r.all_answer(primary_address, 8s);
  REQUIRE_MESSAGE(back, r.replicas[1]->log());
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stalled_at);
  MESSAGE("a stalled probe loop's verdicts stopped counting " << after.count() << " ms after it stopped");
  CHECK(after >= 1700ms);  // its last heartbeat was at most 250 ms before the stop
  CHECK(r.replicas[1]->wait_for_log("replication: the probe loop has not run for"));
  const auto stalled = r.status(1)["replication"];
  CHECK(stalled["probes_stalled"] == true);
  CHECK(stalled["voting"] == false);
  CHECK(r.endpoint(0, "primary")["sites"] == json({{"site1", "Degraded"}, {"site3", "Online"}}));
  CHECK(r.status(0)["replication"]["live_sites"] ==
        json({"site1", "site2", "site3"}));  // only its votes went

  probes.resume();  // its verdict is still Degraded: two of three again
  REQUIRE_MESSAGE(r.replicas[1]->wait_for_log("replication: the probe loop runs again"),
                  r.replicas[1]->log());
  CHECK(r.all_answer(secondary_address, 3s));
  CHECK(r.status(1)["replication"]["probes_stalled"] == false);
}

TEST_CASE("replication: a replica restarted after a crash resumes its lease and votes at once") {
  Replicas r(1, "10s");  // a lease that outlives the restart by far
  // What site2 published before the crash for an endpoint its next config lacks (written here on
  // its lease): it must not outlive the restart, since the lease does.
  const auto log = r.replicas[1]->log();
  const auto at = log.find("as site site2 (lease ");
  REQUIRE(at != std::string::npos);
  const auto lease = log.substr(at + 21, log.find(')', at) - at - 21);
  const std::string gone = "/meridian/verdicts/site2/web/retired";
  r.etcd.etcdctl({"put", "--lease=" + lease, gone, "Degraded"});
  REQUIRE(r.etcd.etcdctl({"get", gone}).find("Degraded") != std::string::npos);
  REQUIRE(kill(r.replicas[1]->pid(), SIGKILL) == 0);
  r.replicas[1].reset();  // reaps it
  const auto restarted_at = Clock::now();
  r.replicas[1] = std::make_unique<Server>(r.config_of(1, r.urls));
  // Its lease ID is kept beside its state file: the lease still holds site2, and it takes it up
  // again rather than waiting up to 10 s as "another replica".
  REQUIRE_MESSAGE(
      eventually([&] { return r.connected(1) && r.status(1)["replication"]["voting"] == true; }, 5s),
      r.replicas[1]->log());
  MESSAGE("a replica restarted after SIGKILL voted again "
          << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted_at).count()
          << " ms after its restart");
  CHECK(r.replicas[1]->wait_for_log("replication: resumed lease"));
  CHECK(r.replicas[1]->log().find("another replica holds site") == std::string::npos);
  CHECK(eventually([&] { return r.etcd.etcdctl({"get", gone}).find(gone) == std::string::npos; }, 3s));
  // And its votes count: with site1's path failing too, two of three move everyone.
  r.primary.set_status_from(source_of(0), 503);
  r.primary.set_status_from(source_of(1), 503);
  CHECK(r.all_answer(secondary_address, 5s));
}

TEST_CASE("replication: with etcd authentication, the right password gets a session and a wrong one an error, "
          "while DNS answers on") {
  EtcdCluster etcd(1);
  etcd.enable_auth("meridian", "right-password", "/meridian/");
  HttpBackend backend(primary_address);
  TempDir dir;
  const auto config = [&](const std::string& site, const std::string& password) {
    const auto file = dir.write(site + ".password", password + "\n");
    return lone_replica(site, etcd.client_url(0), "  username: meridian\n  password_file: " + file, backend.port());
  };
  Server good(config("good", "right-password"));
  Server bad(config("bad", "wrong-password"));
  REQUIRE_MESSAGE(eventually([&] { return replication_of(good)["connected"] == true; }, 5s), good.log());
  CHECK(etcd.etcdctl({"get", "/meridian/sites/good"}).find("/meridian/sites/good") != std::string::npos);
  REQUIRE_MESSAGE(eventually([&] { return !replication_of(bad)["last_error"].is_null(); }, 5s), bad.log());
  CHECK(replication_of(bad)["connected"] == false);
  CHECK(replication_of(bad)["last_error"].get<std::string>().find("authentication failed") != std::string::npos);
  CHECK(bad.wait_for_log("replication: cannot reach etcd"));
  const auto reply = query_udp(bad.port(), "web.example.test", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{primary_address});
}

namespace {

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct Certificates {
  std::string ca, server_cert, server_key, client_cert, client_key;
};

Certificates make_certificates(const TempDir& dir) {
  const std::string d = dir.path();
  const std::string script = fill(R"(set -e
cd DIR
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca.key -out ca.pem
openssl req -newkey rsa:2048 -nodes -subj /CN=etcd -keyout server.key -out server.csr
printf 'subjectAltName=IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out server.pem
openssl req -newkey rsa:2048 -nodes -subj /CN=meridian -keyout client.key -out client.csr
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -out client.pem
)",
                                  {{"DIR", d}});
  const auto file = dir.write("make-certificates.sh", script);
  REQUIRE(std::system(("bash " + file + " >" + d + "/openssl.log 2>&1").c_str()) == 0);
  return {d + "/ca.pem", d + "/server.pem", d + "/server.key", d + "/client.pem", d + "/client.key"};
}

}  // namespace

TEST_CASE("replication: etcd over TLS with client certificates; without the client certificate, no session") {
  TempDir dir;
  const auto certs = make_certificates(dir);
  EtcdCluster etcd(1, EtcdCluster::Tls{certs.ca, certs.server_cert, certs.server_key});
  HttpBackend backend(primary_address);
  const auto config = [&](const std::string& site, const std::string& tls) {
    return lone_replica(site, etcd.client_url(0), "  tls: " + tls, backend.port());
  };
  Server good(config("good", "{ca: " + certs.ca + ", cert: " + certs.client_cert + ", key: " + certs.client_key + "}"));
  Server bad(config("bad", "{ca: " + certs.ca + "}"));
  CHECK(etcd.client_url(0).starts_with("https://"));
  REQUIRE_MESSAGE(eventually([&] { return replication_of(good)["connected"] == true; }, 5s), good.log());
  CHECK(replication_of(good)["live_sites"] == json({"good"}));
  REQUIRE_MESSAGE(eventually([&] { return !replication_of(bad)["last_error"].is_null(); }, 5s), bad.log());
  CHECK(replication_of(bad)["connected"] == false);
  // The good replica never sees the bad one: it never got a session to say it is live.
  CHECK(replication_of(good)["live_sites"] == json({"good"}));
}

TEST_CASE("replication: an override etcd never held (a new cluster) is written to it from the replica's state file") {
  EtcdCluster etcd(1);
  HttpBackend primary(primary_address), secondary(secondary_address);
  TempDir dir;
  const auto state = dir.write("state.json", R"({"version": 1, "overrides": [{"profile": "web", "endpoint": "primary",
    "override": "drain", "since": "2026-12-01T10:00:00.000Z"}]})");
  const auto config = [&](const std::string& site, const std::string& state_file) {
    return fill(replica_config, {{"SOURCE", "127.0.0.1"},
                                 {"STATE", state_file},
                                 {"LEASE", "2s"},
                                 {"SITE", site},
                                 {"ETCD", etcd.client_url(0)},
                                 {"PRIMARY", std::to_string(primary.port())},
                                 {"SECONDARY", std::to_string(secondary.port())}});
  };
  Server first(config("site1", state));
  REQUIRE_MESSAGE(first.wait_for_log("written to etcd, which did not have it"), first.log());
  REQUIRE(eventually([&] { return etcd.etcdctl({"get", "/meridian/overrides/web/primary"}).find("\"drain\"") != std::string::npos; }));
  // A key some other writer escaped badly is passed over, not a reason to stop replicating.
  etcd.etcdctl({"put", "/meridian/overrides/x%zz/y", "{}"});
  // A replica that starts with no state of its own takes the drain from etcd.
  Server second(config("site2", dir.path() + "/second.json"));
  REQUIRE_MESSAGE(second.wait_for_log("override web/primary none -> drain from=site1 (through etcd)"), second.log());
  const auto reply = query_udp(second.port(), "web.example.test", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{secondary_address});
  CHECK(first.log().find("drain -> none") == std::string::npos);  // never lifted on the way
  CHECK(second.log().find("ignoring key /meridian/overrides/x%zz/y") != std::string::npos);
  CHECK(replication_of(second)["connected"] == true);
}

TEST_CASE("replication: a reload starts its new health table from the combined verdicts, not this site's own") {
  Replicas r(1);
  r.primary.set_status_from(source_of(0), 503);
  r.primary.set_status_from(source_of(1), 503);
  REQUIRE(r.all_answer(secondary_address, 3s));
  // site3's own probes still reach the primary; only the combined verdict keeps it out.
  REQUIRE(r.endpoint(2, "primary")["probe_status"] == "Online");
  const auto reloaded = http_post(r.replicas[2]->control_port(), "/v1/reload");
  REQUIRE_MESSAGE(reloaded.status == 200, reloaded.body);
  // No event has arrived since: the new table must have been given the combined verdict.
  CHECK(r.answer(2) == secondary_address);
  CHECK(r.endpoint(2, "primary")["combined"]["status"] == "Degraded");
}
