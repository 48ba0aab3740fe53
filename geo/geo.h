// geo/: GeoIP lookups (libmaxminddb), geographic codes, coordinates and longest-prefix tables.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "geo/net.h"

namespace meridian::geo {

struct Coordinates {
  double lat = 0;
  double lon = 0;
};

// A point on the unit sphere. Comparing straight-line (chord) distances between these orders
// points exactly as great-circle distances do, with no trigonometry per comparison.
struct Vector3 {
  double x = 0;
  double y = 0;
  double z = 0;
};
Vector3 unit_vector(Coordinates coordinates);
double chord_squared(const Vector3& a, const Vector3& b);
// The great-circle distance, in km, for a squared chord between unit vectors.
double chord_squared_to_km(double chord_squared);

// What a GeoIP database says about one client address. Fixed-size so a lookup never allocates.
struct GeoInfo {
  bool found = false;                 // the address is in some database
  std::array<char, 3> country{};      // ISO 3166-1 alpha-2, upper case; "" when unknown
  std::array<char, 4> subdivision{};  // ISO 3166-2 part after "CC-" ("VA", "ENG"); "" when unknown
  std::array<char, 3> continent{};    // "EU", "NA", ...; "" when unknown
  std::optional<Coordinates> coordinates;  // from the database, else the country's centroid
  std::optional<Vector3> position;         // unit_vector(*coordinates), when it was worked out
  unsigned prefix = 0;  // prefix length of the matching network, in the address's own family

  std::string_view country_code() const { return country.data(); }
  std::string_view subdivision_code() const { return subdivision.data(); }
};

class GeoError : public std::runtime_error {
 public:
  explicit GeoError(const std::string& message, std::string path = {})
      : std::runtime_error(message), path_(std::move(path)) {}
  // The file at fault, when one is (the config loader turns it into a config line).
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One or more .mmdb files opened once with MMDB_MODE_MMAP and searched in order; the first file
// holding the address answers. Reads MaxMind GeoIP2/GeoLite2 records (country.iso_code,
// continent.code, subdivisions[].iso_code, location.latitude/longitude; never
// registered_country) and the flat ip-location-db records (country_code, state1, latitude,
// longitude). Immutable after open(); lookups are thread-safe and do not allocate.
class GeoDb {
 public:
  // Throws GeoError("PATH: reason") for a missing, unreadable or corrupt file.
  static std::unique_ptr<GeoDb> open(const std::vector<std::string>& paths);
  ~GeoDb();
  GeoDb(const GeoDb&) = delete;
  GeoDb& operator=(const GeoDb&) = delete;

  GeoInfo lookup(const Address& address) const noexcept;
  // The same, written into `out`: the query path's form. Returning the 96-byte GeoInfo by value
  // made GCC assemble it on the stack and read it back half-written, a store-forwarding stall
  // per query (perf annotate, bench/answer-time.sh geo-ecs).
  void lookup(const Address& address, GeoInfo& out) const noexcept;
  // Starts fetching this thread's cached answer for `address`, without waiting for it: the
  // server's batch look-ahead calls it before lookup() (server/batch_responder.h).
  void prefetch(const Address& address) const noexcept;
  // The first network, in the first database's tree order, whose record names `country` (ISO
  // 3166-1 alpha-2, any case) for addresses of `family`: how the failover simulation places a
  // client given as a country. Empty when no database has one. Walks the tree: not for queries.
  std::optional<Cidr> find_country(std::string_view country, Family family) const;

 private:
  struct Impl;
  explicit GeoDb(std::unique_ptr<Impl> impl);
  struct Match;
  Match search(const Address& address) const noexcept;  // lookup() without its answer cache
  std::unique_ptr<Impl> impl_;
};

// Azure Traffic Manager's regional grouping of a country ("GEO-EU" for "FR", "GEO-ME" for "TR"),
// from Azure's own country lists. Empty when the country is unknown.
std::string_view azure_grouping(std::string_view country);

// A geographic code ("WORLD", "GEO-EU", "FR", "US-VA") packed into an integer, one byte per
// character, so routing finds a code's owner by comparing integers, not strings. Distinct codes
// of up to 8 characters get distinct keys; longer ones (never valid codes) get 0.
constexpr uint64_t geo_code_key(std::string_view code) {
  if (code.empty() || code.size() > 8) return 0;
  uint64_t key = 0;
  for (size_t i = 0; i < code.size(); ++i) key |= uint64_t(static_cast<uint8_t>(code[i])) << (8 * i);
  return key;
}

// True for a code a geographic endpoint may own: "WORLD", an Azure grouping ("GEO-EU"), an
// ISO 3166-1 country or one of the non-ISO codes XK, XJ, XE, XS, or a subdivision "CC-SUB".
bool is_geo_code(std::string_view code);

// Coordinates of a cloud region written "azure:eastus", "aws:eu-west-1" or "gcp:europe-west1".
std::optional<Coordinates> region_coordinates(std::string_view region);

// A country's centroid, for databases that carry no coordinates.
std::optional<Coordinates> country_centroid(std::string_view country);

// ISO 3166-2 subdivision code (the part after "CC-") for a subdivision's English name, as the
// flat database layout gives it ("Virginia" in "US" -> "VA"). Empty when unknown.
std::string_view subdivision_code(std::string_view country, std::string_view name);

// Great-circle distance in kilometres.
double distance_km(Coordinates a, Coordinates b);

// Longest-prefix match over IPv4 and IPv6 prefixes. Build with insert(), then freeze() once;
// find() is thread-safe after that and does not allocate.
template <typename Value>
class CidrTable;

}  // namespace meridian::geo

#include "geo/cidr_table.h"
