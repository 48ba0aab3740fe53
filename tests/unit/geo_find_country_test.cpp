// Unit tests for geo::GeoDb::find_country: the first network a country's clients come from.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/geo.h"

using meridian::geo::Cidr;
using meridian::geo::Family;
using meridian::geo::GeoDb;
using meridian::geo::GeoError;

namespace {

const std::string testdata = MERIDIAN_GEO_TESTDATA;
const std::string maxmind = testdata + "/maxmind-test-data/";
const std::string city_test = maxmind + "GeoIP2-City-Test.mmdb";
const std::string lite_country_test = maxmind + "GeoLite2-Country-Test.mmdb";
const std::string ipv4_only_test = maxmind + "MaxMind-DB-test-ipv4-24.mmdb";
const std::string dbip_country = testdata + "/dbip-country-lite/dbip-country.mmdb";
// Made by tests/fixtures/geo/make-flat-city-test.pl: the flat ip-location-db city layout.
const std::string flat_city = std::string(MERIDIAN_SOURCE_DIR) + "/tests/fixtures/geo/flat-city-test.mmdb";

std::unique_ptr<GeoDb> open(const std::vector<std::string>& paths) {
  auto db = GeoDb::open(paths);
  REQUIRE(db);
  return db;
}

std::string found(const GeoDb& db, std::string_view country, Family family) {
  const std::optional<Cidr> network = db.find_country(country, family);
  return network ? network->to_string() : "(none)";
}

// What lookup() says about the network's first address: the promise find_country keeps.
std::string country_at(const GeoDb& db, const Cidr& network) {
  return std::string(db.lookup(network.network).country_code());
}

bool inside(const Cidr& network, std::string_view outer) {
  const auto wide = Cidr::parse(outer);
  REQUIRE(wide);
  return network.prefix >= wide->prefix && wide->contains(network.network);
}

}  // namespace

TEST_CASE("the network found is one lookup() places in the country") {
  const auto db = open({city_test});
  for (const std::string_view country : {"GB", "US", "SE", "CN", "BT", "PH", "AU", "SG"}) {
    CAPTURE(country);
    const auto network = db->find_country(country, Family::v4);
    REQUIRE(network);
    CHECK(network->network.family == Family::v4);
    CHECK(country_at(*db, *network) == country);
  }
}

TEST_CASE("of a country's several networks, the lowest address is returned") {
  const auto db = open({city_test});
  // GB: 2.2.3.0/24, 2.125.160.216/29, 81.2.69.142/31, ...; US: 149.101.100.0/28, 214.78.120.0/22, ...
  CHECK(found(*db, "GB", Family::v4) == "2.2.3.0/24");
  CHECK(found(*db, "US", Family::v4) == "149.101.100.0/28");
  // SE: 89.160.20.112/28 below 89.160.20.128/25, a sibling of a wider network.
  CHECK(found(*db, "SE", Family::v4) == "89.160.20.112/28");
  CHECK(found(*open({lite_country_test}), "GB", Family::v4) == "2.125.160.216/29");
}

TEST_CASE("the country is matched regardless of case") {
  const auto db = open({city_test});
  CHECK(found(*db, "gb", Family::v4) == "2.2.3.0/24");
  CHECK(found(*db, "Gb", Family::v4) == "2.2.3.0/24");
}

TEST_CASE("a country no record names, or a code that is no country, finds nothing") {
  const auto db = open({city_test});
  CHECK_FALSE(db->find_country("ZZ", Family::v4));
  CHECK_FALSE(db->find_country("ZZ", Family::v6));
  CHECK_FALSE(db->find_country("", Family::v4));
  CHECK_FALSE(db->find_country("GBR", Family::v4));
  CHECK_FALSE(db->find_country("G", Family::v4));
  CHECK_FALSE(open({})->find_country("GB", Family::v4));
}

TEST_CASE("IPv6 finds a real IPv6 network, never IPv4 through ::/96 or its aliases") {
  const auto db = open({city_test});
  // GB's IPv4 networks, aliased at ::ffff:0:0/96, 2001::/32 and 2002::/16, sort below this one.
  const auto gb = db->find_country("GB", Family::v6);
  REQUIRE(gb);
  CHECK(gb->to_string() == "2a02:d3c0::/29");
  CHECK(country_at(*db, *gb) == "GB");
  CHECK(found(*db, "JP", Family::v6) == "2001:218::/32");
  CHECK(found(*db, "US", Family::v6) == "2001:480:10::/48");
}

TEST_CASE("a country with networks of one family only finds nothing in the other") {
  const auto db = open({city_test});
  CHECK(found(*db, "BT", Family::v4) == "67.43.156.0/24");
  CHECK_FALSE(db->find_country("BT", Family::v6));
  CHECK(found(*db, "JP", Family::v6) == "2001:218::/32");
  CHECK_FALSE(db->find_country("JP", Family::v4));
}

TEST_CASE("an IPv4-only database is walked from its root and has no IPv6 networks") {
  // Its records carry no country; the walk must still end cleanly.
  const auto db = open({ipv4_only_test});
  CHECK_FALSE(db->find_country("US", Family::v4));
  CHECK_FALSE(db->find_country("US", Family::v6));
}

TEST_CASE("the flat ip-location-db layout's country_code is read") {
  const auto db = open({flat_city});
  CHECK(found(*db, "US", Family::v4) == "192.0.2.0/24");
  CHECK(found(*db, "DE", Family::v4) == "198.51.100.128/25");
  CHECK(found(*db, "CA", Family::v6) == "2001:db8:1::/48");
  CHECK_FALSE(db->find_country("CA", Family::v4));
  CHECK_FALSE(db->find_country("US", Family::v6));
}

TEST_CASE("the first database holding a match answers, even when a later one has a lower network") {
  const auto db = open({flat_city, city_test});
  // GB: the flat file's 198.51.100.0/25, though the city file has 2.2.3.0/24.
  CHECK(found(*db, "GB", Family::v4) == "198.51.100.0/25");
  // SE and JP are not in the flat file: the second database answers.
  CHECK(found(*db, "SE", Family::v4) == "89.160.20.112/28");
  CHECK(found(*db, "JP", Family::v6) == "2001:218::/32");
  // CA has only an IPv6 network in the flat file, and none at all in the city file.
  CHECK_FALSE(db->find_country("CA", Family::v4));
}

TEST_CASE("a real-world database: the networks found are the country's, in their own family") {
  const auto db = open({dbip_country});
  for (const std::string_view country : {"NL", "US", "JP", "BR", "ZA"}) {
    CAPTURE(country);
    const auto v4 = db->find_country(country, Family::v4);
    REQUIRE(v4);
    CHECK(v4->network.family == Family::v4);
    CHECK(country_at(*db, *v4) == country);
    const auto v6 = db->find_country(country, Family::v6);
    REQUIRE(v6);
    CAPTURE(v6->to_string());
    CHECK(v6->network.family == Family::v6);
    CHECK(country_at(*db, *v6) == country);
    for (const char* alias : {"::/96", "::ffff:0:0/96", "2002::/16"}) CHECK_FALSE(inside(*v6, alias));
  }
  CHECK_FALSE(db->find_country("ZZ", Family::v4));
}

TEST_CASE("an IPv6 database without an IPv4 subtree finds no IPv4 network") {
  const auto db = open({maxmind + "MaxMind-DB-no-ipv4-search-tree.mmdb"});
  CHECK_FALSE(db->find_country("US", Family::v4));
  CHECK_FALSE(db->find_country("US", Family::v6));
}

TEST_CASE("broken and corrupt databases never crash or hang the walk") {
  // Only a clean end is asserted: libmaxminddb 1.7.1 accepts some of these files.
  std::vector<std::string> files = {maxmind + "MaxMind-DB-test-broken-pointers-24.mmdb",
                                    maxmind + "MaxMind-DB-test-broken-search-tree-24.mmdb",
                                    maxmind + "GeoIP2-City-Test-Broken-Double-Format.mmdb"};
  for (const auto& entry : std::filesystem::directory_iterator(maxmind + "bad-data"))
    if (entry.path().extension() == ".mmdb") files.push_back(entry.path().string());
  for (const std::string& file : files) {
    CAPTURE(file);
    std::unique_ptr<GeoDb> db;
    try {
      db = GeoDb::open({file});
    } catch (const GeoError&) {
      continue;
    }
    for (const Family family : {Family::v4, Family::v6}) {
      const auto network = db->find_country("GB", family);
      if (network) CHECK(network->network.family == family);
    }
  }
}
