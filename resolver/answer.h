// Turns what c-ares returned for one A or AAAA query (a status and the reply bytes) into a
// FamilyAnswer: the addresses with their smallest TTL, NODATA, or a short failure reason.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "geo/net.h"
#include "resolver/lookup.h"

namespace meridian::resolver {

// `status` is the ares_callback status (ARES_SUCCESS, ARES_ENOTFOUND, ...); `reply` the raw
// DNS response (may be empty when there was none).
FamilyAnswer parse_answer(geo::Family family, int status, std::span<const uint8_t> reply);

// "NXDOMAIN", "SERVFAIL", "REFUSED", "timeout", ... for an ARES_E* status.
std::string status_reason(int status);

}  // namespace meridian::resolver
