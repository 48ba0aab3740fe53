// The server-wide count of open TCP connections by client address.
#include "server/client_connections.h"

#include <cstring>

namespace meridian::server {

size_t ClientConnections::Hash::operator()(const geo::Address& address) const {
  // FNV-1a over the family and the address's bytes. Unseeded, so a client with many IPv6
  // addresses could aim for one bucket; but the table holds one entry per open connection at
  // most, so such a bucket is never longer than tcp_max_connections.
  uint64_t hash = 1469598103934665603ULL ^ static_cast<uint64_t>(address.family);
  for (size_t i = 0; i < address.size(); ++i) hash = (hash ^ address.bytes[i]) * 1099511628211ULL;
  return static_cast<size_t>(hash);
}

bool ClientConnections::try_add(const geo::Address& client, unsigned limit) {
  std::lock_guard lock(mutex_);
  unsigned& count = open_[client];
  if (count >= limit) {
    if (count == 0) open_.erase(client);  // a limit of 0 must not leave an empty entry behind
    return false;
  }
  ++count;
  return true;
}

void ClientConnections::remove(const geo::Address& client) {
  std::lock_guard lock(mutex_);
  const auto found = open_.find(client);
  if (found == open_.end()) return;
  if (--found->second == 0) open_.erase(found);
}

unsigned ClientConnections::open(const geo::Address& client) const {
  std::lock_guard lock(mutex_);
  const auto found = open_.find(client);
  return found == open_.end() ? 0 : found->second;
}

}  // namespace meridian::server
