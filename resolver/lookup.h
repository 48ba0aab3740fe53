// One target's lookup state, pure: fed the A and AAAA outcome of each lookup, it decides the
// answer to publish, when to look up again and what to log. No clock, no I/O, so every rule in
// resolver.h's header comment is unit-tested without a DNS server.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "resolver/resolver.h"

namespace meridian::resolver {

// What one query (A or AAAA) came back with.
struct FamilyAnswer {
  enum class Kind : uint8_t { addresses, no_data, failed };
  Kind kind = Kind::failed;
  std::vector<geo::Address> addresses;  // kind == addresses
  uint32_t ttl = 0;                     // kind == addresses: the smallest TTL among them
  std::string reason;                   // kind == failed: "NXDOMAIN", "SERVFAIL", "timeout", ...

  static FamilyAnswer found(std::vector<geo::Address> addresses, uint32_t ttl);
  static FamilyAnswer nothing();  // NODATA: the name exists, without records of this family
  static FamilyAnswer failure(std::string reason);
};

// What the resolver does after one lookup.
struct Step {
  std::vector<geo::Address> addresses;  // the answer to publish: IPv4 then IPv6, sorted, capped
  bool changed = false;                 // differs from the previous answer
  bool found = false;                   // this lookup yielded addresses
  std::string failure;                  // empty when both families answered
  bool log_answer = false;              // first answer, a change, or a recovery
  bool log_failure = false;             // a failure started or its reason changed
  uint32_t ttl = 0;                     // the smallest TTL among the fresh addresses
  model::Duration next{};               // when to look up again
};

class Lookup {
 public:
  explicit Lookup(Timing timing = {});

  Step record(const FamilyAnswer& v4, const FamilyAnswer& v6);

  // The answer currently published (the last good one).
  std::vector<geo::Address> addresses() const;
  bool answered() const { return answered_; }  // some lookup has yielded addresses
  unsigned consecutive_failures() const { return failures_; }

 private:
  model::Duration ttl_delay(uint32_t ttl) const;
  model::Duration retry_delay() const;

  Timing timing_;
  std::vector<geo::Address> v4_;
  std::vector<geo::Address> v6_;
  std::string failure_;
  unsigned failures_ = 0;
  bool answered_ = false;
};

// Sorted by value, duplicates and the other family removed, at most `limit` kept.
std::vector<geo::Address> canonical(std::vector<geo::Address> addresses, geo::Family family, size_t limit);

// "192.0.2.1,2001:db8::1", or "none" for no address.
std::string join_addresses(std::span<const geo::Address> addresses);

}  // namespace meridian::resolver
