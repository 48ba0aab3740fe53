// The query parser on raw bytes: never a crash or an out-of-bounds read, and what it accepts
// is consistent (a name within 255 bytes, an ECS address with no bits past its prefix).
#include <cstdint>

#include "fuzz_support.h"
#include "server/query.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  server::Query query;
  const auto outcome = server::parse_query({data, size}, query);
  if (outcome != server::ParseOutcome::ok) return 0;
  MERIDIAN_FUZZ_CHECK(query.has_question);
  MERIDIAN_FUZZ_CHECK(query.qname_length >= 1 && query.qname_length <= server::max_name_length);
  MERIDIAN_FUZZ_CHECK(query.udp_size >= 512 || !query.edns);
  if (query.has_ecs) {
    MERIDIAN_FUZZ_CHECK(query.ecs.source_prefix <= query.ecs.address.max_prefix());
    MERIDIAN_FUZZ_CHECK(query.ecs.address.masked(query.ecs.source_prefix) == query.ecs.address);
  }
  // A second parse into the same, reused Query gives the same result (the batch responder reuses them).
  server::Query again = query;
  MERIDIAN_FUZZ_CHECK(server::parse_query({data, size}, again) == outcome);
  MERIDIAN_FUZZ_CHECK(again.qname_length == query.qname_length && again.qtype == query.qtype);
  return 0;
}
