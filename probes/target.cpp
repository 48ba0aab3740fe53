// Picks the resolved address an FQDN endpoint's probes go to, and the source probes leave from.
#include "probes/target.h"

#include <algorithm>

namespace meridian::probes {

std::optional<geo::Address> probe_address(std::span<const geo::Address> resolved) {
  auto first_of = [&](geo::Family family) {
    return std::find_if(resolved.begin(), resolved.end(),
                        [family](const geo::Address& address) { return address.family == family; });
  };
  if (auto v4 = first_of(geo::Family::v4); v4 != resolved.end()) return *v4;
  if (auto v6 = first_of(geo::Family::v6); v6 != resolved.end()) return *v6;
  return std::nullopt;
}

std::optional<geo::Address> probe_source(std::span<const geo::Address> sources, geo::Family family) {
  auto found = std::find_if(sources.begin(), sources.end(),
                            [family](const geo::Address& source) { return source.family == family; });
  if (found == sources.end()) return std::nullopt;
  return *found;
}

}  // namespace meridian::probes
