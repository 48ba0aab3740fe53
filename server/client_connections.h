// Open TCP connections by client address, counted over every worker, for
// server.tcp_max_connections_per_client (RFC 7766 6.2.2).
//
// One table for the whole server, not a share per worker: SO_REUSEPORT hashes each connection
// (its source port too) to a worker, so one client's connections land on workers at random, and
// a per-worker share would refuse a client below its limit whenever a few happened to meet on
// one worker. The table takes a mutex, but only at accept and close (next to a system call
// each), never on the query path.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "geo/net.h"

namespace meridian::server {

class ClientConnections {
 public:
  // Counts one more connection from `client`, unless it has `limit` open already: false then,
  // and nothing is counted.
  bool try_add(const geo::Address& client, unsigned limit);
  // Counts one of `client`'s connections (one try_add() accepted) closed.
  void remove(const geo::Address& client);
  // How many connections `client` has open.
  unsigned open(const geo::Address& client) const;

 private:
  struct Hash {
    size_t operator()(const geo::Address& address) const;
  };
  mutable std::mutex mutex_;
  std::unordered_map<geo::Address, unsigned, Hash> open_;  // clients with none are removed
};

}  // namespace meridian::server
