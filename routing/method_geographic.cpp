// Geographic routing: the endpoint owning the most specific code of the client's location
// (subdivision, country, Azure grouping, WORLD). Health does not move the answer (DESIGN.md).
#include <algorithm>
#include <array>
#include <string_view>

#include "routing/availability.h"
#include "routing/methods.h"

namespace meridian::routing {

namespace {

// The geo code keys (geo::geo_code_key) a client matches, most specific first, worked out from
// the GeoIP record's fixed arrays without building strings (no allocation, no strlen).
class ClientCodes {
 public:
  explicit ClientCodes(const geo::GeoInfo& info) {
    const uint64_t country = key_of(info.country);
    if (country != 0) {
      if (const uint64_t subdivision = key_of(info.subdivision); subdivision != 0)
        add(country | uint64_t('-') << 16 | subdivision << 24);  // "CC-SUB"
      add(country);
    }
    // GeoInfo's codes are two letters when set: string_views of known length, no strlen.
    std::string_view grouping =
        country != 0 ? geo::azure_grouping({info.country.data(), 2}) : std::string_view();
    if (grouping.empty() && info.continent[0] != '\0')
      grouping = grouping_of_continent({info.continent.data(), 2});
    if (!grouping.empty()) add(geo::geo_code_key(grouping));
    add(world);
  }

  size_t size() const { return size_; }
  uint64_t key(size_t index) const { return keys_[index]; }

 private:
  static constexpr uint64_t world = geo::geo_code_key("WORLD");

  // The key of a NUL-terminated code in a fixed array (GeoInfo's country, subdivision).
  template <size_t N>
  static uint64_t key_of(const std::array<char, N>& code) {
    static_assert(N <= 8);
    uint64_t key = 0;
    for (size_t i = 0; i < N && code[i] != '\0'; ++i) key |= uint64_t(static_cast<uint8_t>(code[i])) << (8 * i);
    return key;
  }

  // Only for a client whose country is unknown but whose continent is (some GeoIP records carry
  // nothing more): the nearest of Azure's groupings. Azure's lists are by country, so this is an
  // approximation; it beats sending a European client straight to WORLD.
  static std::string_view grouping_of_continent(std::string_view continent) {
    if (continent == "EU") return "GEO-EU";
    if (continent == "AF") return "GEO-AF";
    if (continent == "AS") return "GEO-AS";
    if (continent == "NA") return "GEO-NA";
    if (continent == "SA") return "GEO-SA";
    if (continent == "OC") return "GEO-AP";
    if (continent == "AN") return "GEO-AN";
    return {};
  }

  void add(uint64_t key) { keys_[size_++] = key; }

  std::array<uint64_t, 4> keys_{};
  size_t size_ = 0;
};

// A key's code as text, for traces: the key's bytes are the code's characters.
class CodeText {
 public:
  explicit CodeText(uint64_t key) {
    while (key != 0 && length_ < text_.size()) {
      text_[length_++] = static_cast<char>(key & 0xff);
      key >>= 8;
    }
  }
  std::string_view view() const { return {text_.data(), length_}; }

 private:
  std::array<char, 8> text_{};
  size_t length_ = 0;
};

// The endpoint owning the code with `key`, as an index, or -1. conf/ guarantees at most one
// owner, and indexes the codes (geo_owners); a profile built without validation is searched in
// full.
ptrdiff_t owner_of(const model::Profile& profile, uint64_t key) {
  if (!profile.geo_owners.empty()) {
    const auto& owners = profile.geo_owners;
    // A profile owns a handful of codes: a straight scan beats a binary search's mispredicted
    // branches; Azure's limit of 600 codes per profile still gets the binary search.
    if (owners.size() <= 16) {
      for (const auto& [owned, index] : owners)
        if (owned == key) return static_cast<ptrdiff_t>(index);
      return -1;
    }
    auto it = std::lower_bound(owners.begin(), owners.end(), key,
                               [](const auto& entry, uint64_t wanted) { return entry.first < wanted; });
    return it != owners.end() && it->first == key ? static_cast<ptrdiff_t>(it->second) : -1;
  }
  for (size_t i = 0; i < profile.endpoints.size(); ++i)
    for (const auto& owned : profile.endpoints[i].geo_codes)
      if (geo::geo_code_key(owned) == key) return static_cast<ptrdiff_t>(i);
  return -1;
}

}  // namespace

const model::Endpoint* choose_geographic(Query& query, const model::Profile& profile, unsigned depth) {
  locate_client(query);
  query.depends_on_prefix(location_scope(query));
  const bool climb_past_unavailable = profile.geo_fallback == model::GeoFallback::hierarchy;
  // With geo_fallback: hierarchy, the match plain geographic routing would have answered, kept in
  // case nothing broader is available either (an unavailable answer beats none, as in fail-open).
  const model::Endpoint* plain_match = nullptr;
  const ClientCodes codes(query.client.info);
  for (size_t level = 0; level < codes.size(); ++level) {
    const CodeText text(query.trace ? codes.key(level) : 0);  // words only for a trace
    const std::string_view code = text.view();
    const ptrdiff_t index = owner_of(profile, codes.key(level));
    if (index < 0) {
      query.trace.note("code {}: no endpoint owns it", code);
      continue;
    }
    const auto& endpoint = profile.endpoints[index];
    // Only the matched endpoints' statuses matter (no pool, no fail-open): read just those.
    const model::Status status = endpoint_status(query.context, profile, static_cast<size_t>(index), depth);
    const char* status_name = query.trace ? model::to_string(status) : "";  // words only for a trace
    if (status == model::Status::Disabled) {
      query.trace.note("code {}: endpoint {} is Disabled, trying the broader region", code, endpoint.name);
      continue;
    }
    if (is_serving(status)) {
      query.trace.note("code {}: endpoint {} chosen ({})", code, endpoint.name, status_name);
      return &endpoint;
    }
    if (climb_past_unavailable) {
      if (!plain_match && may_fail_open_to(status)) plain_match = &endpoint;
      query.trace.note("code {}: endpoint {} is {}, geo_fallback hierarchy tries the broader region",
                       code, endpoint.name, status_name);
      continue;
    }
    if (!may_fail_open_to(status)) {
      query.trace.note("code {}: endpoint {} is {}: NODATA", code, endpoint.name, status_name);
      return nullptr;
    }
    query.trace.note("code {}: endpoint {} chosen although {} (geographic answers do not move on health)",
                     code, endpoint.name, status_name);
    return &endpoint;
  }
  if (plain_match) {
    if (query.trace)
      query.trace.note(
          "no broader region is available: endpoint {} chosen although {}", plain_match->name,
          model::to_string(endpoint_status(query.context, profile, index_of(profile, *plain_match), depth)));
    return plain_match;
  }
  query.trace.note("no endpoint maps the client's location: NODATA");
  return nullptr;
}

}  // namespace meridian::routing
