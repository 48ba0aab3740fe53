#include "server/rate_limiter.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string_view>

#include "server/name_table.h"

namespace meridian::server {
namespace {

constexpr uint64_t bucket_mask = (uint64_t(1) << RateLimiter::bucket_bits) - 1;
constexpr size_t large_answer = 1024;  // bytes: above this an answer is "large" (as in Knot)

// A bucket's word: the key's tag (24 bits), when it was last charged (16 bits of ticks) and
// its tokens in 16ths of an answer (24 bits; a full bucket holds 16 * rate).
struct Bucket {
  uint32_t tag, tick, tokens;
  static Bucket of(uint64_t word) {
    return {uint32_t(word >> 40), uint32_t(word >> 24) & 0xffff, uint32_t(word) & 0xffffff};
  }
  uint64_t word() const { return uint64_t(tag) << 40 | uint64_t(tick & 0xffff) << 24 | tokens; }
};

enum class RateClass : uint8_t { positive, large, nodata, nxdomain, referral, wildcard, error };

RateClass classify(const Response& response) {
  if (response.kind == AnswerKind::error) return RateClass::error;
  if (response.wildcard) return RateClass::wildcard;
  switch (response.kind) {
    case AnswerKind::nodata: return RateClass::nodata;
    case AnswerKind::nxdomain: return RateClass::nxdomain;
    case AnswerKind::referral: return RateClass::referral;
    default: return response.size > large_answer ? RateClass::large : RateClass::positive;
  }
}

// The mask keeping the first `bits` (0..64) bits of 8 address bytes loaded into a word.
uint64_t prefix_mask(unsigned bits) {
  const uint64_t in_order = bits == 0 ? 0 : ~uint64_t(0) << (64 - bits);  // bytes as written
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(in_order);
  return in_order;
}

uint64_t mix(uint64_t hash, uint64_t value) {
  hash = (hash ^ value) * 0xff51afd7ed558ccdull;
  return hash ^ (hash >> 32);
}

}  // namespace

RateLimiter::RateLimiter(uint64_t seed)
    : seed_(seed), buckets_(std::make_unique<std::atomic<uint64_t>[]>(size_t(1) << bucket_bits)) {}

uint32_t RateLimiter::now() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return static_cast<uint32_t>(uint64_t(now.tv_sec) * ticks_per_second +
                               uint64_t(now.tv_nsec) / (1000000000 / ticks_per_second));
}

bool RateLimiter::allow(uint64_t key, unsigned rate, uint32_t tick) {
  auto& bucket = buckets_[key & bucket_mask];
  const uint32_t tag = uint32_t(key >> bucket_bits) & 0xffffff;
  const uint64_t full = uint64_t(rate) * ticks_per_second;
  uint64_t old = bucket.load(std::memory_order_relaxed);
  for (;;) {
    const Bucket seen = Bucket::of(old);
    uint64_t tokens = full;
    if (old != 0 && seen.tag == tag) {
      // Ticks since the last charge, modulo 2^16 (an hour and 8 minutes): each adds `rate`.
      const uint64_t elapsed = (tick - seen.tick) & 0xffff;
      tokens = std::min<uint64_t>(full, seen.tokens + elapsed * rate);
    }
    const bool allowed = tokens >= ticks_per_second;
    if (allowed) tokens -= ticks_per_second;
    const uint64_t word = Bucket{tag, tick, uint32_t(tokens)}.word();
    if (word == old || bucket.compare_exchange_weak(old, word, std::memory_order_relaxed)) return allowed;
  }
}

uint64_t RateLimiter::key(const model::RateLimitSettings& settings, const geo::Address& source,
                          const Query& query, const Response& response) const {
  const bool v4 = source.family == geo::Family::v4;
  const unsigned prefix = v4 ? settings.ipv4_prefix : settings.ipv6_prefix;
  // The address as two words, host bits cleared: fixed-size loads and masks, no byte loop
  // (this runs for every UDP answer).
  uint64_t high, low;
  std::memcpy(&high, source.bytes.data(), 8);
  std::memcpy(&low, source.bytes.data() + 8, 8);
  high &= prefix_mask(std::min(prefix, 64u));
  low &= prefix_mask(prefix > 64 ? prefix - 64 : 0);
  const RateClass rate_class = classify(response);
  uint64_t hash = mix(mix(seed_ ^ (v4 ? 4 : 6), high), low);
  hash = mix(hash, uint64_t(rate_class));
  switch (rate_class) {
    case RateClass::positive:
    case RateClass::large:
      hash = mix(hash, NameHash{}(std::string_view(reinterpret_cast<const char*>(query.qname_lower),
                                                   query.qname_length)));
      break;
    case RateClass::error: break;
    default: hash = mix(hash, response.zone); break;
  }
  return hash;
}

size_t ResponseRateLimit::apply(const model::RateLimitSettings& settings, uint32_t tick, const Query& query,
                                const Response& response, const geo::Address& source, std::span<uint8_t> out,
                                Counters& counters) {
  // Whitelisted answers are not charged to their prefix's bucket either: a busy whitelisted
  // monitor must not use up the allowance of its neighbours in the same /24.
  if (whitelisted(settings, source)) return response.size;
  if (table_.allow(table_.key(settings, source, query, response), settings.responses_per_second, tick))
    return response.size;
  if (settings.slip != 0 && ++limited_ % settings.slip == 0) {
    counters.rate_limit_slipped.bump();
    return write_slip(response, out);
  }
  counters.rate_limit_dropped.bump();
  return 0;
}

bool ResponseRateLimit::whitelisted(const model::RateLimitSettings& settings, const geo::Address& source) {
  if (!settings.whitelist_table) return false;
  // Answers come in runs from one address (a resolver, a monitor, a flood): the last verdict
  // is kept rather than looked up for each answer. The table is held, so a reload's new table
  // at a freed one's address is never taken for the one the verdict came from; only a new
  // table costs a reference count.
  if (settings.whitelist_table != whitelist_table_) {
    whitelist_table_ = settings.whitelist_table;
    whitelist_known_ = false;
  }
  if (!whitelist_known_ || source != whitelist_source_) {
    whitelist_source_ = source;
    whitelist_verdict_ = bool(whitelist_table_->match(source));
    whitelist_known_ = true;
  }
  return whitelist_verdict_;
}

size_t write_slip(const Response& response, std::span<uint8_t> out) {
  uint8_t* wire = out.data();
  wire[2] |= 0x02;  // TC
  std::memset(wire + 6, 0, 4);  // no answer or authority records
  size_t end = response.question_end;
  if (response.opt_at != 0) {
    // The OPT record goes last in the answer: it moves up behind the question.
    std::memmove(wire + end, wire + response.opt_at, response.size - response.opt_at);
    end += response.size - response.opt_at;
    wire[10] = 0;
    wire[11] = 1;
  } else {
    wire[10] = wire[11] = 0;
  }
  return end;
}

}  // namespace meridian::server
