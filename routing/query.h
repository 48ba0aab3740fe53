// The state one routing::answer call carries through profiles and methods (private to routing/).
#pragma once

#include <algorithm>
#include <cstdint>

#include "routing/routing.h"
#include "routing/trace_writer.h"

namespace meridian::routing {

// Azure allows 10 levels of nesting below the profile that was queried; conf/ rejects deeper
// configs, and routing refuses to go deeper anyway so a bad snapshot cannot recurse forever.
inline constexpr unsigned max_nesting_depth = 10;

inline constexpr uint16_t qtype_a = 1;
inline constexpr uint16_t qtype_aaaa = 28;

struct Query {
  const Context& context;
  Client& client;
  uint16_t qtype;
  Random& random;
  TraceWriter trace;
  // The longest client prefix any decision so far depended on; the answer's ECS scope is this,
  // capped at the client's source prefix. Along a nested chain each level narrows the set of
  // clients that share the answer, so the scopes combine by max.
  unsigned scope = 0;

  void depends_on_prefix(unsigned prefix) { scope = std::max(scope, prefix); }
  bool asks_for_address() const { return qtype == qtype_a || qtype == qtype_aaaa; }
};

// "A", "AAAA" or "type 15", for trace lines.
std::string qtype_name(uint16_t qtype);

// Fills client.info from the GeoIP data the first time a method needs the client's location.
void locate_client(Query& query);

// The prefix length within which every address has the same location as the client: the
// GeoIP network's prefix when known. Call after locate_client().
unsigned location_scope(const Query& query);

}  // namespace meridian::routing
