// Unit tests for geo::GeoDb: lookups in MaxMind's test databases, the flat layout, bad files.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "geo/geo.h"

using meridian::geo::Address;
using meridian::geo::GeoDb;
using meridian::geo::GeoError;
using meridian::geo::GeoInfo;

namespace {

const std::string testdata = MERIDIAN_GEO_TESTDATA;
const std::string maxmind = testdata + "/maxmind-test-data/";
const std::string city_test = maxmind + "GeoIP2-City-Test.mmdb";
const std::string country_test = maxmind + "GeoIP2-Country-Test.mmdb";
const std::string dbip_country = testdata + "/dbip-country-lite/dbip-country.mmdb";
// Made by tests/fixtures/geo/make-flat-city-test.pl: the flat ip-location-db city layout.
const std::string flat_city =
    std::string(MERIDIAN_SOURCE_DIR) + "/tests/fixtures/geo/flat-city-test.mmdb";

Address ip(std::string_view text) {
  auto address = Address::parse(text);
  REQUIRE(address);
  return *address;
}

GeoInfo lookup(const std::vector<std::string>& paths, std::string_view address) {
  auto db = GeoDb::open(paths);
  REQUIRE(db);
  return db->lookup(ip(address));
}

}  // namespace

TEST_CASE("a GeoIP2 city record gives country, subdivision, continent, coordinates and prefix") {
  const GeoInfo info = lookup({city_test}, "81.2.69.160");
  CHECK(info.found);
  CHECK(info.country_code() == "GB");
  CHECK(info.subdivision_code() == "ENG");
  CHECK(std::string_view(info.continent.data()) == "EU");
  REQUIRE(info.coordinates);
  CHECK(info.coordinates->lat == doctest::Approx(51.5142));
  CHECK(info.coordinates->lon == doctest::Approx(-0.0931));
  CHECK(info.prefix == 27);  // 81.2.69.160/27, stored in the IPv6 tree as ::81.2.69.160/123
}

TEST_CASE("the country is where the client is, never registered_country") {
  // registered_country differs from country on purpose in these records.
  CHECK(lookup({city_test}, "81.2.69.160").country_code() == "GB");    // registered US
  CHECK(lookup({city_test}, "67.43.156.1").country_code() == "BT");    // registered RO
  CHECK(lookup({city_test}, "89.160.20.112").country_code() == "SE");  // registered DE
}

TEST_CASE("the first subdivision is the one reported") {
  const GeoInfo info = lookup({city_test}, "2.125.160.216");  // subdivisions ENG, WBK
  CHECK(info.country_code() == "GB");
  CHECK(info.subdivision_code() == "ENG");
  CHECK(info.prefix == 29);
}

TEST_CASE("a record with only a continent is found, with no country and no coordinates") {
  const GeoInfo info = lookup({city_test}, "2.3.3.1");
  CHECK(info.found);
  CHECK(info.country_code().empty());
  CHECK(info.subdivision_code().empty());
  CHECK(std::string_view(info.continent.data()) == "EU");
  CHECK_FALSE(info.coordinates);
  CHECK(info.prefix == 24);
}

TEST_CASE("a record with no geographic data is found but says nothing") {
  const GeoInfo info = lookup({city_test}, "214.1.1.1");  // only traits.is_anycast
  CHECK(info.found);
  CHECK(info.country_code().empty());
  CHECK(info.continent[0] == '\0');
  CHECK_FALSE(info.coordinates);
}

TEST_CASE("an address in no network is not found") {
  for (std::string_view address : {"1.1.1.1", "127.0.0.1", "10.0.0.1", "2001:db8::1"}) {
    CAPTURE(address);
    const GeoInfo info = lookup({city_test}, address);
    CHECK_FALSE(info.found);
    CHECK(info.country_code().empty());
    CHECK_FALSE(info.coordinates);
    CHECK(info.prefix == 0);
  }
}

TEST_CASE("an IPv6 address is looked up with its IPv6 prefix") {
  const GeoInfo info = lookup({city_test}, "2001:218::1");
  CHECK(info.found);
  CHECK(info.country_code() == "JP");
  CHECK(std::string_view(info.continent.data()) == "AS");
  REQUIRE(info.coordinates);
  CHECK(info.coordinates->lat == doctest::Approx(35.68536));
  CHECK(info.coordinates->lon == doctest::Approx(139.75309));
  CHECK(info.prefix == 32);
}

TEST_CASE("an IPv4-mapped IPv6 address finds its IPv4 record, prefix in IPv6 terms") {
  const GeoInfo info = lookup({city_test}, "::ffff:81.2.69.160");
  CHECK(info.found);
  CHECK(info.country_code() == "GB");
  CHECK(info.subdivision_code() == "ENG");
  CHECK(info.prefix == 96 + 27);
}

TEST_CASE("a GeoIP2 record without location falls back to the country's centroid") {
  const GeoInfo info = lookup({country_test}, "74.209.24.1");
  CHECK(info.country_code() == "US");
  REQUIRE(info.coordinates);
  const auto centroid = meridian::geo::country_centroid("US");
  REQUIRE(centroid);
  CHECK(info.coordinates->lat == doctest::Approx(centroid->lat));
  CHECK(info.coordinates->lon == doctest::Approx(centroid->lon));
}

TEST_CASE("the flat country layout gives the country and the centroid") {
  const GeoInfo info = lookup({dbip_country}, "8.8.8.8");
  CHECK(info.found);
  CHECK(info.country_code() == "US");
  CHECK(info.subdivision_code().empty());
  REQUIRE(info.coordinates);
  CHECK(info.coordinates->lat == doctest::Approx(meridian::geo::country_centroid("US")->lat));
  CHECK(info.prefix > 0);
  CHECK(info.prefix <= 32);  // an IPv4 prefix, not the IPv6 tree's 96+n
}

TEST_CASE("the flat country layout does not know private addresses") {
  CHECK_FALSE(lookup({dbip_country}, "10.0.0.1").found);
  CHECK_FALSE(lookup({dbip_country}, "127.0.0.1").found);
}

TEST_CASE("the flat city layout maps a state name to its ISO 3166-2 code") {
  const GeoInfo info = lookup({flat_city}, "192.0.2.10");
  CHECK(info.found);
  CHECK(info.country_code() == "US");
  CHECK(info.subdivision_code() == "VA");
  CHECK(info.prefix == 24);
  REQUIRE(info.coordinates);
  CHECK(info.coordinates->lat == doctest::Approx(39.0438).epsilon(1e-5));  // stored as float
  CHECK(info.coordinates->lon == doctest::Approx(-77.4874).epsilon(1e-5));
}

TEST_CASE("the flat city layout matches state names regardless of case and accents given") {
  CHECK(lookup({flat_city}, "198.51.100.1").subdivision_code() == "SCT");  // "scotland"
  CHECK(lookup({flat_city}, "203.0.113.1").subdivision_code() == "NSW");
  const GeoInfo quebec = lookup({flat_city}, "2001:db8:1::1");  // "Québec"
  CHECK(quebec.country_code() == "CA");
  CHECK(quebec.subdivision_code() == "QC");
  CHECK(quebec.prefix == 48);
}

TEST_CASE("the flat city layout with an unknown state and no coordinates") {
  const GeoInfo info = lookup({flat_city}, "198.51.100.200");
  CHECK(info.found);
  CHECK(info.country_code() == "DE");
  CHECK(info.subdivision_code().empty());
  REQUIRE(info.coordinates);
  CHECK(info.coordinates->lat == doctest::Approx(meridian::geo::country_centroid("DE")->lat));
  CHECK(info.prefix == 25);
}

TEST_CASE("several databases are searched in order and the first holding the address answers") {
  // flat-city-test.mmdb has 81.2.69.0/24 in France; GeoIP2-City-Test.mmdb has it in London.
  CHECK(lookup({flat_city, city_test}, "81.2.69.160").country_code() == "FR");
  CHECK(lookup({city_test, flat_city}, "81.2.69.160").country_code() == "GB");
  // An address only the second file holds.
  CHECK(lookup({flat_city, city_test}, "2001:218::1").country_code() == "JP");
  CHECK(lookup({city_test, flat_city}, "192.0.2.1").country_code() == "US");
  CHECK_FALSE(lookup({flat_city, city_test}, "1.1.1.1").found);
}

TEST_CASE("an IPv6 address skips an IPv4-only database") {
  const std::string ipv4_only = maxmind + "MaxMind-DB-test-ipv4-24.mmdb";
  CHECK_FALSE(lookup({ipv4_only}, "2001:218::1").found);
  CHECK(lookup({ipv4_only, city_test}, "2001:218::1").country_code() == "JP");
  // IPv4 prefixes of an IPv4-only tree need no conversion.
  const GeoInfo info = lookup({ipv4_only}, "1.1.1.1");
  CHECK(info.found);
  CHECK(info.prefix == 32);
}

TEST_CASE("an IPv4 address under an IPv6 network wider than ::/96 reports prefix 0") {
  // This database holds ::/64 and no IPv4 subtree: every IPv4 address falls inside ::/64.
  const GeoInfo info = lookup({maxmind + "MaxMind-DB-no-ipv4-search-tree.mmdb"}, "1.1.1.1");
  CHECK(info.found);
  CHECK(info.prefix == 0);
}

TEST_CASE("no databases: every lookup is not found") {
  CHECK_FALSE(lookup({}, "81.2.69.160").found);
}

TEST_CASE("a missing file is a GeoError naming the path") {
  const std::string missing = testdata + "/no-such-file.mmdb";
  try {
    GeoDb::open({missing});
    FAIL("open succeeded");
  } catch (const GeoError& error) {
    const std::string message = error.what();
    CHECK(message.starts_with(missing + ": "));
    CHECK(message.find("No such file") != std::string::npos);
  }
}

TEST_CASE("a file that is not a MaxMind DB is a GeoError naming the path") {
  const std::string not_mmdb = maxmind + "LICENSE-MIT";
  try {
    GeoDb::open({city_test, not_mmdb});
    FAIL("open succeeded");
  } catch (const GeoError& error) {
    CHECK(std::string(error.what()).starts_with(not_mmdb + ": "));
  }
}

TEST_CASE("a record with corrupt data reads as not found") {
  // The location.latitude double of this record has the wrong size.
  const std::string broken = maxmind + "GeoIP2-City-Test-Broken-Double-Format.mmdb";
  CHECK_FALSE(lookup({broken}, "2.125.160.216").found);
  // ...and a later database can still answer for it.
  CHECK(lookup({broken, city_test}, "2.125.160.216").country_code() == "GB");
}

TEST_CASE("broken and corrupt databases never crash: open fails or lookups answer") {
  // libmaxminddb 1.7.1 rejects some of these at open and some at lookup, and finds nothing
  // wrong with others (tests/fixtures/geo-testdata/README.md); all that is asserted is a clean outcome.
  std::vector<std::string> files = {
      maxmind + "GeoIP2-City-Test-Broken-Double-Format.mmdb",
      maxmind + "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
      maxmind + "MaxMind-DB-test-broken-pointers-24.mmdb",
      maxmind + "MaxMind-DB-test-broken-search-tree-24.mmdb",
  };
  for (const auto& entry : std::filesystem::directory_iterator(maxmind + "bad-data"))
    if (entry.path().extension() == ".mmdb") files.push_back(entry.path().string());
  REQUIRE(files.size() >= 17);

  const char* addresses[] = {"1.1.1.1",
                             "1.1.1.3",
                             "81.2.69.160",
                             "2.125.160.216",
                             "255.255.255.255",
                             "0.0.0.0",
                             "::1",
                             "2001:218::1",
                             "::ffff:1.1.1.1",
                             "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
  for (const std::string& file : files) {
    CAPTURE(file);
    std::unique_ptr<GeoDb> db;
    try {
      db = GeoDb::open({file});
    } catch (const GeoError& error) {
      CHECK(std::string(error.what()).starts_with(file + ": "));
      continue;
    }
    for (const char* address : addresses) {
      const GeoInfo info = db->lookup(ip(address));
      CHECK(info.prefix <= ip(address).max_prefix());
    }
  }
}

TEST_CASE("a lookup never answers from another database's cached record") {
  const std::string testdata = MERIDIAN_GEO_TESTDATA;
  auto city = meridian::geo::GeoDb::open({testdata + "/maxmind-test-data/GeoIP2-City-Test.mmdb"});
  auto country = meridian::geo::GeoDb::open({testdata + "/dbip-country-lite/dbip-country.mmdb"});
  const auto address = *meridian::geo::Address::parse("214.0.0.1");
  for (int round = 0; round < 2; ++round) {
    CHECK(city->lookup(address).country_code() == "SG");  // the test data's Singapore network
    CHECK(country->lookup(address).country_code() == "US");
  }
}

TEST_CASE("answers stay the same when more networks are asked than the caches hold") {
  // 70,000 addresses spread over the IPv4 space: several times the answer cache's slots, so
  // entries are overwritten and records evicted; every later answer must match the first one.
  const std::string testdata = MERIDIAN_GEO_TESTDATA;
  auto db = meridian::geo::GeoDb::open({testdata + "/dbip-country-lite/dbip-country.mmdb"});
  std::vector<meridian::geo::Address> addresses;
  for (uint32_t i = 0; i < 70000; ++i) {
    const uint32_t value = i * 61357u + 16777216u;
    meridian::geo::Address address;
    address.bytes = {uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8), uint8_t(value)};
    addresses.push_back(address);
  }
  std::vector<std::pair<std::string, unsigned>> first;
  size_t found = 0;
  for (const auto& address : addresses) {
    const GeoInfo info = db->lookup(address);
    found += info.found;
    first.emplace_back(std::string(info.country_code()), info.prefix);
  }
  CHECK(found > addresses.size() / 2);  // most of the space is allocated to some country
  for (size_t i = addresses.size(); i-- > 0;) {
    const GeoInfo info = db->lookup(addresses[i]);
    CHECK(std::string(info.country_code()) == first[i].first);
    CHECK(info.prefix == first[i].second);
  }
}

TEST_CASE("prefetch is only a hint: before a thread's first lookup and between lookups it changes no answer") {
  const std::string testdata = MERIDIAN_GEO_TESTDATA;
  auto db = meridian::geo::GeoDb::open({testdata + "/maxmind-test-data/GeoIP2-City-Test.mmdb"});
  const auto london = *meridian::geo::Address::parse("81.2.69.160");
  const auto singapore = *meridian::geo::Address::parse("214.0.0.1");
  std::string first, second, third;
  // A thread of its own: its answer cache does not exist yet when prefetch() runs.
  std::thread([&] {
    db->prefetch(london);
    first = std::string(db->lookup(london).country_code());
    db->prefetch(singapore);
    db->prefetch(london);
    second = std::string(db->lookup(singapore).country_code());
    third = std::string(db->lookup(london).country_code());
  }).join();
  CHECK(first == "GB");
  CHECK(second == "SG");
  CHECK(third == "GB");
}
