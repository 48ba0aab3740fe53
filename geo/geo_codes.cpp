// geo/geo_codes.cpp: which codes a geographic endpoint may own (WORLD, GEO-xx, CC, CC-SUB).
//
// Codes are upper case only, as Azure writes them and as GeoIP data is normalised; the config
// loader upper-cases what users write before asking, so "us" is rejected here on purpose rather
// than silently matching nothing at query time.
// Subdivisions are accepted for every known country, with any ISO 3166-2-shaped suffix (1 to 3
// letters or digits): Azure only has them for US, CA and AU, but Meridian routes on whatever
// ISO 3166-2 code its GeoIP data yields, and no bundled list could keep up with ISO's changes.
#include <string_view>

#include "geo/geo.h"

namespace meridian::geo {
namespace {

constexpr std::string_view regions[] = {"WORLD",  "GEO-AF", "GEO-AN", "GEO-AS", "GEO-AP",
                                        "GEO-EU", "GEO-ME", "GEO-NA", "GEO-SA"};

bool is_upper_letter(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_country(std::string_view code) {
  return code.size() == 2 && is_upper_letter(code[0]) && is_upper_letter(code[1]) &&
         !azure_grouping(code).empty();
}

}  // namespace

bool is_geo_code(std::string_view code) {
  for (std::string_view region : regions)
    if (code == region) return true;
  if (code.size() == 2) return is_country(code);
  // "CC-SUB"
  if (code.size() < 4 || code.size() > 6 || code[2] != '-' || !is_country(code.substr(0, 2)))
    return false;
  for (char c : code.substr(3))
    if (!is_upper_letter(c) && !is_digit(c)) return false;
  return true;
}

}  // namespace meridian::geo
