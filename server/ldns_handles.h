// Owning wrappers for ldns objects, so no error path leaks them.
#pragma once

#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>

#include <memory>

namespace meridian::server {

struct RrDeleter {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct RdfDeleter {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
struct PktDeleter {
  void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};

using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

}  // namespace meridian::server
