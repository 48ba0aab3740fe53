// Unit tests for geographic codes: Azure's regional groupings and which codes endpoints may own.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "geo/geo.h"

using meridian::geo::azure_grouping;
using meridian::geo::country_centroid;
using meridian::geo::is_geo_code;

namespace {

// Every ISO 3166-1 alpha-2 code in 2024 (249), and the four non-ISO codes Azure uses.
constexpr std::string_view iso_countries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW";
constexpr std::string_view azure_extra_codes = "XE XJ XK XS";

template <typename Function>
void for_each_code(std::string_view codes, Function function) {
  for (size_t at = 0; at < codes.size(); at += 3) function(codes.substr(at, 2));
}

}  // namespace

TEST_CASE("Azure groups Turkey and Israel in the Middle East") {
  CHECK(azure_grouping("TR") == "GEO-ME");
  CHECK(azure_grouping("IL") == "GEO-ME");
  CHECK(azure_grouping("SA") == "GEO-ME");
  CHECK(azure_grouping("AE") == "GEO-ME");
  CHECK(azure_grouping("IR") == "GEO-ME");
}

TEST_CASE("Azure groups Egypt and the rest of North Africa in Africa") {
  CHECK(azure_grouping("EG") == "GEO-AF");
  CHECK(azure_grouping("MA") == "GEO-AF");
  CHECK(azure_grouping("LY") == "GEO-AF");
  CHECK(azure_grouping("ZA") == "GEO-AF");
}

TEST_CASE("Azure groups Russia and Cyprus in Europe") {
  CHECK(azure_grouping("RU") == "GEO-EU");
  CHECK(azure_grouping("CY") == "GEO-EU");
  CHECK(azure_grouping("GB") == "GEO-EU");
  CHECK(azure_grouping("UA") == "GEO-EU");
}

TEST_CASE("Azure groups the Caucasus and Central Asia in Asia") {
  CHECK(azure_grouping("AM") == "GEO-AS");
  CHECK(azure_grouping("AZ") == "GEO-AS");
  CHECK(azure_grouping("GE") == "GEO-AS");
  CHECK(azure_grouping("KZ") == "GEO-AS");
  CHECK(azure_grouping("JP") == "GEO-AS");
  CHECK(azure_grouping("IN") == "GEO-AS");
}

TEST_CASE("Azure groups Australia, New Zealand and the Pacific in Australia/Pacific") {
  CHECK(azure_grouping("AU") == "GEO-AP");
  CHECK(azure_grouping("NZ") == "GEO-AP");
  CHECK(azure_grouping("FJ") == "GEO-AP");
  CHECK(azure_grouping("GU") == "GEO-AP");
  CHECK(azure_grouping("AS") == "GEO-AP");
}

TEST_CASE("Azure groups Central America and the Caribbean with North America") {
  CHECK(azure_grouping("US") == "GEO-NA");
  CHECK(azure_grouping("MX") == "GEO-NA");
  CHECK(azure_grouping("PA") == "GEO-NA");
  CHECK(azure_grouping("CU") == "GEO-NA");
  CHECK(azure_grouping("GL") == "GEO-NA");
  CHECK(azure_grouping("BR") == "GEO-SA");
  CHECK(azure_grouping("FK") == "GEO-SA");
  CHECK(azure_grouping("AQ") == "GEO-AN");
}

TEST_CASE("Azure's non-ISO codes have groupings") {
  CHECK(azure_grouping("XK") == "GEO-EU");  // Kosovo
  CHECK(azure_grouping("XJ") == "GEO-EU");  // Jan Mayen
  CHECK(azure_grouping("XE") == "GEO-NA");  // Sint Eustatius
  CHECK(azure_grouping("XS") == "GEO-NA");  // Saba
}

TEST_CASE("every ISO country has an Azure grouping and a centroid") {
  auto check = [](std::string_view country) {
    CAPTURE(country);
    CHECK_FALSE(azure_grouping(country).empty());
    CHECK(country_centroid(country).has_value());
  };
  for_each_code(iso_countries, check);
  for_each_code(azure_extra_codes, check);
}

TEST_CASE("unknown or malformed countries have no grouping") {
  CHECK(azure_grouping("").empty());
  CHECK(azure_grouping("ZZ").empty());
  CHECK(azure_grouping("UK").empty());  // the United Kingdom is GB
  CHECK(azure_grouping("us").empty());
  CHECK(azure_grouping("USA").empty());
  CHECK(azure_grouping("EU").empty());
}

TEST_CASE("WORLD and the eight Azure groupings are geo codes") {
  for (std::string_view code :
       {"WORLD", "GEO-AF", "GEO-AN", "GEO-AS", "GEO-AP", "GEO-EU", "GEO-ME", "GEO-NA", "GEO-SA"}) {
    CAPTURE(code);
    CHECK(is_geo_code(code));
  }
}

TEST_CASE("every grouping a country belongs to is a geo code") {
  for_each_code(iso_countries, [](std::string_view country) {
    CAPTURE(country);
    CHECK(is_geo_code(azure_grouping(country)));
  });
}

TEST_CASE("every ISO country and Azure's XK XJ XE XS are geo codes") {
  auto check = [](std::string_view country) {
    CAPTURE(country);
    CHECK(is_geo_code(country));
  };
  for_each_code(iso_countries, check);
  for_each_code(azure_extra_codes, check);
}

TEST_CASE("subdivisions of known countries are geo codes") {
  CHECK(is_geo_code("US-VA"));
  CHECK(is_geo_code("CA-QC"));
  CHECK(is_geo_code("AU-NSW"));
  CHECK(is_geo_code("GB-ENG"));
  CHECK(is_geo_code("DE-BY"));
  CHECK(is_geo_code("CN-22"));  // digits, as GeoIP2 gives for China
  CHECK(is_geo_code("FR-75C"));
  CHECK(is_geo_code("XK-1"));
}

TEST_CASE("malformed or unknown codes are not geo codes") {
  for (std::string_view code :
       {"",      "W",    "WORLDS", "world", "GEO-XX", "GEO-eu",       "GEO-", "ZZ",    "UK",
        "USA",   "U",    "EU",     "OC",    "us",     "Us",           "US-",  "US-va", "US-VAXX",
        "US_VA", "USVA", "ZZ-VA",  "US-V-", "US-V A", "US-V\xc3\xa9", "-VA",  "us-VA"}) {
    CAPTURE(code);
    CHECK_FALSE(is_geo_code(code));
  }
}

TEST_CASE("only a known two-letter capital code has a grouping") {
  for (std::string_view code : {"", "F", "fr", "Fr", "FRA", "1A", "A1", "ZZ", "[A", "A["})
    CHECK(azure_grouping(code).empty());
}

TEST_CASE("geo code keys tell every code apart and fit in one integer") {
  using meridian::geo::geo_code_key;
  static_assert(geo_code_key("FR") != geo_code_key("FRA"));
  static_assert(geo_code_key("GEO-EU") != geo_code_key("GEO-EUX"));
  CHECK(geo_code_key("") == 0);
  CHECK(geo_code_key("ABCDEFGHI") == 0);  // longer than any code
  CHECK(geo_code_key("US-VA") == geo_code_key(std::string("US-") + "VA"));
  CHECK(geo_code_key("US-VA") != geo_code_key("US-V"));
}
