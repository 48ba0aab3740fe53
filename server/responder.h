// Turns one query message into its response: the whole DNS logic, with no sockets, so tests
// can feed it raw wire bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "geo/net.h"
#include "routing/routing.h"
#include "server/snapshot.h"

namespace meridian::server {

// Per-worker counters: plain integers, summed across workers by whoever reports them.
struct Counters {
  std::array<uint64_t, 24> responses_by_rcode{};
  uint64_t dropped = 0;
  uint64_t truncated = 0;
};

struct Responder {
  const Snapshot& snapshot;
  routing::Random& random;
  Counters& counters;

  // Writes the response into `out` (replacing its content). Returns false when the query
  // deserves no answer at all (shorter than a header, or itself a response).
  bool respond(std::span<const uint8_t> packet, const geo::Address& source, bool tcp,
               std::vector<uint8_t>& out) const;
};

}  // namespace meridian::server
