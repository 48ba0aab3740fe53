// Where an FQDN endpoint's probes go: one of its resolved addresses (the name its HTTP(S)
// probes ask for is the FQDN itself, see http_request.h).
//
// Azure probes an FQDN endpoint as a client would: it resolves the name and connects to what
// it gets. We probe one address per interval, the first IPv4 address of the (sorted) answer,
// else the first IPv6 one: the answer order is stable across lookups, so the verdict is about
// one address and does not flap with a server's round-robin; IPv4 first because that is the
// family every client can reach. Probing every address would need a verdict rule for partial
// failure that Azure does not have.
#pragma once

#include <optional>
#include <span>

#include "geo/net.h"

namespace meridian::probes {

std::optional<geo::Address> probe_address(std::span<const geo::Address> resolved);

// The server.probe_source address a probe of a `family` target leaves from; empty: the kernel's
// choice (a socket can only bind a source of its own family).
std::optional<geo::Address> probe_source(std::span<const geo::Address> sources, geo::Family family);

}  // namespace meridian::probes
