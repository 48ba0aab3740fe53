// Listening sockets: one UDP and one TCP socket per listen address and worker, bound with
// SO_REUSEPORT so the kernel spreads queries over the workers.
#pragma once

#include <string>
#include <vector>

#include "geo/net.h"

namespace meridian::server {

struct ListenSockets {
  geo::SocketAddress address;  // with the port actually bound (port 0 resolved)
  std::vector<int> udp;        // one per worker
  std::vector<int> tcp;        // one per worker, already listening
};

// Binds every address for `workers` workers. A port of 0 picks one free port that UDP and TCP
// share. Throws std::runtime_error("cannot listen on ADDR: reason"); closes what it opened.
std::vector<ListenSockets> open_listen_sockets(const std::vector<geo::SocketAddress>& addresses,
                                               unsigned workers);

void close_listen_sockets(std::vector<ListenSockets>& sockets);

}  // namespace meridian::server
