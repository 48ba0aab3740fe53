// Reads the YAML config (server, geo, resolver, zones, profiles) into a model::Config.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "conf/account_settings.h"
#include "conf/config.h"
#include "conf/latency_table.h"
#include "conf/monitor_settings.h"
#include "conf/profile_validation.h"
#include "conf/rate_limit_settings.h"
#include "conf/replication_settings.h"
#include "conf/yaml_reader.h"
#include "conf/zone_file.h"
#include "geo/geo.h"

namespace meridian::conf {

ConfigError::ConfigError(std::string file, int line, std::string reason)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}: {}", file, line, reason)
                                  : fmt::format("{}: {}", file, reason)),
      file_(std::move(file)),
      line_(line),
      reason_(std::move(reason)) {}

namespace {

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// "www.example.com." -> "www.example.com"; the root "." -> "".
std::string strip_final_dot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

model::WireName wire_name(const YamlReader& reader, const YAML::Node& node, const std::string& name) {
  try {
    return to_wire_name(name);
  } catch (const std::invalid_argument& error) {
    reader.fail(node, error.what());
  }
}

class Loader {
 public:
  explicit Loader(const std::string& file) : reader_(file) { config_.file = file; }

  std::shared_ptr<const model::Config> load(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) throw ConfigError(reader_.file(), 0, "the config is empty");
    const auto f = reader_.check_keys(root, {"server", "geo", "resolver", "rrl", "replication", "zones", "profiles"}, "the config");
    read_server(f["server"]);
    if (const auto& n = f["geo"]) read_geo(n);
    if (const auto& n = f["resolver"]) read_resolver(n);
    if (const auto& n = f["rrl"]) config_.rrl = read_rate_limit(reader_, n);
    else config_.rrl = read_rate_limit(reader_, YAML::Node(YAML::NodeType::Map));
    if (const auto& n = f["replication"]) config_.replication = read_replication(reader_, n);
    auto zones = f["zones"];
    if (!zones) reader_.fail(root, "the config has no zones: list at least one");
    read_zones(zones);
    if (const auto& n = f["profiles"]) read_profiles(n);
    validate_profiles(config_);
    return std::make_shared<const model::Config>(std::move(config_));
  }

 private:
  void read_server(const YAML::Node& node) {
    auto& server = config_.server;
    if (node) {
      const auto f = reader_.check_keys(node,
                                        {"listen", "workers", "control", "control_token_file", "state_file",
                                         "nsid", "version", "udp_payload", "tcp_idle_timeout", "tcp_max_connections",
                                         "probe_source",
                                         // TCP limits (read_tcp_limits)
                                         "tcp_max_connections_per_client", "tcp_max_queries_per_connection",
                                         "tcp_max_connection_time", "tcp_message_timeout",
                                         // privileges (read_accounts)
                                         "user", "group", "allow_root"},
                                        "server");
      if (const auto& n = f["listen"]) {
        reader_.require_sequence(n, "server listen");
        for (const auto& entry : n) server.listen.push_back(reader_.socket_address(entry, "listen address"));
      }
      if (const auto& n = f["workers"]) server.workers = reader_.integer(n, "server workers", 1, 256);
      if (const auto& n = f["control"]) {
        server.control = reader_.socket_address(n, "control address");
        server.control_line = n.Mark().line + 1;
      }
      if (const auto& n = f["control_token_file"]) {
        server.control_token_file = reader_.path(n, "control_token_file");
        server.control_token = read_token(n, server.control_token_file);
      }
      if (const auto& n = f["state_file"]) server.state_file = reader_.path(n, "state_file");
      if (const auto& n = f["nsid"]) {
        server.nsid = reader_.string(n, "server nsid");
        if (server.nsid.empty() || server.nsid.size() > 255) reader_.fail(n, "nsid must be 1..255 bytes");
      }
      if (const auto& n = f["version"]) {
        server.version = reader_.string(n, "server version");
        // One TXT character-string.
        if (server.version.empty() || server.version.size() > 255) reader_.fail(n, "version must be 1..255 bytes");
      }
      if (const auto& n = f["udp_payload"]) server.udp_payload = reader_.integer(n, "udp_payload", 512, 4096);
      if (const auto& n = f["tcp_idle_timeout"]) {
        server.tcp_idle_timeout = reader_.duration(n, "tcp_idle_timeout");
        if (server.tcp_idle_timeout.count() == 0) reader_.fail(n, "tcp_idle_timeout must be above zero");
      }
      if (const auto& n = f["tcp_max_connections"])
        server.tcp_max_connections = reader_.integer(n, "tcp_max_connections", 1, 1000000);
      if (const auto& n = f["probe_source"]) server.probe_source = read_probe_source(n);
      read_tcp_limits(f, server);
      read_accounts(reader_, f, server);
    }
    if (!server.control) server.control = geo::SocketAddress::parse("127.0.0.1:8053");
    if (server.listen.empty()) {
      server.listen.push_back(*geo::SocketAddress::parse("127.0.0.1:5300"));
      server.listen.push_back(*geo::SocketAddress::parse("[::1]:5300"));
    }
  }

  // One address or a list, at most one per family: a probe's source must match its target's family.
  std::vector<geo::Address> read_probe_source(const YAML::Node& node) const {
    std::vector<geo::Address> sources;
    const auto add = [&](const YAML::Node& entry) {
      const auto text = reader_.string(entry, "probe_source");
      const auto address = geo::Address::parse(text);
      if (!address) reader_.fail(entry, fmt::format("probe_source \"{}\" is not an IP address (no port)", text));
      for (const auto& earlier : sources)
        if (earlier.family == address->family)
          reader_.fail(entry, fmt::format("probe_source has two IPv{} addresses ({} and {}): at most one per family",
                                          address->family == geo::Family::v4 ? 4 : 6, earlier.to_string(), text));
      sources.push_back(*address);
    };
    if (node.IsSequence()) {
      for (const auto& entry : node) add(entry);
    } else {
      add(node);
    }
    return sources;
  }

  // The TCP limits per client and per connection (model::ServerSettings says what each does).
  void read_tcp_limits(const Fields& f, model::ServerSettings& server) const {
    if (const auto& n = f["tcp_max_connections_per_client"])
      server.tcp_max_connections_per_client =
          reader_.integer(n, "tcp_max_connections_per_client", 1, 1000000);
    if (const auto& n = f["tcp_max_queries_per_connection"])
      server.tcp_max_queries_per_connection =
          reader_.integer(n, "tcp_max_queries_per_connection", 0, 1000000000);
    if (const auto& n = f["tcp_max_connection_time"])
      server.tcp_max_connection_time = reader_.duration(n, "tcp_max_connection_time");
    if (const auto& n = f["tcp_message_timeout"]) {
      server.tcp_message_timeout = reader_.duration(n, "tcp_message_timeout");
      if (server.tcp_message_timeout.count() == 0) reader_.fail(n, "tcp_message_timeout must be above zero");
    }
  }

  // A token that cannot be read, or is empty, would leave the control API open: an error.
  std::string read_token(const YAML::Node& node, const std::string& file) const {
    std::string token = reader_.file_contents(node, file, "control_token_file");
    const auto first = token.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) reader_.fail(node, fmt::format("control_token_file {} is empty", file));
    token = token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
    if (token.find_first_of(" \t\r\n") != std::string::npos)
      reader_.fail(node, fmt::format("control_token_file {}: the token must be one word", file));
    return token;
  }

  void read_geo(const YAML::Node& node) {
    const auto f = reader_.check_keys(node, {"databases", "latency_table"}, "geo");
    if (const auto& n = f["databases"]) {
      reader_.require_sequence(n, "geo databases");
      for (const auto& entry : n) {
        config_.geo.databases.push_back(reader_.path(entry, "geo database"));
        config_.geo.database_lines.push_back(entry.Mark().line + 1);
      }
    }
    if (const auto& n = f["latency_table"]) {
      config_.geo.latency_table = reader_.path(n, "latency_table");
      config_.geo.latency = read_latency_table(config_.geo.latency_table);
    }
  }

  void read_resolver(const YAML::Node& node) {
    const auto f = reader_.check_keys(node, {"servers"}, "resolver");
    if (const auto& n = f["servers"]) {
      reader_.require_sequence(n, "resolver servers");
      for (const auto& entry : n)
        config_.resolver.servers.push_back(reader_.socket_address(entry, "resolver server"));
    }
  }

  void read_zones(const YAML::Node& node) {
    reader_.require_sequence(node, "zones");
    std::set<model::WireName> origins;
    for (const auto& entry : node) {
      const auto f = reader_.check_keys(entry, {"origin", "file"}, "a zone");
      model::Zone zone;
      zone.line = YamlReader::line_of(entry);
      if (!f["origin"]) reader_.fail(entry, "a zone needs an origin");
      if (!f["file"]) reader_.fail(entry, "a zone needs a file");
      zone.origin = strip_final_dot(reader_.string(f["origin"], "zone origin"));
      zone.origin_wire = wire_name(reader_, f["origin"], zone.origin.empty() ? "." : zone.origin);
      if (!origins.insert(zone.origin_wire).second)
        reader_.fail(f["origin"], fmt::format("zone {} is listed twice", zone.origin));
      zone.file = reader_.path(f["file"], "zone file");
      read_zone_file(zone, reader_.file());
      config_.zones.push_back(std::move(zone));
    }
    if (config_.zones.empty()) reader_.fail(node, "zones is empty: list at least one");
  }

  void read_profiles(const YAML::Node& node) {
    reader_.require_sequence(node, "profiles");
    std::set<std::string> names;
    for (const auto& entry : node) {
      auto profile = read_profile(entry);
      if (!names.insert(profile.name).second)
        reader_.fail(entry["name"], fmt::format("profile name \"{}\" is used twice", profile.name));
      config_.profiles.push_back(std::move(profile));
    }
  }

  model::Profile read_profile(const YAML::Node& node) {
    const auto f = reader_.check_keys(node,
                                      {"name", "fqdn", "method", "ttl", "max_return", "enabled",
                                       "geo_fallback", "affinity", "monitor", "endpoints"},
                                      "a profile");
    model::Profile profile;
    profile.line = YamlReader::line_of(node);
    for (const char* key : {"name", "fqdn", "method", "endpoints"})
      if (!f[key]) reader_.fail(node, fmt::format("a profile needs \"{}\"", key));
    profile.name = reader_.string(f["name"], "profile name");
    if (profile.name.empty()) reader_.fail(f["name"], "profile name is empty");
    profile.fqdn = strip_final_dot(reader_.string(f["fqdn"], "profile fqdn"));
    profile.fqdn_wire = wire_name(reader_, f["fqdn"], profile.fqdn);
    profile.method = read_method(f["method"]);
    if (const auto& n = f["ttl"]) profile.ttl = reader_.integer(n, "ttl", 0, 2147483647);
    if (const auto& n = f["max_return"]) {
      if (profile.method != model::Method::multivalue)
        reader_.fail(n, "max_return applies to the multivalue method only");
      profile.max_return = reader_.integer(n, "max_return", 1, 10);
    }
    if (const auto& n = f["enabled"]) profile.enabled = reader_.boolean(n, "enabled");
    if (const auto& n = f["geo_fallback"]) {
      const auto text = reader_.string(n, "geo_fallback");
      if (text == "hierarchy")
        profile.geo_fallback = model::GeoFallback::hierarchy;
      else if (text == "none")
        profile.geo_fallback = model::GeoFallback::none;
      else
        reader_.fail(n, "geo_fallback must be none or hierarchy");
    }
    if (const auto& n = f["affinity"]) {
      const auto text = reader_.string(n, "affinity");
      if (text == "client_subnet")
        profile.affinity = model::Affinity::client_subnet;
      else if (text == "none")
        profile.affinity = model::Affinity::none;
      else
        reader_.fail(n, "affinity must be none or client_subnet");
    }
    MonitorSettings monitor;
    if (const auto& n = f["monitor"]) monitor = read_monitor(reader_, n);
    profile.monitor = resolve_monitor(reader_, monitor);

    auto endpoints = f["endpoints"];
    reader_.require_sequence(endpoints, "endpoints");
    if (endpoints.size() == 0) reader_.fail(endpoints, "a profile needs at least one endpoint");
    std::set<std::string> names;
    for (const auto& entry : endpoints) {
      auto endpoint = read_endpoint(entry, monitor);
      if (!names.insert(endpoint.name).second)
        reader_.fail(entry["name"], fmt::format("endpoint name \"{}\" is used twice in profile {}",
                                                endpoint.name, profile.name));
      endpoint.id = static_cast<model::EndpointId>(config_.endpoint_count++);
      profile.endpoints.push_back(std::move(endpoint));
    }
    return profile;
  }

  model::Method read_method(const YAML::Node& node) {
    const auto text = reader_.string(node, "method");
    for (auto method : {model::Method::priority, model::Method::weighted, model::Method::performance,
                        model::Method::geographic, model::Method::multivalue, model::Method::subnet})
      if (text == model::to_string(method)) return method;
    reader_.fail(node, fmt::format("method \"{}\" is not one of priority, weighted, performance, "
                                   "geographic, multivalue, subnet",
                                   text));
  }

  model::Endpoint read_endpoint(const YAML::Node& node, const MonitorSettings& profile_monitor) {
    const auto f =
        reader_.check_keys(node,
                           {"name", "target", "profile", "flatten", "location", "priority", "weight", "geo",
                            "subnets", "enabled", "always_serve", "monitor", "min_child_endpoints",
                            "min_child_endpoints_ipv4", "min_child_endpoints_ipv6"},
                           "an endpoint");
    model::Endpoint endpoint;
    endpoint.line = YamlReader::line_of(node);
    if (!f["name"]) reader_.fail(node, "an endpoint needs a name");
    endpoint.name = reader_.string(f["name"], "endpoint name");
    if (endpoint.name.empty()) reader_.fail(f["name"], "endpoint name is empty");

    const auto target = f["target"];
    const auto child = f["profile"];
    if (target && child) reader_.fail(node, "an endpoint has either a target or a profile, not both");
    if (!target && !child) reader_.fail(node, "an endpoint needs a target or a (child) profile");
    if (target) {
      const auto text = reader_.string(target, "target");
      if (auto address = geo::Address::parse(text)) {
        endpoint.kind = model::TargetKind::address;
        endpoint.address = *address;
      } else {
        endpoint.kind = model::TargetKind::fqdn;
        endpoint.fqdn = strip_final_dot(text);
        endpoint.fqdn_wire = wire_name(reader_, target, endpoint.fqdn);
      }
    } else {
      endpoint.kind = model::TargetKind::nested;
      endpoint.child = reader_.string(child, "child profile");
    }
    if (const auto& n = f["flatten"]) {
      endpoint.flatten = reader_.boolean(n, "flatten");
      if (endpoint.kind != model::TargetKind::fqdn) reader_.fail(n, "flatten applies to FQDN targets only");
    }
    if (const auto& n = f["location"]) endpoint.location = read_location(n);
    if (const auto& n = f["priority"]) endpoint.priority = reader_.integer(n, "priority", 1, 1000);
    if (const auto& n = f["weight"]) endpoint.weight = reader_.integer(n, "weight", 1, 1000);
    if (const auto& n = f["geo"]) {
      reader_.require_sequence(n, "geo");
      for (const auto& code : n) endpoint.geo_codes.push_back(upper(reader_.string(code, "geo code")));
    }
    if (const auto& n = f["subnets"]) {
      reader_.require_sequence(n, "subnets");
      for (const auto& entry : n) {
        const auto text = reader_.string(entry, "subnet");
        auto cidr = geo::Cidr::parse(text);
        if (!cidr)
          reader_.fail(entry, fmt::format("subnet \"{}\" is not a CIDR prefix with no host bits set", text));
        endpoint.subnets.push_back(*cidr);
      }
    }
    if (const auto& n = f["enabled"]) endpoint.enabled = reader_.boolean(n, "enabled");
    if (const auto& n = f["always_serve"]) endpoint.always_serve = reader_.boolean(n, "always_serve");
    auto nested_only = [&](const char* key) {
      if (endpoint.kind != model::TargetKind::nested)
        reader_.fail(f[key], fmt::format("{} applies to nested (profile) endpoints only", key));
    };
    if (const auto& n = f["min_child_endpoints"]) {
      nested_only("min_child_endpoints");
      endpoint.min_child_endpoints = reader_.integer(n, "min_child_endpoints", 1, 1000);
    }
    if (const auto& n = f["min_child_endpoints_ipv4"]) {
      nested_only("min_child_endpoints_ipv4");
      endpoint.min_child_endpoints_ipv4 = reader_.integer(n, "min_child_endpoints_ipv4", 0, 1000);
    }
    if (const auto& n = f["min_child_endpoints_ipv6"]) {
      nested_only("min_child_endpoints_ipv6");
      endpoint.min_child_endpoints_ipv6 = reader_.integer(n, "min_child_endpoints_ipv6", 0, 1000);
    }
    MonitorSettings monitor = profile_monitor;
    if (const auto& n = f["monitor"]) monitor = profile_monitor.merged_with(read_monitor(reader_, n));
    endpoint.monitor = resolve_monitor(reader_, monitor);
    return endpoint;
  }

  model::Location read_location(const YAML::Node& node) {
    model::Location location;
    if (node.IsScalar()) {
      location.name = node.Scalar();
      auto coordinates = geo::region_coordinates(location.name);
      if (!coordinates)
        reader_.fail(node, fmt::format("unknown region \"{}\" (write azure:eastus, aws:eu-west-1, "
                                       "gcp:europe-west1, or {{lat: 51.5, lon: -0.1}})",
                                       location.name));
      location.lat = coordinates->lat;
      location.lon = coordinates->lon;
      location.position = geo::unit_vector(*coordinates);
      return location;
    }
    const auto f = reader_.check_keys(node, {"lat", "lon"}, "location");
    if (!f["lat"] || !f["lon"]) reader_.fail(node, "a location needs lat and lon");
    location.lat = reader_.real(f["lat"], "lat");
    location.lon = reader_.real(f["lon"], "lon");
    if (location.lat < -90 || location.lat > 90) reader_.fail(f["lat"], "lat must be within -90..90");
    if (location.lon < -180 || location.lon > 180) reader_.fail(f["lon"], "lon must be within -180..180");
    location.position = geo::unit_vector(geo::Coordinates{location.lat, location.lon});
    return location;
  }

  YamlReader reader_;
  model::Config config_;
};

YAML::Node parse_yaml(std::string_view text, const std::string& path) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    throw ConfigError(path, error.mark.line + 1, error.msg);
  }
}

// Parses on a thread of its own. glibc gives a new thread its own malloc arena, so yaml-cpp's
// node tree (about 300 MB for 10,000 profiles: millions of small nodes) is allocated there and
// not interleaved with the config read from it, which outlives it. Parsed on this thread, the
// config's strings and vectors filled the holes between nodes: once the tree was freed every
// page still held some of the config, so malloc_trim gave nothing back (481 MiB resident with
// 10,000 profiles, against 168 MiB this way) and the config was spread thin over the cache.
YAML::Node parse_yaml_aside(std::string_view text, const std::string& path) {
  YAML::Node root;
  std::exception_ptr failed;
  try {
    std::thread([&] {
      try {
        root = parse_yaml(text, path);
      } catch (...) {
        failed = std::current_exception();
      }
    }).join();
  } catch (const std::system_error&) {
    return parse_yaml(text, path);  // no thread to be had: parse here, just less compactly
  }
  if (failed) std::rethrow_exception(failed);
  return root;
}

}  // namespace

std::shared_ptr<const model::Config> load_from_string(std::string_view yaml, const std::string& path) {
  auto root = parse_yaml_aside(yaml, path);
  try {
    return Loader(path).load(root);
  } catch (const YAML::Exception& error) {  // e.g. a key that is not a scalar
    throw ConfigError(path, error.mark.line + 1, error.msg);
  }
}

std::shared_ptr<const model::Config> load(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ConfigError(path, 0, "cannot read the config file");
  std::stringstream text;
  text << file.rdbuf();
  return load_from_string(text.str(), path);
}

}  // namespace meridian::conf
