// Turns one query message into its response: the whole DNS logic, with no sockets, so tests
// can feed it raw wire bytes. The UDP path does not allocate.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "geo/net.h"
#include "routing/routing.h"
#include "server/counters.h"
#include "server/query.h"
#include "server/response.h"
#include "server/snapshot.h"

namespace meridian::server {

// Room for the largest response: a TCP message.
inline constexpr size_t max_response = 65535;

struct Responder {
  const Snapshot& snapshot;
  routing::Random& random;
  Counters& counters;
  // This thread's counters in the snapshot, found once per Responder (a UDP batch, a TCP read).
  AnswerCounters::Slot answers = snapshot.counters().slot(counters.slot);

  // Writes the response into `out` (max_response bytes suffice) and returns its length (0
  // when the query deserves no answer at all: shorter than a header, or itself a response)
  // with what rate limiting and metrics need to know of it.
  Response respond(std::span<const uint8_t> packet, const geo::Address& source, bool tcp,
                 std::span<uint8_t> out) const;
  // The same for a message parse_query() has read already, given its outcome.
  Response respond(const Query& query, ParseOutcome outcome, const geo::Address& source, bool tcp,
                 std::span<uint8_t> out) const;
};

}  // namespace meridian::server
