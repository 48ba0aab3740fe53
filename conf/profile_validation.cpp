// Checks on traffic profiles that need the whole config: routing rules per method, nesting,
// and where each profile's name lives among the served zones.
#include "conf/profile_validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "geo/geo.h"

namespace meridian::conf {

namespace {

// Azure allows 10 levels of nesting below a profile; routing/ stops at the same depth.
constexpr size_t max_nesting_depth = 10;
constexpr unsigned max_priority = 1000;
constexpr unsigned max_weight = 1000;
constexpr unsigned max_multivalue_answers = 10;

class Validator {
 public:
  explicit Validator(model::Config& config) : config_(config) {}

  void run() {
    resolve_children();
    for (auto& profile : config_.profiles) check_profile(profile);
    check_nesting();
    check_names();
  }

 private:
  [[noreturn]] void fail(int line, const model::Profile& profile, const std::string& reason) const {
    throw ConfigError(config_.file, line, fmt::format("profile {}: {}", profile.name, reason));
  }

  // --- nested endpoints -------------------------------------------------------------------

  void resolve_children() {
    std::map<std::string_view, size_t> index_of;
    for (size_t i = 0; i < config_.profiles.size(); ++i) index_of.emplace(config_.profiles[i].name, i);
    for (auto& profile : config_.profiles)
      for (auto& endpoint : profile.endpoints) {
        if (endpoint.kind != model::TargetKind::nested) continue;
        auto found = index_of.find(endpoint.child);
        if (found == index_of.end())
          fail(endpoint.line, profile,
               fmt::format("endpoint {} names child profile \"{}\", which does not exist", endpoint.name,
                           endpoint.child));
        endpoint.child_index = found->second;
      }
  }

  // Depth-first over the nesting graph: a profile met again while still on the path closes a
  // cycle; otherwise each profile's height (levels of nesting below it) is computed once.
  void check_nesting() {
    heights_.assign(config_.profiles.size(), unvisited);
    for (size_t i = 0; i < config_.profiles.size(); ++i) {
      path_.clear();
      const size_t height = height_of(i);
      if (height > max_nesting_depth) {
        const auto& profile = config_.profiles[i];
        fail(profile.line, profile,
             fmt::format("nesting is {} levels deep ({}); at most {} are allowed", height,
                         deepest_chain(i), max_nesting_depth));
      }
    }
  }

  size_t height_of(size_t index) {
    if (heights_[index] == on_path) {
      const auto& profile = config_.profiles[index];
      std::string cycle;
      const auto start = std::find(path_.begin(), path_.end(), index);
      for (auto it = start; it != path_.end(); ++it) cycle += config_.profiles[*it].name + " -> ";
      cycle += profile.name;
      // Blame the endpoint that closes the cycle: the one pointing back at `profile`.
      const auto& closing = config_.profiles[path_.back()];
      int line = closing.line;
      for (const auto& endpoint : closing.endpoints)
        if (endpoint.kind == model::TargetKind::nested && endpoint.child_index == index) line = endpoint.line;
      fail(line, closing, fmt::format("nested profiles form a cycle: {}", cycle));
    }
    if (heights_[index] != unvisited) return heights_[index];
    heights_[index] = on_path;
    path_.push_back(index);
    size_t height = 0;
    for (const auto& endpoint : config_.profiles[index].endpoints)
      if (endpoint.kind == model::TargetKind::nested)
        height = std::max(height, 1 + height_of(endpoint.child_index));
    path_.pop_back();
    heights_[index] = height;
    return height;
  }

  // "a -> b -> c", following the tallest child at each level, for the depth message.
  std::string deepest_chain(size_t index) const {
    std::string chain = config_.profiles[index].name;
    for (;;) {
      const model::Endpoint* tallest = nullptr;
      for (const auto& endpoint : config_.profiles[index].endpoints)
        if (endpoint.kind == model::TargetKind::nested &&
            (!tallest || heights_[endpoint.child_index] > heights_[tallest->child_index]))
          tallest = &endpoint;
      if (!tallest) return chain;
      index = tallest->child_index;
      chain += " -> " + config_.profiles[index].name;
    }
  }

  // --- one profile's rules ----------------------------------------------------------------

  void check_profile(model::Profile& profile) {
    if (profile.max_return < 1 || profile.max_return > max_multivalue_answers)
      fail(profile.line, profile,
           fmt::format("max_return {} is out of 1..{}", profile.max_return, max_multivalue_answers));
    for (const auto& endpoint : profile.endpoints) {
      if (endpoint.weight < 1 || endpoint.weight > max_weight)
        fail(endpoint.line, profile,
             fmt::format("endpoint {}: weight {} is out of 1..{}", endpoint.name, endpoint.weight, max_weight));
      if (endpoint.priority > max_priority)
        fail(endpoint.line, profile, fmt::format("endpoint {}: priority {} is out of 1..{}", endpoint.name,
                                                 endpoint.priority, max_priority));
    }
    assign_priorities(profile);
    check_geo_codes(profile);
    switch (profile.method) {
      case model::Method::performance: check_performance(profile); break;
      case model::Method::multivalue: check_multivalue(profile); break;
      case model::Method::subnet: check_subnet(profile); break;
      default: break;
    }
  }

  // Azure orders endpoints without a priority as they are listed. An endpoint without one goes
  // after every explicit priority, in list order; with none set that is simply 1, 2, 3, ...
  void assign_priorities(model::Profile& profile) {
    unsigned next = 1;
    for (const auto& endpoint : profile.endpoints) next = std::max(next, endpoint.priority + 1);
    for (auto& endpoint : profile.endpoints) {
      if (endpoint.priority != 0) continue;
      if (next > max_priority)
        fail(endpoint.line, profile,
             fmt::format("endpoint {} has no priority and none is left after the highest ({})",
                         endpoint.name, max_priority));
      endpoint.priority = next++;
    }
    std::map<unsigned, const model::Endpoint*> owner;
    for (const auto& endpoint : profile.endpoints) {
      auto [it, inserted] = owner.emplace(endpoint.priority, &endpoint);
      if (!inserted)
        fail(endpoint.line, profile, fmt::format("priority {} is used by endpoints {} and {}",
                                                 endpoint.priority, it->second->name, endpoint.name));
    }
  }

  void check_geo_codes(const model::Profile& profile) {
    std::map<std::string_view, const model::Endpoint*> owner;
    for (const auto& endpoint : profile.endpoints) {
      if (profile.method == model::Method::geographic && endpoint.geo_codes.empty())
        fail(endpoint.line, profile,
             fmt::format("endpoint {} has no geo codes (geographic endpoints need at least one, "
                         "e.g. WORLD)", endpoint.name));
      for (const auto& code : endpoint.geo_codes) {
        if (!geo::is_geo_code(code))
          fail(endpoint.line, profile, fmt::format("endpoint {}: unknown geo code \"{}\"", endpoint.name, code));
        auto [it, inserted] = owner.emplace(code, &endpoint);
        if (inserted) continue;
        if (it->second == &endpoint)
          fail(endpoint.line, profile,
               fmt::format("endpoint {} lists geo code \"{}\" twice", endpoint.name, code));
        fail(endpoint.line, profile, fmt::format("geo code \"{}\" is mapped by endpoints {} and {}", code,
                                                 it->second->name, endpoint.name));
      }
    }
  }

  void check_performance(const model::Profile& profile) {
    for (const auto& endpoint : profile.endpoints)
      if (!endpoint.location)
        fail(endpoint.line, profile,
             fmt::format("endpoint {} has no location (performance routing needs one for every "
                         "endpoint)", endpoint.name));
  }

  void check_multivalue(const model::Profile& profile) {
    for (const auto& endpoint : profile.endpoints) {
      if (endpoint.kind == model::TargetKind::nested)
        fail(endpoint.line, profile,
             fmt::format("endpoint {} is a nested profile; multivalue takes address targets only",
                         endpoint.name));
      if (endpoint.kind == model::TargetKind::fqdn)
        fail(endpoint.line, profile,
             fmt::format("endpoint {} targets a name; multivalue takes address targets only",
                         endpoint.name));
    }
  }

  void check_subnet(const model::Profile& profile) {
    std::map<std::string, const model::Endpoint*> owner;
    const model::Endpoint* catch_all = nullptr;
    for (const auto& endpoint : profile.endpoints) {
      if (endpoint.subnets.empty()) {
        // Two catch-alls would make the answer depend on list order; say so instead.
        if (catch_all)
          fail(endpoint.line, profile,
               fmt::format("endpoints {} and {} both have no subnets; only one may take the "
                           "clients no subnet holds", catch_all->name, endpoint.name));
        catch_all = &endpoint;
      }
      for (const auto& cidr : endpoint.subnets) {
        auto [it, inserted] = owner.emplace(cidr.to_string(), &endpoint);
        if (inserted) continue;
        if (it->second == &endpoint)
          fail(endpoint.line, profile,
               fmt::format("endpoint {} lists subnet {} twice", endpoint.name, cidr.to_string()));
        fail(endpoint.line, profile, fmt::format("subnet {} is owned by endpoints {} and {}",
                                                 cidr.to_string(), it->second->name, endpoint.name));
      }
    }
  }

  // --- names and zones --------------------------------------------------------------------

  // True when `zone` is `name` or one of its ancestors, compared label by label (a plain
  // suffix test would put "wwwexample.com" inside "example.com").
  static bool inside(std::string_view name, std::string_view zone) {
    size_t offset = 0;
    while (offset < name.size()) {
      if (name.substr(offset) == zone) return true;
      const auto length = static_cast<unsigned char>(name[offset]);
      if (length == 0) break;
      offset += 1 + length;
    }
    return false;
  }

  // A profile answers A and AAAA at its name (and CNAME, for FQDN targets). Other static data
  // may share the name, so a profile can sit at a zone apex beside SOA and NS (with flatten).
  void check_names() {
    std::unordered_map<std::string_view, std::vector<uint16_t>> static_types;
    for (const auto& zone : config_.zones)
      for (const auto& record : zone.records) static_types[record.owner].push_back(record.type);
    std::map<std::string_view, const model::Profile*> owner;
    for (const auto& profile : config_.profiles) {
      const model::Zone* home = nullptr;
      for (const auto& zone : config_.zones)
        if (inside(profile.fqdn_wire, zone.origin_wire)) home = &zone;
      if (!home)
        fail(profile.line, profile, fmt::format("{} is not inside any served zone", profile.fqdn));
      // A DNAME redirects every name below its owner (RFC 6672 2.3): a profile there would
      // never be reached the way the zone says.
      for (std::string_view above = parent_wire_name(profile.fqdn_wire);
           above.size() >= home->origin_wire.size(); above = parent_wire_name(above)) {
        const auto at = static_types.find(above);
        if (at != static_types.end() &&
            std::find(at->second.begin(), at->second.end(), 39) != at->second.end())
          fail(profile.line, profile,
               fmt::format("{} lies below the DNAME at {}", profile.fqdn, from_wire_name(at->first)));
      }
      auto [it, inserted] = owner.emplace(profile.fqdn_wire, &profile);
      if (!inserted)
        fail(profile.line, profile,
             fmt::format("fqdn {} is already the name of profile {}", profile.fqdn, it->second->name));
      const auto types = static_types.find(profile.fqdn_wire);
      if (types == static_types.end()) continue;
      const std::string zone_name = home->origin.empty() ? "." : home->origin;
      for (uint16_t type : types->second)
        if (type == 1 || type == 28 || type == 5)
          fail(profile.line, profile,
               fmt::format("{} also has static {} records in zone {} (the profile answers those: remove them)",
                           profile.fqdn, type == 1 ? "A" : type == 28 ? "AAAA" : "CNAME", zone_name));
      if (const model::Endpoint* endpoint = cname_endpoint(profile, 0))
        fail(endpoint->line, profile,
             fmt::format("endpoint {} would answer a CNAME at {}, which holds other records in zone {} "
                         "(set flatten: true)",
                         endpoint->name, profile.fqdn, zone_name));
    }
  }

  // An FQDN endpoint without flatten that the profile may answer with, through nesting too.
  const model::Endpoint* cname_endpoint(const model::Profile& profile, unsigned depth) const {
    if (depth > 10) return nullptr;  // nesting depth is checked elsewhere
    for (const auto& endpoint : profile.endpoints) {
      if (endpoint.kind == model::TargetKind::fqdn && !endpoint.flatten) return &endpoint;
      if (endpoint.kind == model::TargetKind::nested && endpoint.child_index < config_.profiles.size())
        if (const auto* found = cname_endpoint(config_.profiles[endpoint.child_index], depth + 1)) return found;
    }
    return nullptr;
  }

  static constexpr size_t unvisited = ~size_t{0};
  static constexpr size_t on_path = ~size_t{0} - 1;

  model::Config& config_;
  std::vector<size_t> heights_;
  std::vector<size_t> path_;
};

}  // namespace

void validate_profiles(model::Config& config) {
  Validator(config).run();
  for (auto& profile : config.profiles) {
    profile.geo_owners.clear();
    for (size_t i = 0; i < profile.endpoints.size(); ++i)
      for (const auto& code : profile.endpoints[i].geo_codes) profile.geo_owners.emplace_back(geo::geo_code_key(code), i);
    std::sort(profile.geo_owners.begin(), profile.geo_owners.end());
    model::index_endpoints(profile);
  }
}

}  // namespace meridian::conf
