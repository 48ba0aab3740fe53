// ClientConnections: the server-wide count of open TCP connections by client address.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server/client_connections.h"

using namespace meridian;
using server::ClientConnections;

namespace {
geo::Address address(const char* text) {
  return *geo::Address::parse(text);
}
}  // namespace

TEST_CASE("a client is counted up to its limit, and one more is refused without being counted") {
  ClientConnections clients;
  const auto client = address("192.0.2.1");
  CHECK(clients.try_add(client, 2));
  CHECK(clients.try_add(client, 2));
  CHECK_FALSE(clients.try_add(client, 2));
  CHECK(clients.open(client) == 2);
  clients.remove(client);
  CHECK(clients.open(client) == 1);
  CHECK(clients.try_add(client, 2));
}

TEST_CASE("clients are counted apart, IPv4 and IPv6 too") {
  ClientConnections clients;
  CHECK(clients.try_add(address("192.0.2.1"), 1));
  CHECK(clients.try_add(address("192.0.2.2"), 1));
  CHECK(clients.try_add(address("2001:db8::1"), 1));
  CHECK(clients.try_add(address("::ffff:192.0.2.1"), 1));  // another family: another client here
  CHECK_FALSE(clients.try_add(address("2001:db8::1"), 1));
  CHECK(clients.open(address("192.0.2.1")) == 1);
}

TEST_CASE("workers adding and removing at once never let a client past its limit") {
  ClientConnections clients;
  const auto client = address("198.51.100.7");
  constexpr unsigned limit = 8;
  std::atomic<unsigned> over{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      for (int i = 0; i < 20000; ++i)
        if (clients.try_add(client, limit)) {
          if (clients.open(client) > limit) ++over;
          clients.remove(client);
        }
    });
  for (auto& worker : workers) worker.join();
  CHECK(over == 0);
  CHECK(clients.open(client) == 0);
}
