// geo/cloud_regions.cpp: cloud region names ("azure:eastus", "aws:eu-west-1") -> coordinates.
//
// Sources, and how exact they are:
// - Azure: the latitude/longitude Azure publishes for each public region (`az account
//   list-locations`, metadata.latitude/longitude), rounded to 4 decimals. Azure places some
//   regions at a city that stands for the area (westus2 in eastern Washington, uksouth near
//   London). For the newest regions (chilecentral, indonesiacentral, malaysiawest) and for
//   israelcentral, whose published point lies offshore, the value is the centre of the city the
//   region is named for. Canary/stage regions (*euap, *stage) and sovereign clouds are left out.
// - AWS and Google Cloud publish a city or metro area per region, not coordinates: the values
//   are that city's centre (us-east-1: Ashburn, Virginia; europe-west1: St. Ghislain, Belgium).
// Region names are the providers' own, matched case-insensitively. These are locations for
// ranking endpoints by great-circle distance; tens of kilometres of error do not change a choice.
#include <iterator>
#include <string_view>

#include "geo/geo.h"

namespace meridian::geo {
namespace {

struct Region {
  std::string_view name;  // "provider:region", lower case
  Coordinates coordinates;
};

constexpr Region regions[] = {
    // Azure public regions
    {"azure:australiacentral", {-35.3075, 149.1244}},
    {"azure:australiacentral2", {-35.3075, 149.1244}},
    {"azure:australiaeast", {-33.86, 151.2094}},
    {"azure:australiasoutheast", {-37.8136, 144.9631}},
    {"azure:brazilsouth", {-23.55, -46.633}},
    {"azure:brazilsoutheast", {-22.9028, -43.2075}},
    {"azure:canadacentral", {43.653, -79.383}},
    {"azure:canadaeast", {46.817, -71.217}},
    {"azure:centralindia", {18.5822, 73.9197}},
    {"azure:centralus", {41.5908, -93.6208}},
    {"azure:chilecentral", {-33.4489, -70.6693}},
    {"azure:eastasia", {22.267, 114.188}},
    {"azure:eastus", {37.3719, -79.8164}},
    {"azure:eastus2", {36.6681, -78.3889}},
    {"azure:francecentral", {46.3772, 2.373}},
    {"azure:francesouth", {43.8345, 2.1972}},
    {"azure:germanynorth", {53.0736, 8.8064}},
    {"azure:germanywestcentral", {50.1109, 8.6821}},
    {"azure:indonesiacentral", {-6.2088, 106.8456}},
    {"azure:israelcentral", {32.0853, 34.7818}},
    {"azure:italynorth", {45.4689, 9.1811}},
    {"azure:japaneast", {35.68, 139.77}},
    {"azure:japanwest", {34.6939, 135.5022}},
    {"azure:jioindiacentral", {21.1466, 79.0889}},
    {"azure:jioindiawest", {22.4707, 70.0577}},
    {"azure:koreacentral", {37.5665, 126.978}},
    {"azure:koreasouth", {35.1796, 129.0756}},
    {"azure:malaysiawest", {3.139, 101.6869}},
    {"azure:mexicocentral", {20.5888, -100.3899}},
    {"azure:newzealandnorth", {-36.8485, 174.7635}},
    {"azure:northcentralus", {41.8819, -87.6278}},
    {"azure:northeurope", {53.3478, -6.2597}},
    {"azure:norwayeast", {59.9139, 10.7522}},
    {"azure:norwaywest", {58.97, 5.7331}},
    {"azure:polandcentral", {52.2333, 21.0167}},
    {"azure:qatarcentral", {25.5515, 51.4393}},
    {"azure:southafricanorth", {-25.7313, 28.2184}},
    {"azure:southafricawest", {-34.0757, 18.8433}},
    {"azure:southcentralus", {29.4167, -98.5}},
    {"azure:southeastasia", {1.283, 103.833}},
    {"azure:southindia", {12.9822, 80.1636}},
    {"azure:spaincentral", {40.4259, -3.4209}},
    {"azure:swedencentral", {60.6749, 17.1413}},
    {"azure:swedensouth", {55.6059, 13.0007}},
    {"azure:switzerlandnorth", {47.4515, 8.5646}},
    {"azure:switzerlandwest", {46.2044, 6.1432}},
    {"azure:uaecentral", {24.4667, 54.3667}},
    {"azure:uaenorth", {25.2667, 55.3167}},
    {"azure:uksouth", {50.941, -0.799}},
    {"azure:ukwest", {53.427, -3.084}},
    {"azure:westcentralus", {40.89, -110.234}},
    {"azure:westeurope", {52.3667, 4.9}},
    {"azure:westindia", {19.088, 72.868}},
    {"azure:westus", {37.783, -122.417}},
    {"azure:westus2", {47.233, -119.852}},
    {"azure:westus3", {33.4484, -112.074}},

    // AWS regions (the city AWS names for each)
    {"aws:af-south-1", {-33.9249, 18.4241}},       // Cape Town
    {"aws:ap-east-1", {22.3193, 114.1694}},        // Hong Kong
    {"aws:ap-east-2", {25.033, 121.5654}},         // Taipei
    {"aws:ap-northeast-1", {35.6762, 139.6503}},   // Tokyo
    {"aws:ap-northeast-2", {37.5665, 126.978}},    // Seoul
    {"aws:ap-northeast-3", {34.6937, 135.5023}},   // Osaka
    {"aws:ap-south-1", {19.076, 72.8777}},         // Mumbai
    {"aws:ap-south-2", {17.385, 78.4867}},         // Hyderabad
    {"aws:ap-southeast-1", {1.3521, 103.8198}},    // Singapore
    {"aws:ap-southeast-2", {-33.8688, 151.2093}},  // Sydney
    {"aws:ap-southeast-3", {-6.2088, 106.8456}},   // Jakarta
    {"aws:ap-southeast-4", {-37.8136, 144.9631}},  // Melbourne
    {"aws:ap-southeast-5", {3.139, 101.6869}},     // Kuala Lumpur (Malaysia)
    {"aws:ap-southeast-7", {13.7563, 100.5018}},   // Bangkok (Thailand)
    {"aws:ca-central-1", {45.5019, -73.5674}},     // Montreal
    {"aws:ca-west-1", {51.0447, -114.0719}},       // Calgary
    {"aws:eu-central-1", {50.1109, 8.6821}},       // Frankfurt
    {"aws:eu-central-2", {47.3769, 8.5417}},       // Zurich
    {"aws:eu-north-1", {59.3293, 18.0686}},        // Stockholm
    {"aws:eu-south-1", {45.4642, 9.19}},           // Milan
    {"aws:eu-south-2", {41.6488, -0.8891}},        // Aragón (Zaragoza)
    {"aws:eu-west-1", {53.3498, -6.2603}},         // Ireland (Dublin)
    {"aws:eu-west-2", {51.5072, -0.1276}},         // London
    {"aws:eu-west-3", {48.8566, 2.3522}},          // Paris
    {"aws:il-central-1", {32.0853, 34.7818}},      // Tel Aviv
    {"aws:me-central-1", {25.2048, 55.2708}},      // UAE (Dubai)
    {"aws:me-south-1", {26.0667, 50.5577}},        // Bahrain
    {"aws:mx-central-1", {20.5888, -100.3899}},    // Querétaro (Mexico)
    {"aws:sa-east-1", {-23.5505, -46.6333}},       // São Paulo
    {"aws:us-east-1", {39.0438, -77.4874}},        // N. Virginia (Ashburn)
    {"aws:us-east-2", {39.9612, -82.9988}},        // Ohio (Columbus)
    {"aws:us-west-1", {37.3541, -121.9552}},       // N. California (Santa Clara)
    {"aws:us-west-2", {45.8399, -119.7006}},       // Oregon (Boardman)

    // Google Cloud regions (the city Google names for each)
    {"gcp:africa-south1", {-26.2041, 28.0473}},            // Johannesburg
    {"gcp:asia-east1", {24.0518, 120.5161}},               // Changhua County, Taiwan
    {"gcp:asia-east2", {22.3193, 114.1694}},               // Hong Kong
    {"gcp:asia-northeast1", {35.6762, 139.6503}},          // Tokyo
    {"gcp:asia-northeast2", {34.6937, 135.5023}},          // Osaka
    {"gcp:asia-northeast3", {37.5665, 126.978}},           // Seoul
    {"gcp:asia-south1", {19.076, 72.8777}},                // Mumbai
    {"gcp:asia-south2", {28.6139, 77.209}},                // Delhi
    {"gcp:asia-southeast1", {1.3404, 103.709}},            // Jurong West, Singapore
    {"gcp:asia-southeast2", {-6.2088, 106.8456}},          // Jakarta
    {"gcp:australia-southeast1", {-33.8688, 151.2093}},    // Sydney
    {"gcp:australia-southeast2", {-37.8136, 144.9631}},    // Melbourne
    {"gcp:europe-central2", {52.2297, 21.0122}},           // Warsaw
    {"gcp:europe-north1", {60.5693, 27.1878}},             // Hamina, Finland
    {"gcp:europe-north2", {59.3293, 18.0686}},             // Stockholm
    {"gcp:europe-southwest1", {40.4168, -3.7038}},         // Madrid
    {"gcp:europe-west1", {50.4496, 3.8184}},               // St. Ghislain, Belgium
    {"gcp:europe-west10", {52.52, 13.405}},                // Berlin
    {"gcp:europe-west12", {45.0703, 7.6869}},              // Turin
    {"gcp:europe-west2", {51.5072, -0.1276}},              // London
    {"gcp:europe-west3", {50.1109, 8.6821}},               // Frankfurt
    {"gcp:europe-west4", {53.4386, 6.8355}},               // Eemshaven, Netherlands
    {"gcp:europe-west6", {47.3769, 8.5417}},               // Zurich
    {"gcp:europe-west8", {45.4642, 9.19}},                 // Milan
    {"gcp:europe-west9", {48.8566, 2.3522}},               // Paris
    {"gcp:me-central1", {25.2854, 51.531}},                // Doha
    {"gcp:me-central2", {26.4207, 50.0888}},               // Dammam, Saudi Arabia
    {"gcp:me-west1", {32.0853, 34.7818}},                  // Tel Aviv
    {"gcp:northamerica-northeast1", {45.5019, -73.5674}},  // Montréal
    {"gcp:northamerica-northeast2", {43.6532, -79.3832}},  // Toronto
    {"gcp:northamerica-south1", {20.5888, -100.3899}},     // Querétaro
    {"gcp:southamerica-east1", {-23.5329, -46.7917}},      // Osasco (São Paulo)
    {"gcp:southamerica-west1", {-33.4489, -70.6693}},      // Santiago
    {"gcp:us-central1", {41.2619, -95.8608}},              // Council Bluffs, Iowa
    {"gcp:us-east1", {33.1960, -80.0131}},                 // Moncks Corner, South Carolina
    {"gcp:us-east4", {39.0438, -77.4874}},                 // Ashburn, Virginia
    {"gcp:us-east5", {39.9612, -82.9988}},                 // Columbus, Ohio
    {"gcp:us-south1", {32.7767, -96.797}},                 // Dallas
    {"gcp:us-west1", {45.5946, -121.1787}},                // The Dalles, Oregon
    {"gcp:us-west2", {34.0522, -118.2437}},                // Los Angeles
    {"gcp:us-west3", {40.7608, -111.891}},                 // Salt Lake City
    {"gcp:us-west4", {36.1699, -115.1398}},                // Las Vegas
};

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool valid_table() {
  for (const Region& region : regions) {
    for (char c : region.name)
      if (c != lower(c)) return false;  // lookups lower-case the query, so entries must be
    if (region.coordinates.lat < -90 || region.coordinates.lat > 90 ||
        region.coordinates.lon < -180 || region.coordinates.lon > 180)
      return false;
  }
  for (size_t i = 0; i < std::size(regions); ++i)
    for (size_t j = i + 1; j < std::size(regions); ++j)
      if (regions[i].name == regions[j].name) return false;
  return true;
}
static_assert(valid_table(), "region names are lower case and unique, coordinates in range");

}  // namespace

std::optional<Coordinates> region_coordinates(std::string_view region) {
  for (const Region& candidate : regions) {
    if (candidate.name.size() != region.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < region.size(); ++i) same = candidate.name[i] == lower(region[i]);
    if (same) return candidate.coordinates;
  }
  return std::nullopt;
}

}  // namespace meridian::geo
