// System-test harness: starts the real `meridian` binary on loopback and queries it over the
// wire with ldns as the client.
#pragma once

// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meridian::test {

using namespace std::chrono_literals;

struct PktDeleter {
  void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
using Packet = std::unique_ptr<ldns_pkt, PktDeleter>;

// A temporary folder, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the meridian binary with `args` to completion (bounded by `timeout`).
RunResult run_meridian(const std::vector<std::string>& args, std::chrono::seconds timeout = 30s);

// A running `meridian serve`. The constructor waits for the "ready" log line (or fails the
// test); the destructor stops the process by its PID.
class Server {
 public:
  // `config` is YAML; {ZONES} in it is replaced by the fixtures' zone folder. The server
  // listens on 127.0.0.1 (and [::1] when `ipv6`) on a free port.
  explicit Server(const std::string& config, bool ipv6 = false);
  // Serves an existing config file as it is (relative paths stay relative to it).
  struct File {
    std::string path;
  };
  explicit Server(File config, bool ipv6 = false);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const { return port_; }
  uint16_t control_port() const { return control_port_; }  // the control API, on 127.0.0.1
  pid_t pid() const { return pid_; }
  // Everything the server logged so far.
  std::string log();
  // Waits until the log contains `text`; false on timeout.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = 10s);

 private:
  void start(const std::string& config_file, bool ipv6);
  void read_available();
  TempDir dir_;
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  uint16_t port_ = 0;
  uint16_t control_port_ = 0;
  std::string log_;
};

struct QueryOptions {
  bool edns = true;
  uint16_t udp_size = 1232;
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  bool nsid = false;
  std::optional<std::string> ecs{};  // "192.0.2.0/24"
  bool rd = false;
};

// Builds a query packet.
Packet make_query(const std::string& name, ldns_rr_type type, const QueryOptions& options = {});
std::vector<uint8_t> to_wire(const ldns_pkt* pkt);

// Sends raw bytes over UDP to 127.0.0.1:port (or ::1) and returns the raw reply with the
// query's ID, or nothing when none comes within `timeout`.
std::optional<std::vector<uint8_t>> udp_exchange(uint16_t port, const std::vector<uint8_t>& query,
                                                 std::chrono::milliseconds timeout = 2s, bool ipv6 = false);

// A TCP connection to the server, with RFC 7766 length framing.
class TcpClient {
 public:
  // receive_buffer > 0 fixes SO_RCVBUF (no autotuning), for tests of a client that reads slowly.
  explicit TcpClient(uint16_t port, bool ipv6 = false, int receive_buffer = 0);
  // From another loopback address ("127.0.0.2"): a different client to the server.
  struct From {
    std::string address;
  };
  TcpClient(uint16_t port, From source);
  ~TcpClient();
  bool send(const std::vector<uint8_t>& message);
  bool send_raw(const std::vector<uint8_t>& bytes);
  // Sends from `bytes` until all are sent or the socket has taken nothing for `quiet` (the
  // server has stopped reading); returns how many were sent.
  size_t send_until_stalled(const std::vector<uint8_t>& bytes, std::chrono::milliseconds quiet);
  // Half-closes: the server reads end-of-file after what was sent.
  void finish_sending();
  uint16_t local_port() const;
  // Closes with a reset (SO_LINGER 0), as a client that crashed or gave up would.
  void reset();
  std::optional<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout = 2s);
  // True once the server has closed the connection (reads EOF) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

// Writes each (origin, zone file text) into `dir` and a config serving them all with one worker.
Server::File zones_config(const TempDir& dir,
                          std::initializer_list<std::pair<std::string, std::string>> zones);

// What the kernel reports of a process: resident memory, open file descriptors.
size_t resident_kib(pid_t pid);
// The kernel's name ("socket:[INODE]") of `pid`'s end of the IPv4 TCP connection from
// `client_port`, once `pid` has accepted it, or "" when it has not within 10 s; and whether `pid` still holds
// that socket open (once reset, a connection leaves the kernel's table, but the process's descriptor stays).
std::string socket_of_connection_from(pid_t pid, uint16_t client_port);
bool holds_socket(pid_t pid, const std::string& socket);
// Bytes the client at `client_port` sent that `pid` has not read yet (the kernel's rx_queue).
size_t unread_from(pid_t pid, uint16_t client_port);

Packet parse(const std::vector<uint8_t>& wire);
// Queries over UDP and parses the answer; fails the test if none comes.
Packet query_udp(uint16_t port, const std::string& name, ldns_rr_type type, const QueryOptions& options = {});
Packet query_tcp(uint16_t port, const std::string& name, ldns_rr_type type, const QueryOptions& options = {});

// Readable views of a response for assertions.
std::vector<std::string> section(const ldns_pkt* pkt,
                                 ldns_pkt_section which);  // "owner ttl class type rdata"
std::vector<std::string> rdatas(const ldns_pkt* pkt, ldns_pkt_section which, ldns_rr_type type);
std::string rcode_name(const ldns_pkt* pkt);

// The ECS option of a response: family, source prefix, scope prefix; nullopt when absent.
struct EcsReply {
  uint16_t family;
  uint8_t source;
  uint8_t scope;
};
std::optional<EcsReply> ecs_of(const ldns_pkt* pkt);
std::optional<std::string> nsid_of(const ldns_pkt* pkt);

// The config text with each placeholder replaced, e.g. fill(config, {{"PRIMARY_PORT", "8080"}}).
std::string fill(std::string text, std::initializer_list<std::pair<std::string, std::string>> values);

std::string fixtures();      // tests/fixtures
std::string geo_testdata();  // tests/fixtures/geo-testdata

}  // namespace meridian::test
