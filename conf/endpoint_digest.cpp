// The packed per-endpoint view routing reads on every query (model::EndpointDigest).
#include <algorithm>

#include "conf/model.h"

namespace meridian::model {

namespace {

EndpointDigest digest_of(const Endpoint& endpoint) {
  EndpointDigest digest;
  digest.id = endpoint.id;
  digest.priority = static_cast<uint16_t>(std::min(endpoint.priority, 0xffffu));
  digest.weight = static_cast<uint16_t>(std::min(endpoint.weight, 0xffffu));
  digest.kind = endpoint.kind;
  digest.enabled = endpoint.enabled;
  digest.unmonitored = endpoint.always_serve || endpoint.monitor.protocol == MonitorProtocol::none;
  digest.has_location = endpoint.location.has_value();
  digest.address = endpoint.address;
  return digest;
}

// A location's unit vector: the one worked out at load, else from its coordinates.
geo::Vector3 position_of(const Location& location) {
  return location.position ? *location.position
                           : geo::unit_vector(geo::Coordinates{location.lat, location.lon});
}

}  // namespace

void index_endpoints(Profile& profile) {
  profile.digests.clear();
  profile.positions.clear();
  profile.digests.reserve(profile.endpoints.size());
  for (const Endpoint& endpoint : profile.endpoints) profile.digests.push_back(digest_of(endpoint));
  if (profile.method != Method::performance) return;  // only performance reads positions
  profile.positions.reserve(profile.endpoints.size());
  for (const Endpoint& endpoint : profile.endpoints)
    profile.positions.push_back(endpoint.location ? position_of(*endpoint.location) : geo::Vector3{});
}

}  // namespace meridian::model
