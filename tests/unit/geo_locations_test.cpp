// Unit tests for places: country centroids, cloud region coordinates, subdivision names, distances.
#include <doctest/doctest.h>

#include <string_view>

#include "geo/geo.h"

using meridian::geo::Coordinates;
using meridian::geo::country_centroid;
using meridian::geo::distance_km;
using meridian::geo::region_coordinates;
using meridian::geo::subdivision_code;

TEST_CASE("London to New York is about 5570 km") {
  const Coordinates london{51.5074, -0.1278};
  const Coordinates new_york{40.7128, -74.0060};
  CHECK(distance_km(london, new_york) == doctest::Approx(5570).epsilon(0.01));
}

TEST_CASE("distance is symmetric and zero from a point to itself") {
  const Coordinates sydney{-33.8688, 151.2093};
  const Coordinates santiago{-33.4489, -70.6693};
  CHECK(distance_km(sydney, sydney) == doctest::Approx(0));
  CHECK(distance_km(sydney, santiago) == doctest::Approx(distance_km(santiago, sydney)));
}

TEST_CASE("distance crosses the antimeridian the short way and stays finite at antipodes") {
  // One degree of longitude on the equator, across 180.
  CHECK(distance_km({0, 179.5}, {0, -179.5}) == doctest::Approx(111.19).epsilon(0.01));
  // Half the Earth's circumference, 6371 * pi.
  CHECK(distance_km({0, 0}, {0, 180}) == doctest::Approx(20015.1).epsilon(0.001));
  CHECK(distance_km({90, 0}, {-90, 0}) == doctest::Approx(20015.1).epsilon(0.001));
}

TEST_CASE("Azure regions have their published coordinates") {
  auto eastus = region_coordinates("azure:eastus");
  REQUIRE(eastus);
  CHECK(eastus->lat == doctest::Approx(37.3719));
  CHECK(eastus->lon == doctest::Approx(-79.8164));
  auto westeurope = region_coordinates("azure:westeurope");
  REQUIRE(westeurope);
  CHECK(westeurope->lat == doctest::Approx(52.3667));
  CHECK(westeurope->lon == doctest::Approx(4.9));
  for (std::string_view region : {"azure:southeastasia", "azure:northeurope", "azure:uksouth",
                                  "azure:westus2", "azure:australiaeast", "azure:brazilsouth",
                                  "azure:japaneast", "azure:centralindia", "azure:swedencentral"}) {
    CAPTURE(region);
    CHECK(region_coordinates(region).has_value());
  }
}

TEST_CASE("AWS and Google Cloud regions sit in the cities they are named for") {
  // Within 100 km of the city each provider names.
  auto near = [](std::string_view region, Coordinates city) {
    CAPTURE(region);
    auto coordinates = region_coordinates(region);
    REQUIRE(coordinates);
    CHECK(distance_km(*coordinates, city) < 100);
  };
  near("aws:us-east-1", {38.95, -77.45});        // Northern Virginia
  near("aws:eu-west-1", {53.35, -6.26});         // Dublin
  near("aws:ap-southeast-2", {-33.87, 151.21});  // Sydney
  near("aws:sa-east-1", {-23.55, -46.63});       // São Paulo
  near("gcp:europe-west1", {50.45, 3.82});       // St. Ghislain, Belgium
  near("gcp:us-central1", {41.26, -95.86});      // Council Bluffs, Iowa
  near("gcp:asia-northeast1", {35.68, 139.69});  // Tokyo
}

TEST_CASE("regions are far apart where their cities are") {
  const auto eastus = *region_coordinates("azure:eastus");
  const auto westeurope = *region_coordinates("azure:westeurope");
  CHECK(distance_km(eastus, westeurope) == doctest::Approx(6500).epsilon(0.05));
  CHECK(distance_km(*region_coordinates("azure:northeurope"),
                    *region_coordinates("aws:eu-west-1")) < 50);
}

TEST_CASE("region names match regardless of case") {
  REQUIRE(region_coordinates("Azure:EastUS"));
  CHECK(region_coordinates("Azure:EastUS")->lat == region_coordinates("azure:eastus")->lat);
  CHECK(region_coordinates("AWS:EU-WEST-1").has_value());
  CHECK(region_coordinates("gcp:Europe-West1").has_value());
}

TEST_CASE("unknown or malformed region names have no coordinates") {
  for (std::string_view region :
       {"", "eastus", "azure:", "azure:mars", "aws:us-east-9", "gcp:europe-west1 ", "azure::eastus",
        "azure eastus", "aws:eastus", "oracle:us-ashburn-1"}) {
    CAPTURE(region);
    CHECK_FALSE(region_coordinates(region).has_value());
  }
}

TEST_CASE("country centroids lie inside or near their country") {
  auto near = [](std::string_view country, Coordinates point, double km) {
    CAPTURE(country);
    auto centroid = country_centroid(country);
    REQUIRE(centroid);
    CHECK(distance_km(*centroid, point) < km);
  };
  near("GB", {52.5, -1.5}, 300);
  near("US", {39.8, -98.6}, 500);  // the geographic centre of the contiguous US
  near("JP", {36.2, 138.3}, 300);
  near("AU", {-25.3, 133.8}, 500);
  near("SG", {1.35, 103.82}, 30);
  near("XK", {42.6, 20.9}, 100);
  CHECK_FALSE(country_centroid("ZZ").has_value());
  CHECK_FALSE(country_centroid("").has_value());
}

TEST_CASE("US state, DC and territory names map to ISO 3166-2 codes") {
  CHECK(subdivision_code("US", "Virginia") == "VA");
  CHECK(subdivision_code("US", "West Virginia") == "WV");
  CHECK(subdivision_code("US", "Washington") == "WA");
  CHECK(subdivision_code("US", "District of Columbia") == "DC");
  CHECK(subdivision_code("US", "Puerto Rico") == "PR");
  CHECK(subdivision_code("US", "Guam") == "GU");
  CHECK(subdivision_code("US", "Wyoming") == "WY");
}

TEST_CASE("all 50 US states, DC and the territories have codes") {
  for (std::string_view state : {"Alabama",
                                 "Alaska",
                                 "Arizona",
                                 "Arkansas",
                                 "California",
                                 "Colorado",
                                 "Connecticut",
                                 "Delaware",
                                 "Florida",
                                 "Georgia",
                                 "Hawaii",
                                 "Idaho",
                                 "Illinois",
                                 "Indiana",
                                 "Iowa",
                                 "Kansas",
                                 "Kentucky",
                                 "Louisiana",
                                 "Maine",
                                 "Maryland",
                                 "Massachusetts",
                                 "Michigan",
                                 "Minnesota",
                                 "Mississippi",
                                 "Missouri",
                                 "Montana",
                                 "Nebraska",
                                 "Nevada",
                                 "New Hampshire",
                                 "New Jersey",
                                 "New Mexico",
                                 "New York",
                                 "North Carolina",
                                 "North Dakota",
                                 "Ohio",
                                 "Oklahoma",
                                 "Oregon",
                                 "Pennsylvania",
                                 "Rhode Island",
                                 "South Carolina",
                                 "South Dakota",
                                 "Tennessee",
                                 "Texas",
                                 "Utah",
                                 "Vermont",
                                 "Virginia",
                                 "Washington",
                                 "West Virginia",
                                 "Wisconsin",
                                 "Wyoming",
                                 "District of Columbia",
                                 "American Samoa",
                                 "Guam",
                                 "Northern Mariana Islands",
                                 "Puerto Rico",
                                 "United States Minor Outlying Islands",
                                 "U.S. Virgin Islands"}) {
    CAPTURE(state);
    CHECK(subdivision_code("US", state).size() == 2);
  }
}

TEST_CASE("subdivision names of CA, AU, GB, DE, IN and BR map to ISO 3166-2 codes") {
  CHECK(subdivision_code("CA", "Ontario") == "ON");
  CHECK(subdivision_code("CA", "Québec") == "QC");
  CHECK(subdivision_code("CA", "Quebec") == "QC");
  CHECK(subdivision_code("AU", "New South Wales") == "NSW");
  CHECK(subdivision_code("AU", "Victoria") == "VIC");
  CHECK(subdivision_code("AU", "Australian Capital Territory") == "ACT");
  CHECK(subdivision_code("GB", "England") == "ENG");
  CHECK(subdivision_code("GB", "Scotland") == "SCT");
  CHECK(subdivision_code("GB", "Wales") == "WLS");
  CHECK(subdivision_code("GB", "Northern Ireland") == "NIR");
  CHECK(subdivision_code("DE", "Bavaria") == "BY");
  CHECK(subdivision_code("DE", "Bayern") == "BY");
  CHECK(subdivision_code("DE", "North Rhine-Westphalia") == "NW");
  CHECK(subdivision_code("IN", "Maharashtra") == "MH");
  CHECK(subdivision_code("IN", "Telangana") == "TS");
  CHECK(subdivision_code("IN", "Odisha") == "OD");
  CHECK(subdivision_code("BR", "São Paulo") == "SP");
  CHECK(subdivision_code("BR", "Sao Paulo") == "SP");
  CHECK(subdivision_code("BR", "Distrito Federal") == "DF");
}

TEST_CASE("subdivision names match regardless of case") {
  CHECK(subdivision_code("US", "virginia") == "VA");
  CHECK(subdivision_code("US", "NEW YORK") == "NY");
  CHECK(subdivision_code("GB", "sCoTlAnD") == "SCT");
}

TEST_CASE("a subdivision name belongs to its own country only") {
  CHECK(subdivision_code("US", "Ontario").empty());
  CHECK(subdivision_code("CA", "Virginia").empty());
  CHECK(subdivision_code("AU", "Georgia").empty());
  CHECK(subdivision_code("US", "Georgia") == "GA");
  CHECK(subdivision_code("US", "Atlantis").empty());
  CHECK(subdivision_code("FR", "Île-de-France").empty());  // not covered
  CHECK(subdivision_code("US", "").empty());
  CHECK(subdivision_code("", "Virginia").empty());
  CHECK(subdivision_code("US", "Virginia ").empty());
}

TEST_CASE("chord distances between unit vectors give the great-circle distance and its order") {
  using meridian::geo::Coordinates;
  const Coordinates london{51.5074, -0.1278}, new_york{40.7128, -74.0060}, singapore{1.3521, 103.8198};
  const auto l = meridian::geo::unit_vector(london), n = meridian::geo::unit_vector(new_york),
             s = meridian::geo::unit_vector(singapore);
  CHECK(meridian::geo::chord_squared_to_km(meridian::geo::chord_squared(l, n)) ==
        doctest::Approx(meridian::geo::distance_km(london, new_york)).epsilon(1e-9));
  CHECK(meridian::geo::chord_squared_to_km(meridian::geo::chord_squared(l, s)) ==
        doctest::Approx(meridian::geo::distance_km(london, singapore)).epsilon(1e-9));
  CHECK(meridian::geo::chord_squared(l, n) < meridian::geo::chord_squared(l, s));
  CHECK(meridian::geo::chord_squared(l, l) == 0.0);
}
