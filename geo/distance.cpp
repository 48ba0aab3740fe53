// geo/distance.cpp: great-circle distance between two points (haversine, mean Earth radius).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "geo/geo.h"

namespace meridian::geo {

double distance_km(Coordinates a, Coordinates b) {
  constexpr double earth_radius_km = 6371.0;  // IUGG mean radius
  constexpr double radians_per_degree = std::numbers::pi / 180.0;
  const double lat1 = a.lat * radians_per_degree;
  const double lat2 = b.lat * radians_per_degree;
  const double half_dlat = (b.lat - a.lat) * radians_per_degree / 2;
  const double half_dlon = (b.lon - a.lon) * radians_per_degree / 2;
  const double h = std::sin(half_dlat) * std::sin(half_dlat) +
                   std::cos(lat1) * std::cos(lat2) * std::sin(half_dlon) * std::sin(half_dlon);
  // Rounding can push h a hair past 1 for antipodal points; asin would then return NaN.
  return 2 * earth_radius_km * std::asin(std::sqrt(std::clamp(h, 0.0, 1.0)));
}

}  // namespace meridian::geo
