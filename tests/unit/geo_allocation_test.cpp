// Unit tests that the query-path lookups (GeoDb::lookup, CidrTable::find) never allocate.
//
// This file replaces the global operator new/delete for the whole unit_geo executable with
// counting versions; they only count while a test has switched counting on for its thread.
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "geo/geo.h"

namespace {

thread_local bool counting = false;
thread_local size_t allocations = 0;

// Counts allocations made by the current thread while it runs `function`.
template <typename Function>
size_t allocations_during(Function function) {
  allocations = 0;
  counting = true;
  function();
  counting = false;
  return allocations;
}

}  // namespace

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* memory = std::malloc(size ? size : 1)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
// Not inlined: once inlined, GCC's -Wmismatched-new-delete sees a `new` paired with free() and
// warns, not knowing that this operator new is malloc underneath.
[[gnu::noinline]] void operator delete(void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete[](void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }

using meridian::geo::Address;

TEST_CASE("the allocation counter sees allocations") {
  CHECK(allocations_during([] { std::vector<int> v(100); }) == 1);
}

TEST_CASE("GeoDb::lookup does not allocate") {
  const std::string testdata = MERIDIAN_GEO_TESTDATA;
  auto db = meridian::geo::GeoDb::open(
      {std::string(MERIDIAN_SOURCE_DIR) + "/tests/fixtures/geo/flat-city-test.mmdb",
       testdata + "/maxmind-test-data/GeoIP2-City-Test.mmdb",
       testdata + "/dbip-country-lite/dbip-country.mmdb"});
  std::vector<Address> addresses;
  for (const char* text :
       {"81.2.69.160", "2.3.3.1", "214.1.1.1", "1.1.1.1", "2001:218::1", "::ffff:81.2.69.160",
        "192.0.2.1", "198.51.100.200", "8.8.8.8", "2001:db8:1::1", "10.0.0.1"})
    addresses.push_back(*Address::parse(text));
  size_t found = 0;
  // Each thread sets up its record cache on its first lookup, once: per lookup, nothing.
  (void)db->lookup(addresses.front());
  CHECK(allocations_during([&] {
          for (const Address& address : addresses) found += db->lookup(address).found ? 1 : 0;
        }) == 0);
  CHECK(found == 10);  // all but 10.0.0.1 (dbip-country knows 1.1.1.1)
}

TEST_CASE("CidrTable::find and match do not allocate") {
  meridian::geo::CidrTable<std::string> table;
  table.insert(*meridian::geo::Cidr::parse("10.0.0.0/8"), "a");
  table.insert(*meridian::geo::Cidr::parse("10.1.0.0/16"), "b");
  table.insert(*meridian::geo::Cidr::parse("2001:db8::/32"), "c");
  table.freeze();
  const Address v4 = *Address::parse("10.1.2.3");
  const Address v6 = *Address::parse("2001:db8::1");
  const std::string* found = nullptr;
  unsigned prefix = 0;
  CHECK(allocations_during([&] {
          found = table.find(v4);
          prefix = table.match(v6).prefix;
        }) == 0);
  REQUIRE(found);
  CHECK(*found == "b");
  CHECK(prefix == 32);
}
