// Names an answer's endpoints: the region serving the leaf that answered, else its
// "profile/endpoint"; from routing's endpoints in virtual time or from the addresses on the wire
// in real time.
#pragma once

#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "sim/scenario.h"

namespace meridian::sim {

class EndpointNames {
 public:
  EndpointNames(const model::Config& config, const std::vector<Region>& regions);

  // The name of an endpoint id of the config: its region's, else "profile/endpoint".
  const std::string& of(model::EndpointId id) const { return names_[id]; }
  // The leaves reachable from `profile` (through nested children) that answer with one of
  // `addresses` or, for FQDN targets, with one of `cnames`; sorted, without duplicates. An
  // address no leaf has is named by itself, so it still shows in the report.
  std::vector<std::string> of_answer(const model::Profile& profile,
                                     const std::vector<geo::Address>& addresses,
                                     const std::vector<std::string>& cnames) const;

 private:
  const model::Config& config_;
  std::vector<std::string> names_;
};

}  // namespace meridian::sim
