// System-test helper: a real etcd cluster (Debian's etcd 3.4) on 127.0.0.1, for the tests of
// replication, whose replicas share health verdicts through etcd's v3 JSON gateway.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"      // TempDir
#include "http_client.h"  // HttpReply

namespace meridian::test {

// `members` etcd processes on 127.0.0.1, each with its own free client and peer port, their data
// in a fresh temporary folder. The constructor returns once every member answers /health with
// {"health":"true"} (within 20 s; otherwise it throws std::runtime_error with the members' log
// tails, having stopped what it started). Failures of the other calls throw the same way.
class EtcdCluster {
 public:
  // TLS on the client URLs (https://), with client certificates required: the server's
  // certificate and key and the CA that signed both it and the clients'. Health is then read from
  // a plain-HTTP metrics URL of each member.
  struct Tls {
    std::string ca, cert, key;
  };
  explicit EtcdCluster(int members = 1, std::optional<Tls> tls = std::nullopt);
  // Stops every running member by its PID, one after another (SIGTERM, SIGKILL after 5 s), and
  // removes the folder.
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  std::vector<std::string> client_urls() const;  // "http://127.0.0.1:PORT", one per member
  std::string client_url(int member) const;
  uint16_t client_port(int member) const;

  // SIGKILL, then waits for the exit.
  void kill(int member);
  // SIGSTOP and SIGCONT: a member that hangs (a partition: connections open, nothing answered).
  void pause(int member);
  void resume(int member);
  // Starts the member again on its data and ports, and waits until it is healthy (which needs a
  // quorum of the cluster running).
  void restart(int member);
  void kill_all();
  // Starts every member not running and waits until all are healthy.
  void restart_all();
  bool running(int member) const;
  // What the member wrote to stdout and stderr so far, across its restarts.
  std::string log(int member) const;
  // The member the running members know as their leader, or -1 when they know none.
  int leader() const;

  // Runs etcdctl (API v3) against every member's client URL and returns its stdout; throws when
  // it exits non-zero. Once enable_auth has run it passes the root user, unless `args` name a
  // --user themselves.
  std::string etcdctl(const std::vector<std::string>& args) const;
  // Turns authentication on: a root user, and `user`/`password` with the role `meridian`, which
  // may read and write the keys under `prefix`.
  void enable_auth(const std::string& user, const std::string& password, const std::string& prefix);

  // A POST of `json` to `path` of the member's JSON gateway ("/v3/kv/range"), as the product
  // will speak to etcd; a non-empty `token` (from /v3/auth/authenticate) goes in Authorization.
  // Status 0: no connection.
  HttpReply post(int member, const std::string& path, const std::string& json,
                 const std::string& token = "") const;

 private:
  struct Member {
    uint16_t client_port = 0;
    uint16_t peer_port = 0;
    uint16_t metrics_port = 0;  // /health over plain HTTP
    std::string data_dir;
    std::string log_file;
  };
  // The members' processes, in an object of their own so that a constructor failing half-way
  // still stops what it started.
  struct Processes {
    std::vector<pid_t> pids;  // -1: not running
    ~Processes();
  };

  void start(int member, bool new_cluster);
  void wait_healthy(const std::vector<int>& members) const;
  bool healthy(int member) const;
  [[noreturn]] void fail(const std::string& what) const;
  const Member& at(int member) const;

  TempDir dir_;
  std::string token_;  // --initial-cluster-token, unique to this cluster
  std::optional<Tls> tls_;
  std::string initial_cluster_;
  std::vector<Member> members_;
  mutable Processes processes_;  // running() reaps a member that exited on its own
  std::string root_password_;    // non-empty once enable_auth has run
};

// The JSON gateway's encoding of keys and values (standard alphabet, padded).
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // throws std::invalid_argument on a bad character

}  // namespace meridian::test
