// The resolved-address table: per-endpoint slots, family filters, caps, and readers racing a
// writer never seeing a torn list.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "resolver/resolved_table.h"
#include "tests/unit/resolver_fixture.h"

using namespace meridian;
using resolver::ResolvedTable;
using resolver_test::address;
using resolver_test::published;

TEST_CASE("a new table has no address for any endpoint and generation 0") {
  ResolvedTable table(3);
  CHECK(table.size() == 3);
  CHECK(table.generation() == 0);
  geo::Address out[4];
  CHECK(table.read(0, out) == 0);
  CHECK(table.read(2, geo::Family::v6, out) == 0);
}

TEST_CASE("publish replaces one endpoint's addresses and bumps the generation") {
  ResolvedTable table(2);
  std::vector<geo::Address> first{address("192.0.2.1"), address("2001:db8::1"), address("192.0.2.2")};
  table.publish(1, first);
  CHECK(table.generation() == 1);
  CHECK(published(table, 1) == std::vector<std::string>{"192.0.2.1", "192.0.2.2", "2001:db8::1"});
  CHECK(published(table, 0).empty());

  geo::Address out[8];
  REQUIRE(table.read(1, geo::Family::v6, out) == 1);
  CHECK(out[0].to_string() == "2001:db8::1");
  REQUIRE(table.read(1, geo::Family::v4, out) == 2);
  CHECK(out[1].to_string() == "192.0.2.2");

  table.publish(1, std::vector<geo::Address>{address("198.51.100.1")});
  CHECK(table.generation() == 2);
  CHECK(published(table, 1) == std::vector<std::string>{"198.51.100.1"});
  table.publish(1, {});
  CHECK(published(table, 1).empty());
}

TEST_CASE("reads stop at the caller's buffer; publish keeps at most 8 per family") {
  ResolvedTable table(1);
  std::vector<geo::Address> many;
  for (int i = 1; i <= 12; ++i) many.push_back(address("192.0.2." + std::to_string(i)));
  many.push_back(address("2001:db8::1"));
  table.publish(0, many);
  geo::Address small[3];
  CHECK(table.read(0, geo::Family::v4, small) == 3);
  CHECK(small[2].to_string() == "192.0.2.3");
  geo::Address all[ResolvedTable::max_addresses];
  CHECK(table.read(0, all) == 9);
  CHECK(all[7].to_string() == "192.0.2.8");
  CHECK(all[8].to_string() == "2001:db8::1");
}

TEST_CASE("an unknown endpoint reads as empty and cannot be published") {
  ResolvedTable table(1);
  geo::Address out[2];
  CHECK(table.read(7, out) == 0);
  CHECK(table.read(7, geo::Family::v4, out) == 0);
  CHECK_THROWS_AS(table.publish(1, {}), std::out_of_range);
}

namespace {

// Version n publishes (n % 8) + 1 IPv4 and (n % 5) + 1 IPv6 addresses, every one of them
// carrying n, so a reader can tell a whole version from a mix of two.
std::vector<geo::Address> version(uint32_t n) {
  std::vector<geo::Address> addresses;
  for (uint32_t i = 0; i <= n % 8; ++i) {
    geo::Address a;
    std::memcpy(a.bytes.data(), &n, 4);
    addresses.push_back(a);
  }
  for (uint32_t i = 0; i <= n % 5; ++i) {
    geo::Address a;
    a.family = geo::Family::v6;
    for (int word = 0; word < 4; ++word) std::memcpy(a.bytes.data() + 4 * word, &n, 4);
    addresses.push_back(a);
  }
  return addresses;
}

}  // namespace

TEST_CASE("readers racing a writer always see one whole version") {
  ResolvedTable table(2);
  table.publish(0, version(0));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0}, torn{0};
  auto reader = [&] {
    geo::Address out[ResolvedTable::max_addresses];
    uint32_t last = 0;
    while (!done.load(std::memory_order_relaxed)) {
      size_t count = table.read(0, out);
      uint32_t n;
      std::memcpy(&n, out[0].bytes.data(), 4);
      bool whole = count == (n % 8) + 1 + (n % 5) + 1 && n >= last;
      for (size_t i = 0; i < count && whole; ++i) {
        bool v4 = i <= n % 8;
        whole = out[i].family == (v4 ? geo::Family::v4 : geo::Family::v6);
        for (int word = 0; word < (v4 ? 1 : 4) && whole; ++word) {
          uint32_t seen;
          std::memcpy(&seen, out[i].bytes.data() + 4 * word, 4);
          whole = seen == n;
        }
      }
      if (!whole) ++torn;
      last = n;
      ++reads;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader);
  constexpr uint32_t versions = 200000;
  for (uint32_t n = 1; n <= versions; ++n) {
    table.publish(0, version(n));
    if (n % 1000 == 0) table.publish(1, version(n));  // a neighbour's writes do not disturb slot 0
  }
  // Let the readers see the last version too, however the threads were scheduled.
  resolver_test::wait_until([&] { return reads.load() > 1000; });
  done = true;
  for (auto& thread : readers) thread.join();
  CHECK(torn.load() == 0);
  CHECK(reads.load() > 1000);
  CHECK(table.generation() == versions + versions / 1000 + 1);
}
