// Parsing and validation of one DNS query message (RFC 1035, EDNS0 RFC 6891, ECS RFC 7871).
//
// Hand-written rather than ldns_wire2pkt because the checks RFC 6891 6.1.1 and RFC 7871 6 ask
// for (one OPT, owned by the root, options framed exactly, ECS address bits and lengths) need
// the raw option framing, which ldns folds away; it also reads the packet without allocating.
#pragma once

#include <cstdint>
#include <span>

#include "geo/net.h"

namespace meridian::server {

inline constexpr size_t max_name_length = 255;

struct ClientSubnet {
  geo::Address address;  // bits past source_prefix are zero
  uint8_t source_prefix = 0;
};

// Everything parse_query() reads from a message but the name's bytes, with its defaults.
struct QueryFields {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool rd = false;
  bool cd = false;
  size_t qname_length = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool has_question = false;  // the question parsed, so a response may echo it

  bool edns = false;
  uint16_t udp_size = 512;  // the client's limit; 512 without EDNS
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  bool nsid_requested = false;
  bool has_ecs = false;
  ClientSubnet ecs;
};

struct Query : QueryFields {
  // Only the first qname_length bytes are ever written or read: left uninitialised, so a query
  // does not start with a 510-byte memset.
  uint8_t qname[max_name_length];  // wire form, case as sent
  uint8_t qname_lower[max_name_length];

  // Back to the defaults, all but the name buffers: parse_query() starts with this, so a Query
  // can be reused (the batch responder keeps 32) without a 510-byte memset.
  // Copied from a constant rather than from a temporary: GCC builds the temporary on the stack
  // with overlapping stores and reads it back at once, two store-forwarding stalls that were
  // nearly half of parse_query's time (perf annotate, bench/answer-time.sh).
  void clear() { static_cast<QueryFields&>(*this) = defaults; }

 private:
  static constexpr QueryFields defaults{};
};

enum class ParseOutcome : uint8_t {
  ok,
  drop,     // not worth an answer: shorter than a header, or a response (QR set)
  formerr,  // malformed: answer FORMERR
  notimp,   // an opcode other than QUERY
  badvers,  // EDNS version above 0
};

// Fills `query` (cleared first, so it may be one used before).
ParseOutcome parse_query(std::span<const uint8_t> packet, Query& query);

}  // namespace meridian::server
