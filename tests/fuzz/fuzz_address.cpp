// Address, CIDR and ADDR:PORT parsing on any text: what parses prints back to itself, and a
// table of the parsed prefixes finds each one's own network.
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "geo/cidr_table.h"
#include "geo/net.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto address = geo::Address::parse(text)) {
    MERIDIAN_FUZZ_CHECK(geo::Address::parse(address->to_string()) == address);
    MERIDIAN_FUZZ_CHECK(address->masked(address->max_prefix()) == *address);
  }
  if (const auto socket = geo::SocketAddress::parse(text)) {
    const auto again = geo::SocketAddress::parse(socket->to_string());
    MERIDIAN_FUZZ_CHECK(again && again->address == socket->address && again->port == socket->port);
  }
  // Each line a prefix: all of them into one table, then each network looked up.
  geo::CidrTable<size_t> table;
  std::vector<geo::Cidr> prefixes;
  size_t start = 0;
  while (start <= text.size() && prefixes.size() < 64) {
    const size_t end = std::min(text.find('\n', start), text.size());
    if (const auto cidr = geo::Cidr::parse(text.substr(start, end - start))) {
      MERIDIAN_FUZZ_CHECK(geo::Cidr::parse(cidr->to_string()) == cidr);
      MERIDIAN_FUZZ_CHECK(cidr->contains(cidr->network));
      try {
        table.insert(*cidr, prefixes.size());
        prefixes.push_back(*cidr);
      } catch (const std::invalid_argument&) {  // a duplicate
      }
    }
    start = end + 1;
  }
  table.freeze();
  for (const auto& cidr : prefixes) {
    const auto match = table.match(cidr.network);
    MERIDIAN_FUZZ_CHECK(match && match.prefix >= cidr.prefix);
  }
  return 0;
}
