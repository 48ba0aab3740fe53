// Where the client is: the lazy GeoIP lookup, its ECS scope, and how traces describe it.
#include <fmt/format.h>

#include "routing/query.h"

namespace meridian::routing {

std::string qtype_name(uint16_t qtype) {
  if (qtype == qtype_a) return "A";
  if (qtype == qtype_aaaa) return "AAAA";
  return fmt::format("type {}", qtype);
}

namespace {

void describe_location(Query& query) {
  const auto& info = query.client.info;
  const auto client = query.client.address.to_string();
  if (!info.found) {
    query.trace.note("client {} {}: it cannot be placed", client,
                     query.context.geo ? "is not in the GeoIP data" : "has no GeoIP data loaded");
    return;
  }
  std::string where(info.country_code().empty() ? "unknown country" : info.country_code());
  if (!info.subdivision_code().empty()) where += fmt::format("-{}", info.subdivision_code());
  if (info.continent[0] != '\0') where += fmt::format(" ({})", info.continent.data());
  std::string coordinates = info.coordinates
                                ? fmt::format(" at {:.2f},{:.2f}", info.coordinates->lat, info.coordinates->lon)
                                : std::string(" (no coordinates)");
  query.trace.note("client {} located in {}{}, network /{}", client, where, coordinates, info.prefix);
}

}  // namespace

void locate_client(Query& query) {
  if (!query.client.located && query.context.geo) {
    query.context.geo->lookup(query.client.address, query.client.info);
    query.client.located = true;
  }
  if (query.trace) describe_location(query);
}

unsigned location_scope(const Query& query) {
  const auto& info = query.client.info;
  if (info.prefix > 0) return info.prefix;
  // Without GeoIP data every client is equally unknown, so the answer is the same for all.
  if (!query.context.geo && !info.found) return 0;
  // The extent of the client's network is unknown: claim only the client's own prefix.
  return query.client.address.max_prefix();
}

}  // namespace meridian::routing
