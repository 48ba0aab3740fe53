// What the responder says about an answer besides its bytes: for rate limiting (RRL) and
// metrics, which classify answers without parsing them again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meridian::server {

enum class AnswerKind : uint8_t {
  none,      // no answer at all (size 0)
  positive,  // NOERROR with records in the answer section
  nodata,    // NOERROR, the name exists, nothing of the type
  nxdomain,
  referral,  // a delegation: NS in authority, no aa
  error,     // FORMERR, NOTIMP, REFUSED, YXDOMAIN, BADVERS
};

struct Response {
  size_t size = 0;  // 0: no answer
  uint8_t rcode = 0;
  AnswerKind kind = AnswerKind::none;
  bool wildcard = false;     // synthesised from a wildcard (RFC 4592)
  bool truncated = false;    // sent with TC
  uint32_t zone = 0;         // the zone's position + 1; 0: no zone of ours
  uint16_t question_end = 12;  // where the header and question end
  uint16_t opt_at = 0;         // where the OPT record starts; 0: none
};

}  // namespace meridian::server
