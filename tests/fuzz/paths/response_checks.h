// The checks every response must pass, whatever the query (the respond and zone fuzz targets).
#pragma once
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <span>

#include "conf/model.h"
#include "fuzz_support.h"
#include "server/query.h"
#include "server/response.h"

namespace meridian::fuzz {

// The largest message the client accepts over UDP: 512 without EDNS (RFC 1035 4.2.1), else its
// EDNS payload size capped by ours, never below 512 (RFC 6891 6.2.3, 6.2.5).
inline size_t udp_limit(const server::Query& query, const model::ServerSettings& settings) {
  if (!query.edns) return 512;
  return std::max<size_t>(512, std::min<size_t>(query.udp_size, settings.udp_payload));
}

// `query` and `outcome`: what parse_query made of `packet`.
inline void check_response(std::span<const uint8_t> packet, const server::Query& query,
                           server::ParseOutcome outcome, const server::Response& response,
                           std::span<const uint8_t> out, size_t limit) {
  FUZZ_CHECK(response.size <= out.size());
  FUZZ_CHECK(response.size <= limit);
  FUZZ_CHECK((response.size == 0) == (outcome == server::ParseOutcome::drop));
  if (response.size == 0) return;
  FUZZ_CHECK(response.size >= 12);
  FUZZ_CHECK(std::memcmp(out.data(), packet.data(), 2) == 0);  // the ID, echoed
  FUZZ_CHECK(out[2] & 0x80);                                   // QR
  FUZZ_CHECK((out[3] & 0x0f) == (response.rcode & 0x0f));
  FUZZ_CHECK(bool(out[2] & 0x02) == response.truncated);  // TC; over TCP too, past 64 KiB
  FUZZ_CHECK(response.question_end <= response.size);
  // The question echoed as asked, case and all (RFC 1035 4.1.1, RFC 4343).
  if (query.has_question) {
    const size_t question_length = query.qname_length + 4;
    FUZZ_CHECK(out[4] == 0 && out[5] == 1 && response.question_end == 12 + question_length);
    FUZZ_CHECK(std::memcmp(out.data() + 12, packet.data() + 12, question_length) == 0);
  } else {
    FUZZ_CHECK(out[4] == 0 && out[5] == 0 && response.question_end == 12);
  }
  FUZZ_CHECK(response.opt_at == 0 || response.opt_at + 11u <= response.size);
  ldns_pkt* parsed = nullptr;
  const ldns_status status = ldns_wire2pkt(&parsed, out.data(), response.size);
  if (status != LDNS_STATUS_OK)
    std::fprintf(stderr, "ldns cannot parse the response: %s\n", ldns_get_errorstr_by_id(status));
  FUZZ_CHECK(status == LDNS_STATUS_OK);
  ldns_pkt_free(parsed);
}

}  // namespace meridian::fuzz
