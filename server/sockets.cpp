// Creates the listening sockets before the workers start, so bind errors stop the server early.
#include "server/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace meridian::server {
namespace {

socklen_t to_sockaddr(const geo::SocketAddress& address, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof storage);
  if (address.address.family == geo::Family::v4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(address.port);
    std::memcpy(&in->sin_addr, address.address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(address.port);
  std::memcpy(&in6->sin6_addr, address.address.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

// Returns the bound fd, or -1 with errno set.
int bind_socket(const geo::SocketAddress& address, int type) {
  const int domain = address.address.family == geo::Family::v4 ? AF_INET : AF_INET6;
  const int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  if (domain == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (type == SOCK_DGRAM) {
    // Room for bursts while the worker is busy; the kernel caps it at net.core.rmem_max.
    const int receive_buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    // Path MTU discovery off, and ICMP "fragmentation needed" ignored: forged ones could make
    // answers go out in fragments, which is what fragment-based cache poisoning needs. Answers
    // stay within udp_payload (1232 by default) and are fragmented only by the interface's MTU.
    // Linux 3.15 or later; gdnsd, Knot and NSD do the same.
    if (domain == AF_INET) {
      const int omit = IP_PMTUDISC_OMIT;
      setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof omit);
    } else {
      const int omit = IPV6_PMTUDISC_OMIT;
      setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof omit);
    }
  }
  sockaddr_storage storage;
  const socklen_t length = to_sockaddr(address, storage);
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      (type == SOCK_STREAM && listen(fd, 1024) != 0)) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage storage;
  socklen_t length = sizeof storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
}

[[noreturn]] void fail(const geo::SocketAddress& address, int error) {
  std::string reason = std::strerror(error);
  if (error == EACCES && address.port < 1024)
    reason += " (a port below 1024 takes root, which server.user then leaves, or CAP_NET_BIND_SERVICE)";
  throw std::runtime_error("cannot listen on " + address.to_string() + ": " + reason);
}

}  // namespace

std::vector<ListenSockets> open_listen_sockets(const std::vector<geo::SocketAddress>& addresses,
                                               unsigned workers) {
  std::vector<ListenSockets> result;
  try {
    for (const auto& requested : addresses) {
      ListenSockets sockets{requested, {}, {}};
      result.push_back(sockets);
      auto& current = result.back();
      if (requested.port == 0) {
        // Let TCP pick a free port, then claim the same port for UDP; retry if UDP has it taken.
        for (int attempt = 0;; ++attempt) {
          const int tcp = bind_socket(requested, SOCK_STREAM);
          if (tcp < 0) fail(requested, errno);
          current.address.port = bound_port(tcp);
          const int udp = bind_socket(current.address, SOCK_DGRAM);
          if (udp >= 0) {
            current.tcp.push_back(tcp);
            current.udp.push_back(udp);
            break;
          }
          const int error = errno;
          close(tcp);
          if (error != EADDRINUSE || attempt == 20) fail(requested, error);
        }
      }
      while (current.udp.size() < workers) {
        const int udp = bind_socket(current.address, SOCK_DGRAM);
        if (udp < 0) fail(current.address, errno);
        current.udp.push_back(udp);
        const int tcp = bind_socket(current.address, SOCK_STREAM);
        if (tcp < 0) fail(current.address, errno);
        current.tcp.push_back(tcp);
      }
    }
  } catch (...) {
    close_listen_sockets(result);
    throw;
  }
  return result;
}

void close_listen_sockets(std::vector<ListenSockets>& sockets) {
  for (auto& entry : sockets) {
    for (int fd : entry.udp) close(fd);
    for (int fd : entry.tcp) close(fd);
    entry.udp.clear();
    entry.tcp.clear();
  }
}

}  // namespace meridian::server
