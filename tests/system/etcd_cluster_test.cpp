// The etcd test cluster itself: what the replication tests will rely on it for (quorum, data kept
// across restarts, authentication), checked through the v3 JSON gateway the product will use.
#include "etcd_cluster.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace meridian::test {
namespace {

using nlohmann::json;

// POST /v3/kv/range for `key` on `member`'s gateway: the value, or nullopt when there is no such key.
std::optional<std::string> gateway_get(const EtcdCluster& cluster, int member, const std::string& key,
                                       const std::string& token = "") {
  const auto reply = cluster.post(member, "/v3/kv/range", json{{"key", base64_encode(key)}}.dump(), token);
  REQUIRE_MESSAGE(reply.status == 200,
                  "m" << member << " range " << key << ": " << reply.status << " " << reply.body);
  const auto body = json::parse(reply.body);
  if (!body.contains("kvs")) return std::nullopt;
  REQUIRE(body["kvs"].size() == 1);
  CHECK(base64_decode(body["kvs"][0]["key"].get<std::string>()) == key);
  return base64_decode(body["kvs"][0]["value"].get<std::string>());
}

int starts(const std::string& log) {
  int count = 0;
  for (size_t at = log.find("starting an etcd server"); at != std::string::npos;
       at = log.find("starting an etcd server", at + 1))
    ++count;
  return count;
}

TEST_CASE("etcd cluster: a write is read on every member, survives a member's loss and a restart of all") {
  EtcdCluster cluster(3);
  REQUIRE(cluster.size() == 3);
  CHECK(cluster.etcdctl({"put", "/meridian/a", "first"}) == "OK\n");
  for (int member = 0; member < 3; ++member) CHECK(gateway_get(cluster, member, "/meridian/a") == "first");
  CHECK(gateway_get(cluster, 1, "/meridian/absent") == std::nullopt);

  // A follower goes, so the write needs no election: two of three are still a quorum.
  const int leader = cluster.leader();
  REQUIRE(leader >= 0);
  const int follower = (leader + 1) % 3;
  cluster.kill(follower);
  CHECK_FALSE(cluster.running(follower));
  CHECK(cluster.post(follower, "/v3/kv/range", "{}").status == 0);
  CHECK(cluster.etcdctl({"put", "/meridian/b", "second"}) == "OK\n");
  CHECK(gateway_get(cluster, leader, "/meridian/b") == "second");
  cluster.restart(follower);
  CHECK(gateway_get(cluster, follower, "/meridian/b") == "second");  // caught up on what it missed

  cluster.kill_all();
  for (int member = 0; member < 3; ++member) CHECK_FALSE(cluster.running(member));
  cluster.restart_all();
  for (int member = 0; member < 3; ++member) {
    CHECK(cluster.running(member));
    CHECK(gateway_get(cluster, member, "/meridian/a") == "first");
    CHECK(gateway_get(cluster, member, "/meridian/b") == "second");
  }
  CHECK(starts(cluster.log(follower)) == 3);  // one log across its restarts
}

TEST_CASE(
    "etcd cluster: with authentication on, the gateway wants a token and the user reaches only its prefix") {
  EtcdCluster cluster(3);
  CHECK(cluster.etcdctl({"put", "/meridian/verdict", "online"}) == "OK\n");
  CHECK(cluster.etcdctl({"put", "/elsewhere", "x"}) == "OK\n");
  CHECK(gateway_get(cluster, 0, "/meridian/verdict") == "online");  // before: no token needed

  cluster.enable_auth("replica", "s3cret", "/meridian/");
  const auto range = json{{"key", base64_encode("/meridian/verdict")}}.dump();
  const auto anonymous = cluster.post(0, "/v3/kv/range", range);
  CHECK(anonymous.status == 400);
  CHECK(anonymous.body.find("user name is empty") != std::string::npos);

  CHECK(cluster.etcdctl({"--user=replica", "--password=s3cret", "get", "--print-value-only",
                         "/meridian/verdict"}) == "online\n");
  CHECK(cluster.etcdctl({"get", "--print-value-only", "/elsewhere"}) == "x\n");  // as root

  // The product's way in: a token from one member, used on another.
  const auto login =
      cluster.post(0, "/v3/auth/authenticate", json{{"name", "replica"}, {"password", "s3cret"}}.dump());
  REQUIRE_MESSAGE(login.status == 200, login.body);
  const auto token = json::parse(login.body).value("token", "");
  REQUIRE_FALSE(token.empty());
  CHECK(gateway_get(cluster, 1, "/meridian/verdict", token) == "online");
  const auto outside =
      cluster.post(1, "/v3/kv/range", json{{"key", base64_encode("/elsewhere")}}.dump(), token);
  CHECK(outside.status == 403);
  CHECK(outside.body.find("permission denied") != std::string::npos);
  const auto wrong =
      cluster.post(0, "/v3/auth/authenticate", json{{"name", "replica"}, {"password", "guess"}}.dump());
  CHECK(wrong.status == 400);
  CHECK(wrong.body.find("authentication failed") != std::string::npos);
}

}  // namespace
}  // namespace meridian::test
