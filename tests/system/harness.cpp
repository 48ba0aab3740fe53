// The system-test harness: process control, sockets and ldns packet helpers.
#include "harness.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace meridian::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

sockaddr_storage loopback(uint16_t port, bool ipv6, socklen_t& length) {
  sockaddr_storage storage{};
  if (ipv6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    in6->sin6_addr = in6addr_loopback;
    length = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(sockaddr_in);
  }
  return storage;
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  return poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
}

std::string read_all(int fd) {
  std::string result;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) result.append(buffer, n);
  return result;
}

}  // namespace

std::string fill(std::string text, std::initializer_list<std::pair<std::string, std::string>> values) {
  for (const auto& [placeholder, value] : values) text = replace_all(std::move(text), placeholder, value);
  return text;
}

std::string fixtures() {
  return MERIDIAN_SOURCE_DIR "/tests/fixtures";
}
std::string geo_testdata() {
  return MERIDIAN_GEO_TESTDATA;
}

TempDir::TempDir() {
  char pattern[] = "/tmp/meridian-test-XXXXXX";
  path_ = mkdtemp(pattern);
}
TempDir::~TempDir() {
  std::filesystem::remove_all(path_);
}
std::string TempDir::write(const std::string& name, const std::string& content) const {
  const auto file = path_ + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  std::ofstream(file) << content;
  return file;
}

RunResult run_meridian(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  int out_pipe[2], err_pipe[2];
  REQUIRE(pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err_pipe, O_CLOEXEC) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::vector<char*> argv{const_cast<char*>(MERIDIAN_BINARY)};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    static char allow_root[] = "--allow-root";  // as Server::start does
    if (!args.empty() && args[0] == "serve" && geteuid() == 0) argv.insert(argv.begin() + 2, allow_root);
    argv.push_back(nullptr);
    execv(MERIDIAN_BINARY, argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  // Drain both pipes while waiting, so a chatty child cannot block on a full pipe.
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  while (true) {
    result.out += read_all(out_pipe[0]);
    result.err += read_all(err_pipe[0]);
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL("meridian did not finish in time");
    }
    pollfd entries[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    poll(entries, 2, 50);
  }
  result.out += read_all(out_pipe[0]);
  result.err += read_all(err_pipe[0]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Server::Server(const std::string& config, bool ipv6) {
  start(dir_.write("meridian.yaml", replace_all(replace_all(config, "{ZONES}", fixtures() + "/zones"),
                                                "{GEO}", geo_testdata())),
        ipv6);
}

Server::Server(File config, bool ipv6) {
  start(config.path, ipv6);
}

void Server::start(const std::string& file, bool ipv6) {
  int err_pipe[2];
  REQUIRE(pipe2(err_pipe, O_CLOEXEC) == 0);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
    dup2(err_pipe[1], 2);
    close(err_pipe[0]);
    std::vector<const char*> argv{MERIDIAN_BINARY, "serve",       "--config",  file.c_str(),
                                  "--listen",      "127.0.0.1:0", "--control", "127.0.0.1:0"};
    if (geteuid() == 0) argv.push_back("--allow-root");  // CI runs as root; privileges_test drops
    if (ipv6) {
      argv.push_back("--listen");
      argv.push_back("[::1]:0");
    }
    argv.push_back(nullptr);
    execv(MERIDIAN_BINARY, const_cast<char**>(argv.data()));
    _exit(127);
  }
  close(err_pipe[1]);
  stderr_fd_ = err_pipe[0];
  fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
  // gdnsd's tests wait for the daemon's "listening" line; so do we, with a deadline.
  if (!wait_for_log("server: ready", 15s)) FAIL("meridian did not start:\n" << log_);
  std::smatch match;
  static const std::regex listening(R"(server: listening address=127\.0\.0\.1:(\d+))");
  REQUIRE(std::regex_search(log_, match, listening));
  port_ = static_cast<uint16_t>(std::stoi(match[1]));
  static const std::regex control(R"(control: listening address=127\.0\.0\.1:(\d+))");
  REQUIRE(std::regex_search(log_, match, control));
  control_port_ = static_cast<uint16_t>(std::stoi(match[1]));
}

Server::~Server() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + 5s;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);  // polling a child's exit; there is no event to wait on
    }
  }
  if (stderr_fd_ >= 0) {
    read_available();
    close(stderr_fd_);
  }
  // In a sanitizer build the server's own reports (LeakSanitizer's come at exit) fail the test;
  // a shared server, stopped at the test program's exit, fails the program.
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    if (log_.find(report) == std::string::npos) continue;
    if (doctest::is_running_in_test) {
      FAIL_CHECK("the server reported " << report << ":\n" << log_);
    } else {
      std::fprintf(stderr, "a shared test server reported %s:\n%s\n", report, log_.c_str());
      std::_Exit(1);  // at exit, after every test: nothing else is left to report it
    }
  }
}

void Server::read_available() {
  log_ += read_all(stderr_fd_);
}

std::string Server::log() {
  read_available();
  return log_;
}

bool Server::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    read_available();
    if (log_.find(text) != std::string::npos) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      read_available();
      return log_.find(text) != std::string::npos;
    }
    wait_readable(stderr_fd_, std::min(left, std::chrono::milliseconds(200)));
  }
}

Packet make_query(const std::string& name, ldns_rr_type type, const QueryOptions& options) {
  ldns_pkt* pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, LDNS_RR_CLASS_IN,
                                     options.rd ? LDNS_RD : 0);
  REQUIRE(pkt != nullptr);
  ldns_pkt_set_random_id(pkt);
  if (options.edns) {
    ldns_pkt_set_edns_udp_size(pkt, options.udp_size);
    ldns_pkt_set_edns_version(pkt, options.edns_version);
    ldns_pkt_set_edns_do(pkt, options.dnssec_ok);
    std::string data;
    auto put16 = [&](unsigned v) {
      data.push_back(static_cast<char>(v >> 8));
      data.push_back(static_cast<char>(v & 0xff));
    };
    if (options.nsid) {
      put16(3);
      put16(0);
    }
    if (options.ecs) {
      const auto slash = options.ecs->find('/');
      const auto address = options.ecs->substr(0, slash);
      const int prefix = std::stoi(options.ecs->substr(slash + 1));
      uint8_t bytes[16] = {};
      const bool v6 = address.find(':') != std::string::npos;
      REQUIRE(inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), bytes) == 1);
      const size_t length = (prefix + 7) / 8;
      put16(8);
      put16(4 + length);
      put16(v6 ? 2 : 1);
      data.push_back(static_cast<char>(prefix));
      data.push_back(0);
      data.append(reinterpret_cast<char*>(bytes), length);
    }
    if (!data.empty())
      ldns_pkt_set_edns_data(pkt, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, data.size(), data.data()));
    if (options.udp_size == 0 && data.empty()) ldns_pkt_set_edns_udp_size(pkt, 512);
  }
  return Packet(pkt);
}

std::vector<uint8_t> to_wire(const ldns_pkt* pkt) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt, &size) == LDNS_STATUS_OK);
  std::vector<uint8_t> result(wire, wire + size);
  free(wire);
  return result;
}

std::optional<std::vector<uint8_t>> udp_exchange(uint16_t port, const std::vector<uint8_t>& query,
                                                 std::chrono::milliseconds timeout, bool ipv6) {
  const int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  socklen_t length = 0;
  auto address = loopback(port, ipv6, length);
  REQUIRE(sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&address), length) ==
          static_cast<ssize_t>(query.size()));
  // A datagram whose ID is not the query's is passed over, as a resolver does (RFC 5452 9.1): a
  // fresh socket may get the port of one just closed, and the late answer meant for it.
  std::optional<std::vector<uint8_t>> reply;
  const auto deadline = Clock::now() + timeout;
  std::vector<uint8_t> buffer(65536);
  while (!reply) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (!wait_readable(fd, std::max(left, std::chrono::milliseconds(0)))) break;
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0) break;
    if (query.size() >= 2 && (n < 2 || buffer[0] != query[0] || buffer[1] != query[1])) continue;
    buffer.resize(static_cast<size_t>(n));
    reply = std::move(buffer);
  }
  close(fd);
  return reply;
}

TcpClient::TcpClient(uint16_t port, bool ipv6, int receive_buffer) {
  fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  if (receive_buffer > 0)
    REQUIRE(setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) == 0);
  socklen_t length = 0;
  auto address = loopback(port, ipv6, length);
  REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
}
TcpClient::TcpClient(uint16_t port, From source) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, source.address.c_str(), &local.sin_addr) == 1);
  REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  socklen_t length = 0;
  auto address = loopback(port, false, length);
  REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
}
TcpClient::~TcpClient() {
  if (fd_ >= 0) close(fd_);
}

bool TcpClient::send_raw(const std::vector<uint8_t>& bytes) {
  // All of it, however long the server takes to read (a sanitized server is slow), as long as
  // it takes something every 30 s.
  return send_until_stalled(bytes, std::chrono::seconds(30)) == bytes.size();
}

size_t TcpClient::send_until_stalled(const std::vector<uint8_t>& bytes, std::chrono::milliseconds quiet) {
  // One send may take only part, or end early on a signal.
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    pollfd entry{fd_, POLLOUT, 0};
    if (poll(&entry, 1, static_cast<int>(quiet.count())) == 0) break;
  }
  return sent;
}

void TcpClient::finish_sending() {
  REQUIRE(shutdown(fd_, SHUT_WR) == 0);
}

void TcpClient::reset() {
  const linger abort{1, 0};
  REQUIRE(setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort) == 0);
  close(fd_);
  fd_ = -1;
}

uint16_t TcpClient::local_port() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);  // same place in sockaddr_in6
}

bool TcpClient::send(const std::vector<uint8_t>& message) {
  std::vector<uint8_t> framed{static_cast<uint8_t>(message.size() >> 8),
                              static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  return send_raw(framed);
}

std::optional<std::vector<uint8_t>> TcpClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<uint8_t> buffer;
  size_t want = 2;
  bool have_length = false;
  while (buffer.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !wait_readable(fd_, left)) return std::nullopt;
    uint8_t chunk[4096];
    const ssize_t n = recv(fd_, chunk, std::min(sizeof chunk, want - buffer.size()), 0);
    if (n <= 0) return std::nullopt;
    buffer.insert(buffer.end(), chunk, chunk + n);
    if (!have_length && buffer.size() == 2) {
      want = 2 + (size_t(buffer[0]) << 8 | buffer[1]);
      have_length = true;
    }
  }
  return std::vector<uint8_t>(buffer.begin() + 2, buffer.end());
}

bool TcpClient::closed_by_peer(std::chrono::milliseconds timeout) {
  if (!wait_readable(fd_, timeout)) return false;
  uint8_t byte;
  return recv(fd_, &byte, 1, 0) == 0;
}

Server::File zones_config(const TempDir& dir,
                          std::initializer_list<std::pair<std::string, std::string>> zones) {
  std::string config = "server:\n  workers: 1\nzones:\n";
  for (const auto& [origin, text] : zones)
    config += "  - {origin: " + origin + ", file: " + dir.write(origin + ".zone", text) + "}\n";
  return Server::File{dir.write("meridian.yaml", config)};
}

size_t resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  FAIL("no VmRSS for process " << pid);
  return 0;
}

namespace {

// The kernel's table of `pid`'s IPv4 TCP sockets: each connection's remote port, inode and
// receive queue ("rem_address" is the client's end).
struct TcpEntry {
  uint16_t remote_port;
  std::string socket;  // "socket:[inode]", as the process's descriptors link to it
  size_t unread;
};
std::vector<TcpEntry> tcp_table(pid_t pid) {
  std::ifstream table("/proc/" + std::to_string(pid) + "/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  std::vector<TcpEntry> entries;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    entries.push_back({static_cast<uint16_t>(std::stoul(remote.substr(remote.find(':') + 1), nullptr, 16)),
                       "socket:[" + inode + "]",
                       std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16)});
  }
  return entries;
}

}  // namespace

std::string socket_of_connection_from(pid_t pid, uint16_t client_port) {
  // The kernel completes a connection before the server accepts it (and a busy table can be
  // read past an entry): look until the server holds it, up to 10 s.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  do {
    for (const auto& entry : tcp_table(pid))
      if (entry.remote_port == client_port && holds_socket(pid, entry.socket)) return entry.socket;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (Clock::now() < deadline);
  return "";
}

size_t unread_from(pid_t pid, uint16_t client_port) {
  for (const auto& entry : tcp_table(pid))
    if (entry.remote_port == client_port && holds_socket(pid, entry.socket)) return entry.unread;
  return 0;
}

bool holds_socket(pid_t pid, const std::string& socket) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code error;
    if (std::filesystem::read_symlink(entry.path(), error).string() == socket) return true;
  }
  return false;
}

Packet parse(const std::vector<uint8_t>& wire) {
  ldns_pkt* pkt = nullptr;
  REQUIRE(ldns_wire2pkt(&pkt, wire.data(), wire.size()) == LDNS_STATUS_OK);
  return Packet(pkt);
}

Packet query_udp(uint16_t port, const std::string& name, ldns_rr_type type, const QueryOptions& options) {
  auto query = make_query(name, type, options);
  auto reply = udp_exchange(port, to_wire(query.get()));
  REQUIRE_MESSAGE(reply.has_value(), "no UDP reply for " << name);
  auto pkt = parse(*reply);
  CHECK(ldns_pkt_id(pkt.get()) == ldns_pkt_id(query.get()));
  return pkt;
}

Packet query_tcp(uint16_t port, const std::string& name, ldns_rr_type type, const QueryOptions& options) {
  auto query = make_query(name, type, options);
  TcpClient client(port);
  REQUIRE(client.send(to_wire(query.get())));
  auto reply = client.receive();
  REQUIRE_MESSAGE(reply.has_value(), "no TCP reply for " << name);
  return parse(*reply);
}

std::vector<std::string> section(const ldns_pkt* pkt, ldns_pkt_section which) {
  std::vector<std::string> lines;
  const ldns_rr_list* list = which == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(pkt)
                             : which == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(pkt)
                             : which == LDNS_SECTION_QUESTION  ? ldns_pkt_question(pkt)
                                                               : ldns_pkt_additional(pkt);
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    char* text = ldns_rr2str(ldns_rr_list_rr(list, i));
    std::string line = text;
    free(text);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    for (auto& c : line)
      if (c == '\t') c = ' ';
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> rdatas(const ldns_pkt* pkt, ldns_pkt_section which, ldns_rr_type type) {
  std::vector<std::string> result;
  const ldns_rr_list* list = which == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(pkt)
                             : which == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(pkt)
                                                               : ldns_pkt_additional(pkt);
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_type(rr) != type) continue;
    std::string value;
    for (size_t j = 0; j < ldns_rr_rd_count(rr); ++j) {
      char* text = ldns_rdf2str(ldns_rr_rdf(rr, j));
      value += (j ? " " : "") + std::string(text);
      free(text);
    }
    result.push_back(value);
  }
  return result;
}

std::string rcode_name(const ldns_pkt* pkt) {
  const unsigned rcode = ldns_pkt_get_rcode(pkt) | (unsigned(ldns_pkt_edns_extended_rcode(pkt)) << 4);
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 16: return "BADVERS";
    default: return "RCODE" + std::to_string(rcode);
  }
}

namespace {
std::optional<std::pair<uint16_t, std::string>> option(const ldns_pkt* pkt, uint16_t wanted) {
  const ldns_rdf* data = ldns_pkt_edns_data(pkt);
  if (!data) return std::nullopt;
  const uint8_t* bytes = ldns_rdf_data(data);
  const size_t size = ldns_rdf_size(data);
  for (size_t at = 0; at + 4 <= size;) {
    const uint16_t code = uint16_t(bytes[at] << 8 | bytes[at + 1]);
    const uint16_t length = uint16_t(bytes[at + 2] << 8 | bytes[at + 3]);
    if (code == wanted)
      return std::pair{length, std::string(reinterpret_cast<const char*>(bytes + at + 4), length)};
    at += 4 + length;
  }
  return std::nullopt;
}
}  // namespace

std::optional<EcsReply> ecs_of(const ldns_pkt* pkt) {
  auto found = option(pkt, 8);
  if (!found || found->second.size() < 4) return std::nullopt;
  const auto& bytes = found->second;
  return EcsReply{uint16_t(uint8_t(bytes[0]) << 8 | uint8_t(bytes[1])), uint8_t(bytes[2]), uint8_t(bytes[3])};
}

std::optional<std::string> nsid_of(const ldns_pkt* pkt) {
  auto found = option(pkt, 3);
  if (!found) return std::nullopt;
  return found->second;
}

}  // namespace meridian::test
