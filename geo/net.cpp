// Parsing and printing of addresses, CIDR prefixes and socket addresses.
#include "geo/net.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace meridian::geo {

std::optional<Address> Address::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  Address address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) {
    address.family = Family::v4;
    return address;
  }
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) {
    address.family = Family::v6;
    return address;
  }
  return std::nullopt;
}

std::string Address::to_string() const {
  char buffer[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

Address Address::masked(unsigned prefix) const {
  // Two 64-bit halves, most significant bit first: one AND each instead of a loop over bytes.
  uint64_t high = 0, low = 0;
  std::memcpy(&high, bytes.data(), 8);
  std::memcpy(&low, bytes.data() + 8, 8);
  const auto mask = [](unsigned bits) { return bits == 0 ? 0 : bits >= 64 ? ~0ull : ~0ull << (64 - bits); };
  high &= __builtin_bswap64(mask(prefix));
  low &= __builtin_bswap64(mask(prefix > 64 ? prefix - 64 : 0));
  Address result;
  result.family = family;
  std::memcpy(result.bytes.data(), &high, 8);
  std::memcpy(result.bytes.data() + 8, &low, 8);
  return result;
}

bool Cidr::contains(const Address& address) const {
  return address.family == network.family && address.masked(prefix) == network;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = Address::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  unsigned prefix = address->max_prefix();
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
        prefix > address->max_prefix())
      return std::nullopt;
  }
  if (address->masked(prefix) != *address) return std::nullopt;
  return Cidr{*address, prefix};
}

std::string Cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto address = Address::parse(host);
    if (!address || address->family != Family::v6) return std::nullopt;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  auto address = Address::parse(host);
  if (!address) return std::nullopt;
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535)
    return std::nullopt;
  return SocketAddress{*address, static_cast<uint16_t>(value)};
}

std::string SocketAddress::to_string() const {
  if (address.family == Family::v6) return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

}  // namespace meridian::geo
