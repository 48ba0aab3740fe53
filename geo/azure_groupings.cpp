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
#include <algorithm>
#include <array>
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

struct CountryGrouping {
  std::string_view country;
  std::string_view grouping;
};

constexpr size_t country_count() {
  size_t count = 0;
  for (const Grouping& grouping : groupings) count += (grouping.countries.size() + 1) / 3;
  return count;
}

// The lists above, flattened and sorted by country at compile time for binary search.
constexpr auto build_index() {
  std::array<CountryGrouping, country_count()> index{};
  size_t next = 0;
  for (const Grouping& grouping : groupings)
    for (size_t at = 0; at < grouping.countries.size(); at += 3)
      index[next++] = {grouping.countries.substr(at, 2), grouping.name};
  std::ranges::sort(index, {}, &CountryGrouping::country);
  return index;
}

constexpr auto index = build_index();

constexpr bool well_formed() {
  for (const Grouping& grouping : groupings)
    for (size_t at = 0; at < grouping.countries.size(); at += 3)
      if (at + 2 > grouping.countries.size() ||
          (at + 2 < grouping.countries.size() && grouping.countries[at + 2] != ' '))
        return false;
  for (size_t i = 1; i < index.size(); ++i)
    if (index[i - 1].country == index[i].country) return false;  // a country in two groupings
  return true;
}
static_assert(well_formed(), "each country is two letters, listed once");
static_assert(index.size() == 249 + 4, "every ISO 3166-1 country plus XE, XJ, XK, XS");

}  // namespace

std::string_view azure_grouping(std::string_view country) {
  auto it = std::ranges::lower_bound(index, country, {}, &CountryGrouping::country);
  if (it == index.end() || it->country != country) return {};
  return it->grouping;
}

}  // namespace meridian::geo
