// The simulator's DNS client for real-time mode: one query at a time over UDP, with the client's
// ECS subnet, reduced to what the report needs (outcome, addresses, TTL, ECS scope).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"

namespace meridian::sim {

struct DnsReply {
  // "answer" (NOERROR with records of the type asked), "NODATA" (NOERROR, none of the type),
  // "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "timeout", "error: <why>".
  std::string outcome;
  std::vector<geo::Address> addresses;  // A/AAAA records in the answer section
  std::vector<std::string> cnames;      // CNAME targets (presentation form, no trailing dot, lower case)
  uint32_t ttl = 0;                     // the lowest TTL in the answer section (0 when none)
  unsigned scope_prefix = 0;            // the ECS option's scope prefix in the reply (0 when absent)
};

// Owns a file descriptor: closed when it goes, so no error path leaks a socket.
class OwnedDescriptor {
 public:
  explicit OwnedDescriptor(int descriptor = -1) : descriptor_(descriptor) {}
  ~OwnedDescriptor();
  OwnedDescriptor(OwnedDescriptor&& other) noexcept : descriptor_(std::exchange(other.descriptor_, -1)) {}
  OwnedDescriptor& operator=(OwnedDescriptor&& other) noexcept;
  OwnedDescriptor(const OwnedDescriptor&) = delete;
  OwnedDescriptor& operator=(const OwnedDescriptor&) = delete;

  int get() const { return descriptor_; }

 private:
  int descriptor_ = -1;
};

// One UDP socket connected to the server, for one client thread (not shared: queries are one at
// a time, and a reply is matched by ID and question so a late reply to an earlier query that
// timed out is not taken for the current one).
class DnsClient {
 public:
  // Throws std::runtime_error on socket errors.
  explicit DnsClient(const geo::SocketAddress& server);

  // One query with EDNS0 (payload 1232) and an ECS option for `subnet` (RFC 7871: family, source
  // prefix, the address truncated to the prefix's bytes), with a random ID. Waits up to `timeout`
  // for the reply with the same ID and question, ignoring any other datagram. A reply with TC set
  // is "error: truncated": the simulator does not retry over TCP, and its answers fit in UDP.
  DnsReply query(std::string_view name, uint16_t qtype, const geo::Cidr& subnet, model::Duration timeout);

 private:
  OwnedDescriptor socket_;
  std::mt19937 random_;
  std::vector<uint8_t> receive_buffer_;
};

}  // namespace meridian::sim
