// Real local backends for the probes tests, all on 127.0.0.1 (or ::1): a tiny HTTP/1.1 server whose
// answer the test sets (status, body size, redirect, or no answer at all) and which records where
// each connection came from, a listener whose accept queue is full (connects hang), and
// `openssl s_server` for HTTPS.
//
// Hand-written rather than cpp-httplib: Debian's httplib is a compiled library, and the probes
// test executable links nothing beyond meridian_probes and doctest.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace probes_test {

// Polls `done` until it holds or `limit` passes: tests wait on events, never a fixed sleep.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline sockaddr_in loopback_address(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A listening socket on 127.0.0.1 (or ::1) with a kernel-chosen port.
inline int listen_loopback(int backlog, uint16_t& port, bool ipv6 = false) {
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (ipv6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_addr = in6addr_loopback;
    length = sizeof *address;
  } else {
    *reinterpret_cast<sockaddr_in*>(&storage) = loopback_address(0);
    length = sizeof(sockaddr_in);
  }
  auto* address = reinterpret_cast<sockaddr*>(&storage);
  if (bind(fd, address, length) < 0 || listen(fd, backlog) < 0 || getsockname(fd, address, &length) < 0) {
    close(fd);
    throw std::runtime_error(ipv6 ? "cannot listen on ::1" : "cannot listen on 127.0.0.1");
  }
  port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return fd;
}

inline bool ipv6_loopback_available() {
  try {
    uint16_t port = 0;
    close(listen_loopback(1, port, /*ipv6=*/true));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// A port on 127.0.0.1 that nothing listens on (just released by us).
inline uint16_t closed_port() {
  uint16_t port = 0;
  close(listen_loopback(1, port));
  return port;
}

inline bool can_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback_address(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

class HttpBackend {
 public:
  struct Request {
    std::string path;
    std::string host;
    std::string user_agent;
  };

  explicit HttpBackend(bool ipv6 = false) {
    listener_ = listen_loopback(64, port_, ipv6);
    if (pipe2(wake_, O_CLOEXEC) < 0) throw std::runtime_error("pipe failed");
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpBackend() {
    char byte = 'q';
    (void)!write(wake_[1], &byte, 1);
    thread_.join();
    for (int fd : held_) close(fd);
    close(listener_);
    close(wake_[0]);
    close(wake_[1]);
  }
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  uint16_t port() const { return port_; }

  // How the next requests are answered.
  void respond(int status, size_t body_size = 2, std::string location = "") {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_size_ = body_size;
    location_ = std::move(location);
    hang_ = false;
  }
  // Read requests but never answer them (connections are held open until the backend dies).
  void hang() {
    std::lock_guard lock(mutex_);
    hang_ = true;
  }

  // Requests received, all of them or those answered with `status` (0: not answered).
  uint64_t requests() const { return requests_.load(); }
  uint64_t answered(int status) const {
    std::lock_guard lock(mutex_);
    auto found = answered_.find(status);
    return found == answered_.end() ? 0 : found->second;
  }
  Request last_request() const {
    std::lock_guard lock(mutex_);
    return last_;
  }
  // The source address of every connection accepted, in order (TCP probes send no request).
  std::vector<std::string> peers() const {
    std::lock_guard lock(mutex_);
    return peers_;
  }

 private:
  void serve() {
    while (true) {
      pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      int client = accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
      if (client < 0) continue;
      {
        std::lock_guard lock(mutex_);
        peers_.push_back(peer_address(peer));
      }
      handle(client);
    }
  }

  static std::string peer_address(const sockaddr_storage& peer) {
    char text[INET6_ADDRSTRLEN] = "";
    if (peer.ss_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, text, sizeof text);
    else
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, text, sizeof text);
    return text;
  }

  static std::string header_value(const std::string& head, const std::string& name) {
    std::string lower = head;
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    auto at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    auto start = head.find_first_not_of(' ', at + name.size() + 3);
    return head.substr(start, head.find("\r\n", start) - start);
  }

  void handle(int client) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
      pollfd readable{client, POLLIN, 0};
      if (poll(&readable, 1, 2000) <= 0) break;
      ssize_t n = read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      head.append(buffer, size_t(n));
      if (!std::isupper(static_cast<unsigned char>(head[0]))) break;  // not HTTP (a TLS hello)
    }
    if (!head.empty() && !std::isupper(static_cast<unsigned char>(head[0]))) {
      static const char bad_request[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
      (void)!send(client, bad_request, sizeof bad_request - 1, MSG_NOSIGNAL);
      close(client);
      return;
    }
    if (head.find("\r\n\r\n") == std::string::npos) {
      close(client);
      return;
    }
    Request request;
    auto first_space = head.find(' ');
    request.path = head.substr(first_space + 1, head.find(' ', first_space + 1) - first_space - 1);
    request.host = header_value(head, "host");
    request.user_agent = header_value(head, "user-agent");

    std::unique_lock lock(mutex_);
    last_ = request;
    if (hang_) {
      ++answered_[0];
      held_.push_back(client);
      lock.unlock();
      ++requests_;
      return;
    }
    int status = status_;
    size_t body_size = body_size_;
    std::string location = location_;
    ++answered_[status];
    lock.unlock();
    ++requests_;

    std::string response = "HTTP/1.1 " + std::to_string(status) + " Test\r\n" +
                           "Content-Length: " + std::to_string(body_size) + "\r\n" + "Connection: close\r\n";
    if (!location.empty()) response += "Location: " + location + "\r\n";
    response += "\r\n";
    response += std::string(body_size, 'x');
    timeval limit{2, 0};
    setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    size_t sent = 0;
    while (sent < response.size()) {
      ssize_t n = send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the prober hung up (it reads at most 64 KiB of a body)
      sent += size_t(n);
    }
    close(client);
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mutex_;
  int status_ = 200;
  size_t body_size_ = 2;
  std::string location_;
  bool hang_ = false;
  std::map<int, uint64_t> answered_;
  Request last_;
  std::vector<std::string> peers_;
  std::vector<int> held_;
  std::atomic<uint64_t> requests_{0};
};

// A listener that never accepts, with its one-slot accept queue filled: further connects get
// no SYN-ACK (Linux drops SYNs for a full queue), so a TCP probe can only time out.
class FullListener {
 public:
  FullListener() {
    listener_ = listen_loopback(0, port_);
    filler_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback_address(port_);
    if (connect(filler_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
      throw std::runtime_error("cannot fill the accept queue");
  }
  ~FullListener() {
    close(filler_);
    close(listener_);
  }
  FullListener(const FullListener&) = delete;
  FullListener& operator=(const FullListener&) = delete;
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  int filler_ = -1;
  uint16_t port_ = 0;
};

// `openssl s_server -www` with a self-signed certificate made at start, in a temporary folder.
class TlsBackend {
 public:
  TlsBackend() {
    char pattern[] = "/tmp/meridian-probes-tls-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    folder_ = pattern;
    std::string cert = (folder_ / "cert.pem").string();
    std::string key = (folder_ / "key.pem").string();
    std::string make_cert =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -days 1 -subj /CN=localhost -keyout " +
        key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(make_cert.c_str()) != 0) throw std::runtime_error("openssl req failed");

    port_ = closed_port();
    std::string accept = "127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args{"openssl", "s_server", "-accept", accept, "-cert",
                                  cert,      "-key",     key,       "-www", "-quiet"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    int spawned = posix_spawnp(&pid_, "openssl", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) throw std::runtime_error("cannot start openssl s_server");
    if (!wait_until([&] { return can_connect(port_); }))
      throw std::runtime_error("openssl s_server did not start listening");
  }
  ~TlsBackend() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }
  TlsBackend(const TlsBackend&) = delete;
  TlsBackend& operator=(const TlsBackend&) = delete;
  uint16_t port() const { return port_; }

 private:
  std::filesystem::path folder_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace probes_test
