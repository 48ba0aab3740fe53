// Weighted routing: a random available endpoint, chance proportional to weight; with
// `affinity: client_subnet`, a hash of the client's /24 (IPv4) or /56 (IPv6) instead.
#include <cmath>
#include <string_view>

#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

constexpr unsigned affinity_prefix_ipv4 = 24;
constexpr unsigned affinity_prefix_ipv6 = 56;

uint64_t finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A fixed function of the client network and the endpoint name, the same on every replica and
// across restarts and reloads (std::hash promises none of that).
uint64_t affinity_hash(const geo::Address& network, std::string_view endpoint_name) {
  uint64_t hash = 14695981039346656037ULL;  // FNV-1a
  auto add = [&hash](uint8_t byte) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  };
  add(network.family == geo::Family::v4 ? 4 : 6);
  for (size_t i = 0; i < network.size(); ++i) add(network.bytes[i]);
  for (char c : endpoint_name) add(static_cast<uint8_t>(c));
  return finalize(hash);  // FNV's low avalanche is weak; the finalizer spreads every bit
}

// Weighted rendezvous hashing: every endpoint draws an exponential "arrival time" from the
// client's hash, scaled by 1/weight, and the earliest wins. Each endpoint wins with probability
// weight / total, and when an endpoint goes down only its own clients move elsewhere.
const model::Endpoint* choose_by_affinity(Query& query, const model::Profile& profile, const Pool& pool) {
  const auto& address = query.client.address;
  const unsigned prefix = std::min(
      address.family == geo::Family::v4 ? affinity_prefix_ipv4 : affinity_prefix_ipv6,
      query.client.source_prefix);
  const geo::Address network = address.masked(prefix);
  query.depends_on_prefix(prefix);
  const model::Endpoint* best = nullptr;
  double best_time = 0;
  for (size_t i = 0; i < pool.size(); ++i) {
    const auto& endpoint = profile.endpoints[i];
    const unsigned weight = digest_at(profile, i).weight;  // as the random draw reads it
    if (!pool.eligible(i) || weight == 0) continue;
    const uint64_t hash = affinity_hash(network, endpoint.name);
    const double uniform = (static_cast<double>(hash >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1)
    const double arrival = -std::log(uniform) / weight;
    if (!best || arrival < best_time) {
      best = &endpoint;
      best_time = arrival;
    }
  }
  if (best && query.trace)
    query.trace.note("endpoint {} chosen by client-subnet affinity for {}/{} (weight {})", best->name,
                     network.to_string(), prefix, best->weight);
  return best;
}

const model::Endpoint* choose_at_random(Query& query, const model::Profile& profile, const Pool& pool) {
  uint64_t total = 0;
  for (size_t i = 0; i < pool.size(); ++i)
    if (pool.eligible(i)) total += digest_at(profile, i).weight;
  if (total == 0) return nullptr;
  uint64_t draw = query.random.below(total);
  const model::Endpoint* last_eligible = nullptr;
  for (size_t i = 0; i < pool.size(); ++i) {
    if (!pool.eligible(i)) continue;
    const auto& endpoint = profile.endpoints[i];
    const unsigned weight = digest_at(profile, i).weight;
    last_eligible = &endpoint;
    if (draw < weight) {
      query.trace.note("endpoint {} chosen at random: weight {} of {}", endpoint.name, weight, total);
      return &endpoint;
    }
    draw -= weight;
  }
  // Only reachable when an endpoint past the pool's status cache flipped between the passes.
  return last_eligible;
}

}  // namespace

const model::Endpoint* choose_weighted(Query& query, const model::Profile& profile, unsigned depth) {
  const Pool pool(query, profile, depth, standard_pool);
  if (profile.affinity == model::Affinity::client_subnet) return choose_by_affinity(query, profile, pool);
  return choose_at_random(query, profile, pool);
}

}  // namespace meridian::routing
