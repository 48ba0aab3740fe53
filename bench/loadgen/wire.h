// loadgen/wire.h: the few DNS wire operations the load generator needs (build a query, check
// an answer), written out by hand so the hot loop does not allocate or call into ldns.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

// An IPv4 or IPv6 address as raw bytes (IPv4 in the first four).
struct IpAddress {
  uint8_t family = 0;  // 4 or 6; 0 = none
  std::array<uint8_t, 16> bytes{};

  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

// EDNS Client Subnet option to put in a query (RFC 7871).
struct ClientSubnet {
  IpAddress address;
  uint8_t source_prefix = 0;
};

uint16_t qtype_from_string(std::string_view text);  // 0 when unknown
int rcode_from_string(std::string_view text);       // -1 when unknown
std::string rcode_to_string(int rcode);

// A query with ID 0: the sender writes the ID into bytes 0-1 of its copy. `edns` adds an OPT
// record (payload 1232); `subnet` adds an ECS option to it.
std::vector<uint8_t> build_query(std::string_view qname, uint16_t qtype, bool edns,
                                 const std::optional<ClientSubnet>& subnet);

// What an answer must look like for a given query.
struct Expectation {
  enum class Answers : uint8_t { anything, none, any_of };
  int rcode = 0;  // -1: any rcode
  Answers answers = Answers::anything;
  std::vector<IpAddress> allowed;  // any_of: each A/AAAA in the answer section is one of these

  std::string to_string() const;
};

// The outcome of checking one response against the query it answers.
enum class Verdict : uint8_t { right, wrong_rcode, wrong_answer, wrong_question, malformed, truncated };
const char* verdict_name(Verdict verdict);

// `query` is the template that was sent (its ID bytes are ignored), `response` the whole
// response message. Only the header is looked at when `expectation` is null.
Verdict check_response(std::span<const uint8_t> query, std::span<const uint8_t> response,
                       const Expectation* expectation);

// A human-readable one-line summary of a response (rcode and answer addresses), for the few
// wrong answers the generator prints.
std::string describe_response(std::span<const uint8_t> response);

}  // namespace loadgen
