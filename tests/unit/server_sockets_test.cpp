// server::open_listen_sockets: what the listening sockets are set up with.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>
#include <vector>

#include "server/sockets.h"

using namespace meridian;

namespace {

int socket_option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  REQUIRE(getsockopt(fd, level, name, &value, &length) == 0);
  return value;
}

}  // namespace

TEST_CASE("UDP sockets ignore path MTU discovery, so forged ICMP cannot fragment answers") {
  auto sockets = server::open_listen_sockets({*geo::SocketAddress::parse("127.0.0.1:0")}, 2);
  REQUIRE(sockets.size() == 1);
  REQUIRE(sockets[0].udp.size() == 2);
  for (const int fd : sockets[0].udp)
    CHECK(socket_option(fd, IPPROTO_IP, IP_MTU_DISCOVER) == IP_PMTUDISC_OMIT);
  server::close_listen_sockets(sockets);
}

TEST_CASE("IPv6 UDP sockets ignore path MTU discovery too") {
  std::vector<server::ListenSockets> sockets;
  try {
    sockets = server::open_listen_sockets({*geo::SocketAddress::parse("[::1]:0")}, 1);
  } catch (const std::runtime_error& error) {
    MESSAGE("no IPv6 loopback here: " << error.what());
    return;
  }
  REQUIRE(sockets[0].udp.size() == 1);
  CHECK(socket_option(sockets[0].udp[0], IPPROTO_IPV6, IPV6_MTU_DISCOVER) == IPV6_PMTUDISC_OMIT);
  server::close_listen_sockets(sockets);
}
