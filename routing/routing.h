// routing/: the policy engine. Pure: no I/O, no clock, no global state, no logging.
//
// Given a profile, a client, the query type, a read-only health view and a random source, it
// returns the answer set, the TTL, the ECS scope prefix and (when asked) a trace of why.
// Semantics: docs/DESIGN.md, "Routing semantics" (Azure Traffic Manager's rules).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/geo.h"

namespace meridian::routing {

// One model::Status (as uint8_t) per EndpointId, written by probes/, read here without locks.
using HealthView = std::span<const std::atomic<uint8_t>>;

// A small, fast, seedable random source (xoshiro-style); each DNS worker owns one.
class Random {
 public:
  explicit Random(uint64_t seed);
  uint64_t next();
  // Uniform in [0, bound).
  uint64_t below(uint64_t bound);

 private:
  std::array<uint64_t, 4> state_;
};

struct Client {
  geo::Address address;        // the ECS address when the query had one, else the source address
  unsigned source_prefix = 0;  // ECS source prefix, or the full length for a source address
  // Where the client is. Routing fills it from Context::geo the first time a method needs it,
  // unless the caller already set `located` (tests do, to pin a client's location).
  geo::GeoInfo info;
  bool located = false;
};

// What routing needs besides the profile: read-only data shared by every query.
struct Context {
  const model::Config& config;
  HealthView health;
  const geo::GeoDb* geo = nullptr;  // null: no GeoIP data, every client is "unknown"
  const model::LatencyTable* latency = nullptr;
};

// Each step routing took, in words an operator understands. Only filled when asked for.
struct Trace {
  std::vector<std::string> steps;
};

inline constexpr size_t max_answers = 10;

struct Answer {
  enum class Kind : uint8_t { addresses, cname, nodata } kind = Kind::nodata;
  // addresses: the chosen address endpoints. Only the first `count` are set: left uninitialised
  // so an answer does not start by zeroing 80 bytes (GCC's rep stos, a tenth of answer()).
  std::array<const model::Endpoint*, max_answers> endpoints;
  // addresses: endpoint i's address, read from the profile's packed digests (model::EndpointDigest)
  // so an answer needs no line of the Endpoint itself. Set alongside `endpoints`.
  std::array<const geo::Address*, max_answers> addresses;
  size_t count = 0;
  uint32_t ttl = 0;
  unsigned scope_prefix = 0;  // ECS scope: 0 when the answer does not depend on the client
};

// The EndpointId of answer endpoint `i`: for addresses from the digest the address was read from
// (in cache), so counting an answer reads no line of the Endpoint.
inline model::EndpointId answered_id(const Answer& answer, size_t i) {
  if (answer.kind != Answer::Kind::addresses) return answer.endpoints[i]->id;
  const auto* digest = reinterpret_cast<const model::EndpointDigest*>(
      reinterpret_cast<const char*>(answer.addresses[i]) - offsetof(model::EndpointDigest, address));
  return digest->id;
}

// qtype is the DNS query type (1 = A, 28 = AAAA, others get a CNAME for FQDN targets and
// NODATA otherwise). trace may be null (the query path passes null).
Answer answer(const Context& context, const model::Profile& profile, Client& client, uint16_t qtype,
              Random& random, Trace* trace = nullptr);

// For the control API, not the query path: the status routing gives endpoint `index` of
// `profile` now (a nested endpoint's comes from its child; an override is already in the health
// view), whether a status serves (Online, CheckingEndpoint, NotMonitored), and how many of the
// profile's endpoints serve.
model::Status current_status(const Context& context, const model::Profile& profile, size_t index);
bool serves(model::Status status);
// Serving endpoints in all, and those that can answer A (IPv4 addresses, FQDN and nested
// endpoints) and AAAA.
struct ServingCount {
  size_t any = 0;
  size_t a = 0;
  size_t aaaa = 0;
};
ServingCount serving_endpoints(const Context& context, const model::Profile& profile);

// Starts fetching what answer() will read of `profile` (its endpoints, or for geographic its
// code index) without waiting for it. answer() does this itself; a caller that knows the profile
// earlier, as the batch look-ahead does, calls it sooner so the misses overlap other work.
void prefetch(const model::Profile& profile);

}  // namespace meridian::routing
