// Performance routing: the closest available endpoint, by measured latency where a latency table
// covers the client, else by great-circle distance; equally close endpoints share evenly.
#include <cmath>
#include <optional>
#include <string_view>

#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

using LatencyRow = std::vector<std::pair<std::string, double>>;

// Distances from identical coordinates are bit-identical; the tolerance only absorbs rounding.
bool equally_close(double a, double b) { return std::fabs(a - b) <= 1e-12; }

// Endpoint `index`'s position, from the profile's packed positions (route_profile checked that
// they are there). Only for an endpoint whose digest has_location.
const geo::Vector3& position_at(const model::Profile& profile, size_t index) {
  return profile.positions[index];
}

// The latency table names an endpoint by its region ("azure:eastus"), or by its own name when
// the endpoint's location was given as coordinates.
std::string_view latency_key(const model::Endpoint& endpoint) {
  if (endpoint.location && !endpoint.location->name.empty()) return endpoint.location->name;
  return endpoint.name;
}

std::optional<double> measured_rtt(const LatencyRow& row, const model::Endpoint& endpoint) {
  const auto key = latency_key(endpoint);
  for (const auto& [location, rtt] : row)
    if (location == key) return rtt;
  return std::nullopt;
}

// Picks uniformly among the eligible endpoints with the smallest closeness. `closeness` (of an
// endpoint's index) returns nullopt for an endpoint it cannot measure: such an endpoint is
// farther than any measured one, and when none can be measured all are equally close. Two
// passes, so nothing is allocated.
// `display` turns a closeness into the figure a trace shows in `unit`.
template <typename Closeness, typename Display>
const model::Endpoint* choose_closest(Query& query, const model::Profile& profile, const Pool& pool,
                                      const char* unit, Closeness closeness, Display display) {
  std::optional<double> best;
  size_t ties = 0;
  size_t eligible = 0;
  for (size_t i = 0; i < pool.size(); ++i) {
    if (!pool.eligible(i)) continue;
    ++eligible;
    const auto value = closeness(i);
    if (value && query.trace) query.trace.note("endpoint {}: {:.0f} {}", profile.endpoints[i].name, display(*value), unit);
    if (!value) continue;
    if (!best || (*value < *best && !equally_close(*value, *best))) {
      best = value;
      ties = 1;
    } else if (equally_close(*value, *best)) {
      ++ties;
    }
  }
  if (eligible == 0) return nullptr;
  if (!best) ties = eligible;
  uint64_t pick = ties > 1 ? query.random.below(ties) : 0;
  const model::Endpoint* last_tied = nullptr;
  for (size_t i = 0; i < pool.size(); ++i) {
    if (!pool.eligible(i)) continue;
    const auto& endpoint = profile.endpoints[i];
    const auto value = best ? closeness(i) : std::nullopt;
    if (best && !(value && equally_close(*value, *best))) continue;
    last_tied = &endpoint;
    if (pick-- > 0) continue;
    if (!best)
      query.trace.note("endpoint {} chosen at random among {} equally close endpoints", endpoint.name, ties);
    else if (ties > 1)
      query.trace.note("endpoint {} chosen at random among {} endpoints at {:.0f} {}", endpoint.name,
                       ties, display(*best), unit);
    else
      query.trace.note("endpoint {} chosen: closest at {:.0f} {}", endpoint.name, display(*best), unit);
    return &endpoint;
  }
  return last_tied;  // an endpoint past the pool's status cache flipped between the passes
}

}  // namespace

const model::Endpoint* choose_performance(Query& query, const model::Profile& profile, unsigned depth) {
  const Pool pool(query, profile, depth, standard_pool);
  const auto* latency = query.context.latency;
  if (latency) {
    // The table's matched prefix is not a safe ECS scope: a longer prefix inside it may hold other
    // addresses of the client's block and measure differently. The client's own prefix is always
    // correct (capped to the ECS source prefix, which is what latency tables are keyed by anyway).
    query.depends_on_prefix(query.client.address.max_prefix());
    if (const LatencyRow* row = latency->find(query.client.address)) {
      bool any_measured = false;
      for (size_t i = 0; i < pool.size() && !any_measured; ++i)
        any_measured = pool.eligible(i) && measured_rtt(*row, profile.endpoints[i]);
      if (any_measured) {
        query.trace.note("latency table covers the client: closeness is round-trip time");
        return choose_closest(
            query, profile, pool, "ms",
            [row, &profile](size_t i) { return measured_rtt(*row, profile.endpoints[i]); },
            [](double rtt) { return rtt; });
      }
      query.trace.note("latency table measures none of the available endpoints for the client: using distance");
    } else {
      query.trace.note("latency table does not cover the client: using distance");
    }
  }
  locate_client(query);
  query.depends_on_prefix(location_scope(query));
  const auto& coordinates = query.client.info.coordinates;
  if (!coordinates) {
    query.trace.note("the client cannot be placed: every endpoint is equally close");
    return choose_closest(
        query, profile, pool, "km", [](size_t) { return std::optional<double>(); },
        [](double km) { return km; });
  }
  // Closeness is the squared chord between unit vectors: ordered like great-circle distance,
  // and free of trigonometry when both positions were worked out at load.
  const geo::Vector3 client = query.client.info.position ? *query.client.info.position : geo::unit_vector(*coordinates);
  return choose_closest(
      query, profile, pool, "km",
      [&client, &profile](size_t i) {
        if (!digest_at(profile, i).has_location) return std::optional<double>();
        return std::optional<double>(geo::chord_squared(client, position_at(profile, i)));
      },
      geo::chord_squared_to_km);
}

}  // namespace meridian::routing
