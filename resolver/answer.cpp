// Reads A/AAAA replies with ares_parse_a_reply / ares_parse_aaaa_reply and their addrttls.
#include "resolver/answer.h"

#include <ares.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace meridian::resolver {

std::string status_reason(int status) {
  switch (status) {
    case ARES_ENOTFOUND: return "NXDOMAIN";  // ares_query's name for an NXDOMAIN rcode
    case ARES_ENODATA: return "no records";
    case ARES_ESERVFAIL: return "SERVFAIL";
    case ARES_EREFUSED: return "REFUSED";
    case ARES_ENOTIMP: return "NOTIMP";
    case ARES_EFORMERR: return "FORMERR";
    case ARES_ETIMEOUT: return "timeout";
    // Every server refused the connection, or (with several servers) answered SERVFAIL,
    // REFUSED or NOTIMP: c-ares does not say which.
    case ARES_ECONNREFUSED: return "refused or failed by every server";
    case ARES_EBADRESP: return "malformed reply";
    case ARES_EBADNAME: return "bad name";
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return "cancelled";
    default: return ares_strerror(status);
  }
}

namespace {

// More than ResolvedTable keeps, so the smallest TTL and the canonical sort see a full answer.
constexpr int max_records = 64;

uint32_t ttl_of(int ttl) {
  return ttl < 0 ? 0u : uint32_t(ttl);
}

}  // namespace

FamilyAnswer parse_answer(geo::Family family, int status, std::span<const uint8_t> reply) {
  if (status == ARES_ENODATA) return FamilyAnswer::nothing();
  if (status != ARES_SUCCESS) return FamilyAnswer::failure(status_reason(status));

  std::vector<geo::Address> addresses;
  uint32_t ttl = UINT32_MAX;
  int count = max_records;
  int parsed;
  if (family == geo::Family::v4) {
    ares_addrttl records[max_records];
    parsed = ares_parse_a_reply(reply.data(), int(reply.size()), nullptr, records, &count);
    if (parsed == ARES_SUCCESS) {
      for (int i = 0; i < count; ++i) {
        geo::Address address;
        std::memcpy(address.bytes.data(), &records[i].ipaddr, 4);
        addresses.push_back(address);
        ttl = std::min(ttl, ttl_of(records[i].ttl));
      }
    }
  } else {
    ares_addr6ttl records[max_records];
    parsed = ares_parse_aaaa_reply(reply.data(), int(reply.size()), nullptr, records, &count);
    if (parsed == ARES_SUCCESS) {
      for (int i = 0; i < count; ++i) {
        geo::Address address;
        address.family = geo::Family::v6;
        std::memcpy(address.bytes.data(), &records[i].ip6addr, 16);
        addresses.push_back(address);
        ttl = std::min(ttl, ttl_of(records[i].ttl));
      }
    }
  }
  // A reply with only a CNAME (its target's addresses not included) has no records for us.
  if (parsed == ARES_ENODATA || (parsed == ARES_SUCCESS && addresses.empty())) return FamilyAnswer::nothing();
  if (parsed != ARES_SUCCESS) return FamilyAnswer::failure(status_reason(parsed));
  return FamilyAnswer::found(std::move(addresses), ttl);
}

}  // namespace meridian::resolver
