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

Vector3 unit_vector(Coordinates coordinates) {
  constexpr double radians_per_degree = std::numbers::pi / 180.0;
  const double lat = coordinates.lat * radians_per_degree;
  const double lon = coordinates.lon * radians_per_degree;
  return Vector3{std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

double chord_squared(const Vector3& a, const Vector3& b) {
  const double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

double chord_squared_to_km(double chord_squared) {
  constexpr double earth_radius_km = 6371.0;
  return 2 * earth_radius_km * std::asin(std::clamp(std::sqrt(chord_squared) / 2, 0.0, 1.0));
}

}  // namespace meridian::geo
