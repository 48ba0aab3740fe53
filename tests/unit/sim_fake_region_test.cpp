// Unit tests for sim::FakeRegions: real loopback sockets, asked by a small blocking client.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "sim/fake_region.h"

using meridian::geo::Address;
using meridian::model::MonitorProtocol;
using meridian::sim::Behaviour;
using meridian::sim::FakeRegions;
using namespace std::chrono_literals;

namespace {

const char* const region_ip = "127.0.0.31";

Address ip(const char* text) {
  auto address = Address::parse(text);
  REQUIRE(address);
  return *address;
}

// Closes the client's socket on every path out of a test.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// A connected socket, or the connect's errno.
struct Connect {
  std::unique_ptr<Socket> socket;
  int error = 0;
};

Connect connect_to(const Address& address, uint16_t port) {
  sockaddr_storage storage{};
  socklen_t size = 0;
  if (address.family == meridian::geo::Family::v4) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&v4.sin_addr, address.bytes.data(), 4);
    size = sizeof v4;
  } else {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&v6.sin6_addr, address.bytes.data(), 16);
    size = sizeof v6;
  }
  auto socket = std::make_unique<Socket>(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(socket->fd() >= 0);
  if (::connect(socket->fd(), reinterpret_cast<const sockaddr*>(&storage), size) != 0)
    return {nullptr, errno};
  return {std::move(socket), 0};
}

void send_all(const Socket& socket, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(socket.fd(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<size_t>(n);
  }
}

void send_get(const Socket& socket, const std::string& path) {
  send_all(socket, "GET " + path + " HTTP/1.1\r\nHost: region\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n");
}

// The response's status code ("200"), or "timeout" when nothing came within `timeout`, or
// "closed" when the region closed (FIN or RST) without answering.
void set_receive_timeout(const Socket& socket, std::chrono::milliseconds timeout) {
  const timeval limit{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
                      .tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  REQUIRE(setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0);
}

std::string read_status(const Socket& socket, std::chrono::milliseconds timeout) {
  set_receive_timeout(socket, timeout);
  std::string received;
  char buffer[512];
  while (received.find("\r\n") == std::string::npos) {
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return "timeout";
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "closed";
    received.append(buffer, static_cast<size_t>(n));
  }
  REQUIRE(received.starts_with("HTTP/1.1 "));
  return received.substr(9, 3);
}

constexpr auto answer_timeout = 5s;  // generous: only a broken region takes this long

std::string get(const Address& address, uint16_t port, const std::string& path) {
  Connect connection = connect_to(address, port);
  if (!connection.socket) return std::string("connect: ") + std::strerror(connection.error);
  send_get(*connection.socket, path);
  return read_status(*connection.socket, answer_timeout);
}

// Polls for a state with a deadline: waits for the event, not for a time.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + answer_timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

const std::string refused = std::string("connect: ") + std::strerror(ECONNREFUSED);

struct HttpRegion {
  FakeRegions regions;
  size_t region = 0;
  uint16_t port = 0;
  explicit HttpRegion(meridian::model::Duration latency = 0ms) {
    region = regions.add("westeurope", ip(region_ip), 0, MonitorProtocol::http, "/health", latency);
    port = regions.port(region);
    regions.start();
  }
};

}  // namespace

TEST_CASE("a healthy HTTP region answers 200 on its path, then closes") {
  HttpRegion fixture;
  CHECK(fixture.port != 0);
  Connect connection = connect_to(ip(region_ip), fixture.port);
  REQUIRE(connection.socket);
  send_get(*connection.socket, "/health");
  CHECK(read_status(*connection.socket, answer_timeout) == "200");
  CHECK(fixture.regions.requests(fixture.region) == 1);
  // Connection: close: after the response, the end of the stream.
  char rest[1024];
  ssize_t n = 0;
  while ((n = ::recv(connection.socket->fd(), rest, sizeof rest, 0)) > 0) {
  }
  CHECK(n == 0);
}

TEST_CASE("a path other than the health path gets 404") {
  HttpRegion fixture;
  CHECK(get(ip(region_ip), fixture.port, "/other") == "404");
  CHECK(get(ip(region_ip), fixture.port, "/health?x=1") == "404");
}

TEST_CASE("a health path written without its leading slash is answered as the probes ask it") {
  FakeRegions regions;
  const size_t region = regions.add("eastus", ip(region_ip), 0, MonitorProtocol::http, "status", 0ms);
  regions.start();
  CHECK(get(ip(region_ip), regions.port(region), "/status") == "200");
}

TEST_CASE("a degraded region answers 503") {
  HttpRegion fixture;
  fixture.regions.set(fixture.region, Behaviour::degrade);
  CHECK(get(ip(region_ip), fixture.port, "/health") == "503");
}

TEST_CASE("a failed region refuses connections, and takes them again on the same port when it recovers") {
  HttpRegion fixture;
  CHECK(get(ip(region_ip), fixture.port, "/health") == "200");
  fixture.regions.set(fixture.region, Behaviour::fail);
  CHECK(get(ip(region_ip), fixture.port, "/health") == refused);
  fixture.regions.set(fixture.region, Behaviour::healthy);
  CHECK(fixture.regions.port(fixture.region) == fixture.port);
  CHECK(get(ip(region_ip), fixture.port, "/health") == "200");
}

TEST_CASE("failing resets the connections already open") {
  HttpRegion fixture;
  fixture.regions.set(fixture.region, Behaviour::hang);
  Connect connection = connect_to(ip(region_ip), fixture.port);
  REQUIRE(connection.socket);
  send_get(*connection.socket, "/health");
  REQUIRE(eventually([&] { return fixture.regions.requests(fixture.region) == 1; }));
  fixture.regions.set(fixture.region, Behaviour::fail);
  set_receive_timeout(*connection.socket, answer_timeout);
  char byte;
  errno = 0;
  CHECK(::recv(connection.socket->fd(), &byte, 1, 0) == -1);
  CHECK(errno == ECONNRESET);
}

TEST_CASE("a hanging region reads the request and never answers, and closes it when the hang ends") {
  HttpRegion fixture;
  fixture.regions.set(fixture.region, Behaviour::hang);
  Connect connection = connect_to(ip(region_ip), fixture.port);
  REQUIRE(connection.socket);
  send_get(*connection.socket, "/health");
  REQUIRE(eventually([&] { return fixture.regions.requests(fixture.region) == 1; }));
  CHECK(read_status(*connection.socket, 300ms) == "timeout");
  fixture.regions.set(fixture.region, Behaviour::healthy);
  CHECK(read_status(*connection.socket, answer_timeout) == "closed");
  CHECK(get(ip(region_ip), fixture.port, "/health") == "200");
}

TEST_CASE("a slow region answers 200, no sooner than its delay") {
  HttpRegion fixture;
  fixture.regions.set(fixture.region, Behaviour::slow, 200ms);
  const auto start = std::chrono::steady_clock::now();
  CHECK(get(ip(region_ip), fixture.port, "/health") == "200");
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
}

TEST_CASE("a healthy region waits its latency before answering") {
  HttpRegion fixture(150ms);
  const auto start = std::chrono::steady_clock::now();
  CHECK(get(ip(region_ip), fixture.port, "/health") == "200");
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
}

TEST_CASE("a request waiting on a slow region is answered when it recovers") {
  HttpRegion fixture;
  fixture.regions.set(fixture.region, Behaviour::slow, 60s);
  Connect connection = connect_to(ip(region_ip), fixture.port);
  REQUIRE(connection.socket);
  send_get(*connection.socket, "/health");
  REQUIRE(eventually([&] { return fixture.regions.requests(fixture.region) == 1; }));
  fixture.regions.set(fixture.region, Behaviour::degrade);
  CHECK(read_status(*connection.socket, answer_timeout) == "503");
}

TEST_CASE("a request larger than 8 KiB without an end of headers gets 400") {
  HttpRegion fixture;
  Connect connection = connect_to(ip(region_ip), fixture.port);
  REQUIRE(connection.socket);
  send_all(*connection.socket, "GET /health HTTP/1.1\r\nX-Padding: " + std::string(9000, 'a'));
  CHECK(read_status(*connection.socket, answer_timeout) == "400");
}

TEST_CASE("a request line that is not METHOD TARGET VERSION gets 400, and a POST 405") {
  HttpRegion fixture;
  Connect garbled = connect_to(ip(region_ip), fixture.port);
  REQUIRE(garbled.socket);
  send_all(*garbled.socket, "nonsense\r\n\r\n");
  CHECK(read_status(*garbled.socket, answer_timeout) == "400");
  Connect post = connect_to(ip(region_ip), fixture.port);
  REQUIRE(post.socket);
  send_all(*post.socket, "POST /health HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(read_status(*post.socket, answer_timeout) == "405");
}

TEST_CASE("a TCP region accepts and closes, refuses when failed, and accepts again when it recovers") {
  FakeRegions regions;
  const size_t region = regions.add("tcp", ip(region_ip), 0, MonitorProtocol::tcp, "", 0ms);
  const uint16_t port = regions.port(region);
  regions.start();
  {
    Connect connection = connect_to(ip(region_ip), port);
    REQUIRE(connection.socket);
    CHECK(read_status(*connection.socket, answer_timeout) == "closed");
    CHECK(regions.requests(region) == 1);
  }
  regions.set(region, Behaviour::fail);
  CHECK(connect_to(ip(region_ip), port).error == ECONNREFUSED);
  // What a TCP region cannot show (no answer to hold back or degrade) reads as healthy.
  regions.set(region, Behaviour::hang);
  Connect connection = connect_to(ip(region_ip), port);
  REQUIRE(connection.socket);
  CHECK(read_status(*connection.socket, answer_timeout) == "closed");
  CHECK(regions.requests(region) == 2);
}

TEST_CASE("regions listen on ::1 too") {
  FakeRegions regions;
  const size_t region = regions.add("v6", ip("::1"), 0, MonitorProtocol::http, "/health", 0ms);
  regions.start();
  CHECK(get(ip("::1"), regions.port(region), "/health") == "200");
}

TEST_CASE("regions are independent: breaking one leaves the others answering") {
  FakeRegions regions;
  const size_t west = regions.add("westeurope", ip(region_ip), 0, MonitorProtocol::http, "/health", 0ms);
  const size_t east = regions.add("eastus", ip("127.0.0.32"), 0, MonitorProtocol::http, "/health", 0ms);
  regions.start();
  regions.set(west, Behaviour::fail);
  CHECK(get(ip(region_ip), regions.port(west), "/health") == refused);
  CHECK(get(ip("127.0.0.32"), regions.port(east), "/health") == "200");
}

TEST_CASE("a region that cannot listen is an error naming it, its address and the reason") {
  FakeRegions regions;
  const size_t first = regions.add("westeurope", ip(region_ip), 0, MonitorProtocol::http, "/health", 0ms);
  const uint16_t port = regions.port(first);
  const std::string taken =
      "region eastus cannot listen on 127.0.0.31:" + std::to_string(port) + ": " + std::strerror(EADDRINUSE);
  CHECK_THROWS_WITH_AS(regions.add("eastus", ip(region_ip), port, MonitorProtocol::http, "/", 0ms),
                       taken.c_str(), std::runtime_error);
  CHECK_THROWS_WITH_AS(regions.add("remote", ip("192.0.2.1"), 80, MonitorProtocol::http, "/", 0ms),
                       "region remote cannot listen on 192.0.2.1:80: not a loopback address",
                       std::runtime_error);
}

TEST_CASE("a recovery whose port was taken meanwhile is an error from set()") {
  FakeRegions regions;
  const size_t region = regions.add("westeurope", ip(region_ip), 0, MonitorProtocol::http, "/health", 0ms);
  const uint16_t port = regions.port(region);
  regions.start();
  regions.set(region, Behaviour::fail);
  FakeRegions squatter;
  squatter.add("squatter", ip(region_ip), port, MonitorProtocol::http, "/health", 0ms);
  CHECK_THROWS_AS(regions.set(region, Behaviour::healthy), std::runtime_error);
}

TEST_CASE("behaviours have names") {
  CHECK(std::string(meridian::sim::to_string(Behaviour::healthy)) == "healthy");
  CHECK(std::string(meridian::sim::to_string(Behaviour::fail)) == "fail");
  CHECK(std::string(meridian::sim::to_string(Behaviour::hang)) == "hang");
  CHECK(std::string(meridian::sim::to_string(Behaviour::degrade)) == "degrade");
  CHECK(std::string(meridian::sim::to_string(Behaviour::slow)) == "slow");
}
