// Type=notify: `serve` tells the service manager (the socket in $NOTIFY_SOCKET) READY=1 once it
// answers, RELOADING=1 then READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;
using namespace std::chrono_literals;

namespace {

// The service manager's end: a datagram socket at a path, as systemd makes one.
class NotifySocket {
 public:
  NotifySocket() {
    path_ = dir_.path() + "/notify";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof(address.sun_path));
    std::memcpy(address.sun_path, path_.c_str(), path_.size());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~NotifySocket() { close(fd_); }
  const std::string& path() const { return path_; }
  // The next message, or "" when none comes in time.
  std::string next(std::chrono::milliseconds timeout = 10s) {
    pollfd entry{fd_, POLLIN, 0};
    if (poll(&entry, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    const ssize_t size = recv(fd_, buffer, sizeof(buffer), 0);
    return size > 0 ? std::string(buffer, static_cast<size_t>(size)) : "";
  }

 private:
  TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

// $NOTIFY_SOCKET set only while the server is started, so only that child inherits it.
struct NotifiedServer {
  explicit NotifiedServer(const std::string& socket_path)
      : server((setenv("NOTIFY_SOCKET", socket_path.c_str(), 1), static_config)) {
    unsetenv("NOTIFY_SOCKET");
  }
  Server server;
};

bool has_line(const std::string& message, const std::string& line) {
  return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("serve notifies READY=1 once it answers, around a SIGHUP reload, and STOPPING=1 at the end") {
  NotifySocket manager;
  NotifiedServer started(manager.path());
  Server& server = started.server;

  const std::string ready = manager.next();
  CHECK(has_line(ready, "READY=1"));
  CHECK(ready.find("STATUS=answering on 1 address(es)") != std::string::npos);
  // Ready means answering: a query sent on READY is answered.
  auto reply = query_udp(server.port(), "www.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});

  REQUIRE(kill(server.pid(), SIGHUP) == 0);
  const std::string reloading = manager.next();
  CHECK(has_line(reloading, "RELOADING=1"));
  CHECK(reloading.find("MONOTONIC_USEC=") != std::string::npos);
  CHECK(has_line(manager.next(), "READY=1"));
  CHECK(server.wait_for_log("info server: reloaded"));

  REQUIRE(kill(server.pid(), SIGTERM) == 0);
  CHECK(has_line(manager.next(), "STOPPING=1"));
  CHECK(server.wait_for_log("info server: stopped"));
}

TEST_CASE("without a service manager listening, serve warns once and answers") {
  TempDir dir;
  NotifiedServer started(dir.path() + "/nobody-listens");
  Server& server = started.server;
  auto reply = query_udp(server.port(), "www.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
  // READY and STOPPING both fail to arrive; "stopped" is logged after both were sent.
  REQUIRE(kill(server.pid(), SIGTERM) == 0);
  REQUIRE(server.wait_for_log("info server: stopped"));
  const std::string log = server.log();
  const std::string warning = "could not notify the service manager";
  const auto first = log.find(warning);
  CHECK(first != std::string::npos);
  CHECK(log.find(warning, first + 1) == std::string::npos);
}
