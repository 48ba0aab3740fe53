// Response rate limiting on UDP (RRL), as Knot, NSD and BIND do it: an open UDP responder must
// not be an amplifier for floods sent with a victim's forged address.
//
// Each answer is charged to a token bucket keyed by the client's prefix (/24, /56 by default),
// the answer's class (server/response.h: positive, large, NODATA, NXDOMAIN, referral,
// wildcard, error) and a name: the query name for positive answers, whose names the zones
// bound; the zone for the classes a flood of random names reaches (NXDOMAIN, NODATA, referrals,
// wildcards), so random names cannot each get a bucket of their own; none for errors. A bucket
// holds one second of `responses_per_second`. An answer over the limit is dropped, except every
// `slip`th, which goes out empty with TC set: a real client caught in the flood retries over
// TCP, which a forged source cannot.
//
// The buckets are one table shared by every UDP receiver, each a 64-bit word changed with a
// compare-and-swap: no lock on the answer path. A key that lands on another's bucket takes it
// over (its owner starts afresh): the table is sized so that only floods from very many
// prefixes collide, and the seed keeps them from aiming at one bucket.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "conf/model.h"
#include "geo/cidr_table.h"
#include "geo/net.h"
#include "server/counters.h"
#include "server/query.h"
#include "server/response.h"

namespace meridian::server {

class RateLimiter {
 public:
  static constexpr unsigned bucket_bits = 18;  // 2^18 buckets of 8 bytes: 2 MiB
  static constexpr uint32_t ticks_per_second = 16;

  // `seed` salts the keys (chosen at random by the server).
  explicit RateLimiter(uint64_t seed);

  // Now, in ticks of a 16th of a second (CLOCK_MONOTONIC_COARSE); only its low 16 bits count.
  static uint32_t now();

  // Charges one answer to the bucket of `key` at `tick`: false when the bucket is empty.
  bool allow(uint64_t key, unsigned rate, uint32_t tick);

  // The bucket key of an answer `response` to `query` for a client at `source`.
  uint64_t key(const model::RateLimitSettings& settings, const geo::Address& source, const Query& query,
               const Response& response) const;

 private:
  uint64_t seed_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
};

// One UDP receiver's use of the shared table: which answers go out, which are dropped, which
// slip out truncated. Counts what it limits in the receiver's counters.
class ResponseRateLimit {
 public:
  explicit ResponseRateLimit(RateLimiter& table) : table_(table) {}

  // The length of what to send instead of `response` (written in `out`, the buffer holding
  // it): its own length when not limited, 0 when dropped, a truncated answer's when it slips.
  size_t apply(const model::RateLimitSettings& settings, uint32_t tick, const Query& query,
               const Response& response, const geo::Address& source, std::span<uint8_t> out,
               Counters& counters);

 private:
  // Whether `source` is in the whitelist: asked of every answer when there is one.
  bool whitelisted(const model::RateLimitSettings& settings, const geo::Address& source);

  RateLimiter& table_;
  unsigned limited_ = 0;  // answers limited so far, for `slip`
  // The last whitelist lookup: of which table, for which source, and its answer.
  std::shared_ptr<const geo::CidrTable<uint8_t>> whitelist_table_;
  geo::Address whitelist_source_;
  bool whitelist_verdict_ = false;
  bool whitelist_known_ = false;  // whitelist_source_ and its verdict are set
};

// Rewrites the answer in `out` as its truncated form: header (TC set, no records), question
// and OPT. Returns its length.
size_t write_slip(const Response& response, std::span<uint8_t> out);

}  // namespace meridian::server
