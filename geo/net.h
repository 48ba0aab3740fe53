// IP addresses and CIDR prefixes: parsing, printing and prefix arithmetic shared by every module.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meridian::geo {

enum class Family : uint8_t { v4, v6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes.
struct Address {
  Family family = Family::v4;
  std::array<uint8_t, 16> bytes{};

  size_t size() const { return family == Family::v4 ? 4 : 16; }
  unsigned max_prefix() const { return family == Family::v4 ? 32 : 128; }
  bool operator==(const Address&) const = default;

  static std::optional<Address> parse(std::string_view text);
  std::string to_string() const;
  // The address with every bit past `prefix` cleared.
  Address masked(unsigned prefix) const;
};

struct Cidr {
  Address network;  // always masked to `prefix`
  unsigned prefix = 0;

  bool operator==(const Cidr&) const = default;
  bool contains(const Address& address) const;
  // Accepts "192.0.2.0/24", "2001:db8::/32", or a bare address (a host prefix).
  // Host bits set past the prefix are an error, so typos do not widen a range silently.
  static std::optional<Cidr> parse(std::string_view text);
  std::string to_string() const;
};

// "ADDR:PORT" or "[ADDR6]:PORT".
struct SocketAddress {
  Address address;
  uint16_t port = 0;
  static std::optional<SocketAddress> parse(std::string_view text);
  std::string to_string() const;
};

}  // namespace meridian::geo
