// Unit tests for geo::CidrTable: longest-prefix match over IPv4 and IPv6 prefixes.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geo/cidr_table.h"

using meridian::geo::Address;
using meridian::geo::Cidr;
using meridian::geo::CidrTable;

namespace {

Address ip(std::string_view text) {
  auto address = Address::parse(text);
  REQUIRE(address);
  return *address;
}

Cidr cidr(std::string_view text) {
  auto parsed = Cidr::parse(text);
  REQUIRE(parsed);
  return *parsed;
}

std::string found(const CidrTable<std::string>& table, std::string_view address) {
  const std::string* value = table.find(ip(address));
  return value ? *value : "(none)";
}

}  // namespace

TEST_CASE("an address inside one prefix finds that prefix's value") {
  CidrTable<std::string> table;
  table.insert(cidr("198.51.100.0/24"), "doc");
  table.freeze();
  CHECK(found(table, "198.51.100.0") == "doc");
  CHECK(found(table, "198.51.100.77") == "doc");
  CHECK(found(table, "198.51.100.255") == "doc");
}

TEST_CASE("an address outside every prefix finds nothing") {
  CidrTable<std::string> table;
  table.insert(cidr("198.51.100.0/24"), "doc");
  table.insert(cidr("2001:db8::/32"), "doc6");
  table.freeze();
  CHECK(table.find(ip("198.51.101.1")) == nullptr);
  CHECK(table.find(ip("10.0.0.1")) == nullptr);
  CHECK(table.find(ip("2001:db9::1")) == nullptr);
  CHECK_FALSE(table.match(ip("198.51.99.255")));
}

TEST_CASE("nested IPv4 prefixes: the longest one holding the address wins") {
  CidrTable<std::string> table;
  table.insert(cidr("10.0.0.0/8"), "/8");
  table.insert(cidr("10.1.0.0/16"), "/16");
  table.insert(cidr("10.1.2.0/24"), "/24");
  table.insert(cidr("10.1.2.3/32"), "/32");
  table.freeze();
  CHECK(found(table, "10.1.2.3") == "/32");
  CHECK(found(table, "10.1.2.4") == "/24");
  CHECK(found(table, "10.1.3.1") == "/16");
  CHECK(found(table, "10.2.0.1") == "/8");
  CHECK(found(table, "11.0.0.1") == "(none)");
}

TEST_CASE("insertion order does not change which prefix wins") {
  CidrTable<std::string> table;
  table.insert(cidr("10.1.2.0/24"), "/24");
  table.insert(cidr("10.0.0.0/8"), "/8");
  table.insert(cidr("10.1.0.0/16"), "/16");
  table.freeze();
  CHECK(found(table, "10.1.2.9") == "/24");
  CHECK(found(table, "10.1.9.9") == "/16");
  CHECK(found(table, "10.9.9.9") == "/8");
}

TEST_CASE("nested IPv6 prefixes: the longest one holding the address wins") {
  CidrTable<std::string> table;
  table.insert(cidr("2001:db8::/32"), "/32");
  table.insert(cidr("2001:db8:1::/48"), "/48");
  table.insert(cidr("2001:db8:1:2::/64"), "/64");
  table.insert(cidr("2001:db8:1:2::1/128"), "/128");
  table.insert(cidr("2001:db8:1:2:8000::/65"), "/65");
  table.freeze();
  CHECK(found(table, "2001:db8:1:2::1") == "/128");
  CHECK(found(table, "2001:db8:1:2::2") == "/64");
  CHECK(found(table, "2001:db8:1:2:8000::1") == "/65");
  CHECK(found(table, "2001:db8:1:3::1") == "/48");
  CHECK(found(table, "2001:db8:ffff::1") == "/32");
  CHECK(found(table, "2001:db9::1") == "(none)");
}

TEST_CASE("match reports the length of the matching prefix") {
  CidrTable<int> table;
  table.insert(cidr("192.0.2.0/24"), 24);
  table.insert(cidr("192.0.2.128/25"), 25);
  table.insert(cidr("2001:db8::/56"), 56);
  table.freeze();
  auto v4 = table.match(ip("192.0.2.200"));
  REQUIRE(v4);
  CHECK(*v4.value == 25);
  CHECK(v4.prefix == 25);
  auto v4_short = table.match(ip("192.0.2.1"));
  REQUIRE(v4_short);
  CHECK(v4_short.prefix == 24);
  auto v6 = table.match(ip("2001:db8:0:ff::1"));
  REQUIRE(v6);
  CHECK(v6.prefix == 56);
}

TEST_CASE("a /0 prefix holds every address of its own family only") {
  CidrTable<std::string> table;
  table.insert(cidr("0.0.0.0/0"), "any4");
  table.insert(cidr("203.0.113.0/24"), "doc");
  table.freeze();
  CHECK(found(table, "203.0.113.5") == "doc");
  CHECK(found(table, "1.2.3.4") == "any4");
  CHECK(found(table, "255.255.255.255") == "any4");
  CHECK(table.match(ip("1.2.3.4")).prefix == 0);
  CHECK(found(table, "2001:db8::1") == "(none)");

  CidrTable<std::string> v6_default;
  v6_default.insert(cidr("::/0"), "any6");
  v6_default.freeze();
  CHECK(found(v6_default, "2001:db8::1") == "any6");
  CHECK(found(v6_default, "::") == "any6");
  CHECK(found(v6_default, "1.2.3.4") == "(none)");
}

TEST_CASE("IPv4 and IPv6 prefixes with the same bits are kept apart") {
  // ::/96 and 0.0.0.0/0 would collide if families shared one key space.
  CidrTable<std::string> table;
  table.insert(cidr("10.0.0.0/8"), "v4");
  table.insert(cidr("a00::/8"), "v6");  // the same leading byte, 0x0a
  table.insert(cidr("::/96"), "v6-low");
  table.freeze();
  CHECK(found(table, "10.1.1.1") == "v4");
  CHECK(found(table, "a00::1") == "v6");
  CHECK(found(table, "::10.1.1.1") == "v6-low");
  CHECK(found(table, "::ffff:10.1.1.1") == "(none)");
  CHECK(found(table, "11.0.0.0") == "(none)");
}

TEST_CASE("inserting the same prefix twice throws invalid_argument") {
  CidrTable<int> table;
  table.insert(cidr("192.0.2.0/24"), 1);
  CHECK_THROWS_AS(table.insert(cidr("192.0.2.0/24"), 2), std::invalid_argument);
  table.insert(cidr("2001:db8::/32"), 3);
  CHECK_THROWS_AS(table.insert(cidr("2001:db8::/32"), 4), std::invalid_argument);
  // Same network, other length, or same bits in the other family: different prefixes.
  CHECK_NOTHROW(table.insert(cidr("192.0.2.0/25"), 5));
  CHECK_NOTHROW(table.insert(cidr("::/0"), 6));
  CHECK_NOTHROW(table.insert(cidr("0.0.0.0/0"), 7));
  CHECK(table.size() == 5);
}

TEST_CASE("inserting after freeze throws logic_error") {
  CidrTable<int> table;
  table.insert(cidr("192.0.2.0/24"), 1);
  table.freeze();
  CHECK_THROWS_AS(table.insert(cidr("198.51.100.0/24"), 2), std::logic_error);
  CHECK(table.size() == 1);
}

TEST_CASE("size and empty count prefixes before and after freeze") {
  CidrTable<int> table;
  CHECK(table.empty());
  CHECK(table.size() == 0);
  table.insert(cidr("192.0.2.0/24"), 1);
  table.insert(cidr("2001:db8::/32"), 2);
  CHECK(table.size() == 2);
  CHECK_FALSE(table.empty());
  table.freeze();
  CHECK(table.frozen());
  CHECK(table.size() == 2);
  table.freeze();  // a second freeze changes nothing
  CHECK(table.size() == 2);
  CHECK(*table.find(ip("192.0.2.1")) == 1);
}

TEST_CASE("an empty frozen table finds nothing") {
  CidrTable<int> table;
  table.freeze();
  CHECK(table.find(ip("192.0.2.1")) == nullptr);
  CHECK(table.find(ip("2001:db8::1")) == nullptr);
}

TEST_CASE("values that own memory, as latency tables use, are moved in and found") {
  using Latencies = std::vector<std::pair<std::string, double>>;
  CidrTable<Latencies> table;
  table.insert(cidr("198.51.100.0/24"),
               Latencies{{"azure:eastus", 12.5}, {"azure:westeurope", 80}});
  table.freeze();
  const Latencies* latencies = table.find(ip("198.51.100.9"));
  REQUIRE(latencies);
  REQUIRE(latencies->size() == 2);
  CHECK((*latencies)[1].first == "azure:westeurope");
}

TEST_CASE("many prefixes of many lengths agree with a linear scan") {
  // A deterministic pseudo-random set of IPv4 prefixes; for each probe the table's answer must
  // be the longest prefix a brute-force scan finds.
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::vector<Cidr> prefixes;
  CidrTable<size_t> table;
  while (prefixes.size() < 2000) {
    Address address;
    const uint32_t bits = static_cast<uint32_t>(next()) & 0x0fffffffu;  // 0.0.0.0/4: overlaps
    for (int i = 0; i < 4; ++i) address.bytes[i] = static_cast<uint8_t>(bits >> (24 - 8 * i));
    const unsigned prefix = 4 + static_cast<unsigned>(next() % 29);
    Cidr candidate{address.masked(prefix), prefix};
    bool duplicate = false;
    for (const Cidr& existing : prefixes) duplicate = duplicate || existing == candidate;
    if (duplicate) continue;
    table.insert(candidate, prefixes.size());
    prefixes.push_back(candidate);
  }
  table.freeze();
  for (int probe = 0; probe < 5000; ++probe) {
    Address address;
    const uint32_t bits = static_cast<uint32_t>(next()) & 0x0fffffffu;
    for (int i = 0; i < 4; ++i) address.bytes[i] = static_cast<uint8_t>(bits >> (24 - 8 * i));
    const Cidr* best = nullptr;
    for (const Cidr& prefix : prefixes)
      if (prefix.contains(address) && (!best || prefix.prefix > best->prefix)) best = &prefix;
    auto match = table.match(address);
    if (!best) {
      CHECK_FALSE(match);
    } else {
      REQUIRE(match);
      CHECK(match.prefix == best->prefix);
      CHECK(prefixes[*match.value] == *best);
    }
  }
}

TEST_CASE("masked clears exactly the bits past the prefix, for every prefix of both families") {
  const auto all_ones = [](meridian::geo::Family family) {
    meridian::geo::Address address;
    address.family = family;
    address.bytes.fill(0xff);
    return address;
  };
  for (auto family : {meridian::geo::Family::v4, meridian::geo::Family::v6}) {
    const auto ones = all_ones(family);
    for (unsigned prefix = 0; prefix <= 128; ++prefix) {
      CAPTURE(prefix);
      const auto masked = ones.masked(prefix);
      CHECK(masked.family == family);
      for (unsigned bit = 0; bit < 128; ++bit) {
        const bool set = (masked.bytes[bit / 8] >> (7 - bit % 8)) & 1;
        if (set != (bit < prefix)) FAIL_CHECK("bit " << bit << " is " << set);
      }
    }
  }
}
