// geo/azure_groupings.cpp: country -> Azure Traffic Manager regional grouping (GEO-EU, ...).
//
// Source: Microsoft's "Country/Region hierarchy used by Azure Traffic Manager for geographic
// traffic routing method" (learn.microsoft.com, azure/traffic-manager/
// traffic-manager-geographic-regions), the same list its REST API returns. These are Azure's
// own groupings, not GeoIP continents: Turkey and Israel are GEO-ME, Egypt is GEO-AF, Russia and
// Cyprus are GEO-EU, the Caucasus (AM, AZ, GE) is GEO-AS. XJ (Jan Mayen), XK (Kosovo),
// XE (Sint Eustatius) and XS (Saba) are Azure's non-ISO codes.
// One ISO 3166-1 code is missing from Azure's page: EH (Western Sahara). It is placed in GEO-AF,
// where it lies, so every ISO country has a grouping.
#include <array>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "geo/geo.h"

namespace meridian::geo {
namespace {

struct Grouping {
  std::string_view name;
  std::string_view countries;  // space-separated, as listed on Azure's page
};

// Written as Azure's page lists them, so the table can be checked against it line by line.
constexpr Grouping groupings[] = {
    {"GEO-EU",
     "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI "
     "LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XJ XK"},
    {"GEO-ME", "AE BH IL IQ IR JO KW LB OM PS QA SY SA TR YE"},
    {"GEO-NA",
     "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI "
     "PA PM PR SV SX TC TT UM US VC VG VI XE XS"},
    {"GEO-AS",
     "AF AM AZ BD BN BT CC CN CX GE HK ID IN IO JP KG KH KP KR KZ LA LK MM MN MO MV MY NP PH PK "
     "SG TH TJ TL TM TW UZ VN"},
    {"GEO-AF",
     "AO BF BI BJ BV BW CD CF CG CI CM CV DJ DZ EG ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG "
     "ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TN TZ UG YT ZA ZM ZW "
     "EH"},
    {"GEO-AN", "AQ"},
    {"GEO-SA", "AR BO BR CL CO EC FK GF GS GY PE PY SR UY VE"},
    {"GEO-AP", "AS AU CK FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV VU WF WS"},
};

// Slot of a two-letter country code in a 26 x 26 table; -1 for anything else ("X1", "fr").
constexpr int country_slot(std::string_view country) {
  if (country.size() != 2) return -1;
  const auto letter = [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' : -1; };
  const int first = letter(country[0]), second = letter(country[1]);
  return first < 0 || second < 0 ? -1 : first * 26 + second;
}

// Country -> 1 + index into `groupings` (0: no grouping), built at compile time: every query
// of a geographic profile asks for its client's grouping, so this is one array read.
constexpr auto build_index() {
  std::array<uint8_t, 26 * 26> index{};
  for (size_t g = 0; g < std::size(groupings); ++g)
    for (size_t at = 0; at < groupings[g].countries.size(); at += 3)
      index[size_t(country_slot(groupings[g].countries.substr(at, 2)))] = static_cast<uint8_t>(g + 1);
  return index;
}

constexpr bool well_formed() {
  std::array<bool, 26 * 26> seen{};
  size_t countries = 0;
  for (const Grouping& grouping : groupings)
    for (size_t at = 0; at < grouping.countries.size(); at += 3) {
      if (at + 2 > grouping.countries.size() ||
          (at + 2 < grouping.countries.size() && grouping.countries[at + 2] != ' '))
        return false;
      const int slot = country_slot(grouping.countries.substr(at, 2));
      if (slot < 0 || seen[size_t(slot)]) return false;  // not a code, or in two groupings
      seen[size_t(slot)] = true;
      ++countries;
    }
  return countries == 249 + 4;  // every ISO 3166-1 country plus XE, XJ, XK, XS
}
static_assert(well_formed(), "each country is two capital letters, listed once, all listed");

constexpr auto index = build_index();

}  // namespace

std::string_view azure_grouping(std::string_view country) {
  const int slot = country_slot(country);
  if (slot < 0 || index[size_t(slot)] == 0) return {};
  return groupings[index[size_t(slot)] - 1].name;
}

}  // namespace meridian::geo
