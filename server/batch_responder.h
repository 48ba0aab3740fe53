// Answers a batch of UDP queries (one recvmmsg) in two passes. The first parses them all and
// then walks the memory their answers will read, one link at a time for the whole batch: the
// profile-table slot, then the slot's name and profile, then the profile's endpoints. Each link
// only starts cache misses, so the misses of up to 32 queries overlap instead of one query
// waiting for its slot, then its profile, then its endpoints. Each client's cached GeoIP answer
// is fetched the same way. The second pass answers.
//
// With 10,000 profiles those dependent misses were most of what a query cost over a small
// config (bench/scale.sh); between two queries from the same client network the kernel's
// packet work had evicted its GeoIP answer. The look-ahead is only a hint: answers come from
// the Responder, which looks everything up again, now from cache.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "server/query.h"
#include "server/responder.h"
#include "server/snapshot.h"

namespace meridian::server {

class BatchResponder {
 public:
  static constexpr size_t capacity = 32;  // UdpBatch::batch

  // How many datagrams to take per receive. With the look-ahead on, 32: it overlaps more
  // misses the more queries it sees (10,000 profiles, peak: 420-428k q/s at 32 against 388-408k
  // at 16). Otherwise 16: the kernel's side of recvmmsg and sendmmsg cost less per datagram in
  // batches of 16 than of 32 (static A, peak: 584-616k against 527-560k; total CPU at 450k q/s:
  // 1.78-1.80 against 1.86-1.91 µs), and 8 or 4 gained nothing more. gdnsd reads 16 at a time.
  static size_t width(const Snapshot& snapshot) { return snapshot.fetch_ahead() ? capacity : capacity / 2; }

  // Parses packets[i], sent from sources[i] (at most `capacity`; a span with no data is
  // skipped), and fetches ahead.
  void prepare(const Snapshot& snapshot, std::span<const std::span<const uint8_t>> packets,
               std::span<const geo::Address> sources);
  // Answers packets[index] of the last prepare(), as Responder::respond would the packet.
  Response respond(const Responder& responder, size_t index, const geo::Address& source,
                   std::span<uint8_t> out) const {
    return responder.respond(queries_[index], outcomes_[index], source, false, out);
  }
  // packets[index] of the last prepare(), parsed.
  const Query& query(size_t index) const { return queries_[index]; }

 private:
  std::array<Query, capacity> queries_;
  std::array<ParseOutcome, capacity> outcomes_{};
  std::array<uint64_t, capacity> hashes_{};  // 0: no profile to fetch
};

}  // namespace meridian::server
