// geo/subdivisions.cpp: subdivision English names -> ISO 3166-2 codes (flat database layout).
//
// The flat ip-location-db layout names a client's region ("state1": "Virginia") where GeoIP2
// gives its ISO 3166-2 code; geographic routing needs the code ("US-VA"). Source: ISO 3166-2
// (checked against Debian's iso-codes 4.15 list), with India's codes as changed by ISO on
// 2023-11-23 (CG, OD, TS, UK instead of CT, OR, TG, UT). Besides the ISO names, common English
// names and spellings without diacritics are listed ("Bavaria" and "Bayern", "Sao Paulo"), since
// databases differ in which they use. Covered: US (states, DC, territories), CA, AU, GB's four
// countries, DE, IN, BR. Names match case-insensitively (ASCII letters only).
#include <algorithm>
#include <iterator>
#include <string_view>

#include "geo/geo.h"

namespace meridian::geo {
namespace {

struct Subdivision {
  std::string_view country;
  std::string_view name;
  std::string_view code;
};

// Sorted by country (then anything): a lookup finds the country's run, then scans its names.
constexpr Subdivision subdivisions[] = {
    // Australia (ISO 3166-2:AU)
    {"AU", "Australian Capital Territory", "ACT"},
    {"AU", "New South Wales", "NSW"},
    {"AU", "Northern Territory", "NT"},
    {"AU", "Queensland", "QLD"},
    {"AU", "South Australia", "SA"},
    {"AU", "Tasmania", "TAS"},
    {"AU", "Victoria", "VIC"},
    {"AU", "Western Australia", "WA"},

    // Brazil (ISO 3166-2:BR)
    {"BR", "Acre", "AC"},
    {"BR", "Alagoas", "AL"},
    {"BR", "Amapá", "AP"},
    {"BR", "Amapa", "AP"},
    {"BR", "Amazonas", "AM"},
    {"BR", "Bahia", "BA"},
    {"BR", "Ceará", "CE"},
    {"BR", "Ceara", "CE"},
    {"BR", "Distrito Federal", "DF"},
    {"BR", "Federal District", "DF"},
    {"BR", "Espírito Santo", "ES"},
    {"BR", "Espirito Santo", "ES"},
    {"BR", "Goiás", "GO"},
    {"BR", "Goias", "GO"},
    {"BR", "Maranhão", "MA"},
    {"BR", "Maranhao", "MA"},
    {"BR", "Mato Grosso", "MT"},
    {"BR", "Mato Grosso do Sul", "MS"},
    {"BR", "Minas Gerais", "MG"},
    {"BR", "Pará", "PA"},
    {"BR", "Para", "PA"},
    {"BR", "Paraíba", "PB"},
    {"BR", "Paraiba", "PB"},
    {"BR", "Paraná", "PR"},
    {"BR", "Parana", "PR"},
    {"BR", "Pernambuco", "PE"},
    {"BR", "Piauí", "PI"},
    {"BR", "Piaui", "PI"},
    {"BR", "Rio de Janeiro", "RJ"},
    {"BR", "Rio Grande do Norte", "RN"},
    {"BR", "Rio Grande do Sul", "RS"},
    {"BR", "Rondônia", "RO"},
    {"BR", "Rondonia", "RO"},
    {"BR", "Roraima", "RR"},
    {"BR", "Santa Catarina", "SC"},
    {"BR", "São Paulo", "SP"},
    {"BR", "Sao Paulo", "SP"},
    {"BR", "Sergipe", "SE"},
    {"BR", "Tocantins", "TO"},

    // Canada (ISO 3166-2:CA)
    {"CA", "Alberta", "AB"},
    {"CA", "British Columbia", "BC"},
    {"CA", "Manitoba", "MB"},
    {"CA", "New Brunswick", "NB"},
    {"CA", "Newfoundland and Labrador", "NL"},
    {"CA", "Newfoundland", "NL"},
    {"CA", "Nova Scotia", "NS"},
    {"CA", "Northwest Territories", "NT"},
    {"CA", "Nunavut", "NU"},
    {"CA", "Ontario", "ON"},
    {"CA", "Prince Edward Island", "PE"},
    {"CA", "Quebec", "QC"},
    {"CA", "Québec", "QC"},
    {"CA", "Saskatchewan", "SK"},
    {"CA", "Yukon", "YT"},
    {"CA", "Yukon Territory", "YT"},

    // Germany (ISO 3166-2:DE): German names, English names and ASCII spellings
    {"DE", "Baden-Württemberg", "BW"},
    {"DE", "Baden-Wurttemberg", "BW"},
    {"DE", "Baden-Wuerttemberg", "BW"},
    {"DE", "Bayern", "BY"},
    {"DE", "Bavaria", "BY"},
    {"DE", "Berlin", "BE"},
    {"DE", "Brandenburg", "BB"},
    {"DE", "Bremen", "HB"},
    {"DE", "Hamburg", "HH"},
    {"DE", "Hessen", "HE"},
    {"DE", "Hesse", "HE"},
    {"DE", "Mecklenburg-Vorpommern", "MV"},
    {"DE", "Mecklenburg-Western Pomerania", "MV"},
    {"DE", "Mecklenburg-West Pomerania", "MV"},
    {"DE", "Niedersachsen", "NI"},
    {"DE", "Lower Saxony", "NI"},
    {"DE", "Nordrhein-Westfalen", "NW"},
    {"DE", "North Rhine-Westphalia", "NW"},
    {"DE", "Rheinland-Pfalz", "RP"},
    {"DE", "Rhineland-Palatinate", "RP"},
    {"DE", "Saarland", "SL"},
    {"DE", "Sachsen", "SN"},
    {"DE", "Saxony", "SN"},
    {"DE", "Sachsen-Anhalt", "ST"},
    {"DE", "Saxony-Anhalt", "ST"},
    {"DE", "Schleswig-Holstein", "SH"},
    {"DE", "Thüringen", "TH"},
    {"DE", "Thuringen", "TH"},
    {"DE", "Thueringen", "TH"},
    {"DE", "Thuringia", "TH"},

    // United Kingdom (ISO 3166-2:GB, its four countries)
    {"GB", "England", "ENG"},
    {"GB", "Northern Ireland", "NIR"},
    {"GB", "Scotland", "SCT"},
    {"GB", "Wales", "WLS"},
    {"GB", "Cymru", "WLS"},

    // India (ISO 3166-2:IN, codes as of 2023-11-23), with former names
    {"IN", "Andaman and Nicobar Islands", "AN"},
    {"IN", "Andaman and Nicobar", "AN"},
    {"IN", "Andhra Pradesh", "AP"},
    {"IN", "Arunachal Pradesh", "AR"},
    {"IN", "Assam", "AS"},
    {"IN", "Bihar", "BR"},
    {"IN", "Chandigarh", "CH"},
    {"IN", "Chhattisgarh", "CG"},
    {"IN", "Dadra and Nagar Haveli and Daman and Diu", "DH"},
    {"IN", "Dadra and Nagar Haveli", "DH"},
    {"IN", "Daman and Diu", "DH"},
    {"IN", "Delhi", "DL"},
    {"IN", "National Capital Territory of Delhi", "DL"},
    {"IN", "NCT of Delhi", "DL"},
    {"IN", "Goa", "GA"},
    {"IN", "Gujarat", "GJ"},
    {"IN", "Haryana", "HR"},
    {"IN", "Himachal Pradesh", "HP"},
    {"IN", "Jammu and Kashmir", "JK"},
    {"IN", "Jharkhand", "JH"},
    {"IN", "Karnataka", "KA"},
    {"IN", "Kerala", "KL"},
    {"IN", "Ladakh", "LA"},
    {"IN", "Lakshadweep", "LD"},
    {"IN", "Madhya Pradesh", "MP"},
    {"IN", "Maharashtra", "MH"},
    {"IN", "Manipur", "MN"},
    {"IN", "Meghalaya", "ML"},
    {"IN", "Mizoram", "MZ"},
    {"IN", "Nagaland", "NL"},
    {"IN", "Odisha", "OD"},
    {"IN", "Orissa", "OD"},
    {"IN", "Puducherry", "PY"},
    {"IN", "Pondicherry", "PY"},
    {"IN", "Punjab", "PB"},
    {"IN", "Rajasthan", "RJ"},
    {"IN", "Sikkim", "SK"},
    {"IN", "Tamil Nadu", "TN"},
    {"IN", "Telangana", "TS"},
    {"IN", "Tripura", "TR"},
    {"IN", "Uttar Pradesh", "UP"},
    {"IN", "Uttarakhand", "UK"},
    {"IN", "Uttaranchal", "UK"},
    {"IN", "West Bengal", "WB"},

    // United States (ISO 3166-2:US): 50 states, DC and the outlying territories
    {"US", "Alabama", "AL"},
    {"US", "Alaska", "AK"},
    {"US", "Arizona", "AZ"},
    {"US", "Arkansas", "AR"},
    {"US", "California", "CA"},
    {"US", "Colorado", "CO"},
    {"US", "Connecticut", "CT"},
    {"US", "Delaware", "DE"},
    {"US", "District of Columbia", "DC"},
    {"US", "Washington, D.C.", "DC"},
    {"US", "Washington D.C.", "DC"},
    {"US", "Florida", "FL"},
    {"US", "Georgia", "GA"},
    {"US", "Hawaii", "HI"},
    {"US", "Idaho", "ID"},
    {"US", "Illinois", "IL"},
    {"US", "Indiana", "IN"},
    {"US", "Iowa", "IA"},
    {"US", "Kansas", "KS"},
    {"US", "Kentucky", "KY"},
    {"US", "Louisiana", "LA"},
    {"US", "Maine", "ME"},
    {"US", "Maryland", "MD"},
    {"US", "Massachusetts", "MA"},
    {"US", "Michigan", "MI"},
    {"US", "Minnesota", "MN"},
    {"US", "Mississippi", "MS"},
    {"US", "Missouri", "MO"},
    {"US", "Montana", "MT"},
    {"US", "Nebraska", "NE"},
    {"US", "Nevada", "NV"},
    {"US", "New Hampshire", "NH"},
    {"US", "New Jersey", "NJ"},
    {"US", "New Mexico", "NM"},
    {"US", "New York", "NY"},
    {"US", "North Carolina", "NC"},
    {"US", "North Dakota", "ND"},
    {"US", "Ohio", "OH"},
    {"US", "Oklahoma", "OK"},
    {"US", "Oregon", "OR"},
    {"US", "Pennsylvania", "PA"},
    {"US", "Rhode Island", "RI"},
    {"US", "South Carolina", "SC"},
    {"US", "South Dakota", "SD"},
    {"US", "Tennessee", "TN"},
    {"US", "Texas", "TX"},
    {"US", "Utah", "UT"},
    {"US", "Vermont", "VT"},
    {"US", "Virginia", "VA"},
    {"US", "Washington", "WA"},
    {"US", "West Virginia", "WV"},
    {"US", "Wisconsin", "WI"},
    {"US", "Wyoming", "WY"},
    {"US", "American Samoa", "AS"},
    {"US", "Guam", "GU"},
    {"US", "Northern Mariana Islands", "MP"},
    {"US", "Puerto Rico", "PR"},
    {"US", "United States Minor Outlying Islands", "UM"},
    {"US", "U.S. Minor Outlying Islands", "UM"},
    {"US", "Virgin Islands, U.S.", "VI"},
    {"US", "U.S. Virgin Islands", "VI"},
    {"US", "United States Virgin Islands", "VI"},
};

static_assert(std::ranges::is_sorted(subdivisions, {}, &Subdivision::country));

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace

std::string_view subdivision_code(std::string_view country, std::string_view name) {
  // std::equal_range rather than std::ranges::equal_range: clang 14 (the fuzz build) cannot
  // compile libstdc++ 12's ranges::subrange.
  struct ByCountry {
    bool operator()(const Subdivision& a, std::string_view b) const { return a.country < b; }
    bool operator()(std::string_view a, const Subdivision& b) const { return a < b.country; }
  };
  auto [first, last] =
      std::equal_range(std::begin(subdivisions), std::end(subdivisions), country, ByCountry{});
  for (auto it = first; it != last; ++it)
    if (equal_ignoring_case(it->name, name)) return it->code;
  return {};
}

}  // namespace meridian::geo
