// Reads a failover scenario file (sim/scenario.h) and checks it against the config it rehearses.
#include "sim/scenario.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "conf/config.h"
#include "conf/yaml_reader.h"
#include "geo/geo.h"
#include "probes/plan.h"

namespace meridian::sim {

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::fail: return "fail";
    case EventKind::hang: return "hang";
    case EventKind::degrade: return "degrade";
    case EventKind::slow: return "slow";
    case EventKind::recover: return "recover";
    case EventKind::drain: return "drain";
    case EventKind::enable: return "enable";
    case EventKind::reload: return "reload";
  }
  return "?";
}

namespace {

namespace fs = std::filesystem;

// The event keys that name what happens, in the order messages list them.
constexpr std::pair<std::string_view, EventKind> actions[] = {
    {"fail", EventKind::fail},     {"hang", EventKind::hang},       {"degrade", EventKind::degrade},
    {"slow", EventKind::slow},     {"recover", EventKind::recover}, {"drain", EventKind::drain},
    {"enable", EventKind::enable}, {"reload", EventKind::reload},
};

bool acts_on_region(EventKind kind) {
  return kind == EventKind::fail || kind == EventKind::hang || kind == EventKind::degrade ||
         kind == EventKind::slow || kind == EventKind::recover;
}

bool is_loopback(const geo::Address& address) {
  if (address.family == geo::Family::v4) return address.bytes[0] == 127;
  return address == *geo::Address::parse("::1");
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

const model::Endpoint* find_endpoint(const model::Config& config, std::string_view profile,
                                     std::string_view endpoint) {
  for (const auto& candidate : config.profiles) {
    if (candidate.name != profile) continue;
    for (const auto& entry : candidate.endpoints)
      if (entry.name == endpoint) return &entry;
  }
  return nullptr;
}

bool has_profile(const model::Config& config, std::string_view profile) {
  return std::any_of(config.profiles.begin(), config.profiles.end(),
                     [&](const model::Profile& candidate) { return candidate.name == profile; });
}

// The value of `key` in `map`, if any. yaml-cpp's own lookups do not fit: the const one throws
// on a missing key once the result is used, the other adds the key.
std::optional<YAML::Node> child(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return std::nullopt;
  for (const auto& entry : map)
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  return std::nullopt;
}

// The config's YAML with every path the loader resolves against the config's folder made
// absolute, so a server started from any folder reads the same files.
std::string standalone_yaml(YAML::Node root, const fs::path& folder) {
  auto make_absolute = [&](std::optional<YAML::Node> node) {
    if (!node || !node->IsScalar()) return;
    const fs::path value = node->Scalar();
    if (!value.empty() && value.is_relative()) *node = (folder / value).lexically_normal().string();
  };
  if (const auto zones = child(root, "zones"); zones && zones->IsSequence())
    for (const auto& zone : *zones) make_absolute(child(zone, "file"));
  if (const auto geo = child(root, "geo")) {
    if (const auto databases = child(*geo, "databases"); databases && databases->IsSequence())
      for (const auto& database : *databases) make_absolute(database);
    make_absolute(child(*geo, "latency_table"));
  }
  if (const auto server = child(root, "server")) {
    make_absolute(child(*server, "control_token_file"));
    make_absolute(child(*server, "state_file"));
  }
  // The clients all send from loopback, each standing for a network (their ECS option says
  // which): the server must not rate-limit them as one flooding prefix.
  YAML::Node rrl = child(root, "rrl").value_or(YAML::Node(YAML::NodeType::Map));
  if (rrl.IsMap()) {
    YAML::Node whitelist = child(rrl, "whitelist").value_or(YAML::Node(YAML::NodeType::Sequence));
    if (whitelist.IsSequence()) {
      for (const char* loopback : {"127.0.0.0/8", "::1/128"}) {
        const bool listed = std::any_of(whitelist.begin(), whitelist.end(), [&](const YAML::Node& entry) {
          return entry.IsScalar() && entry.Scalar() == loopback;
        });
        if (!listed) whitelist.push_back(loopback);
      }
      rrl["whitelist"] = whitelist;
    }
    root["rrl"] = rrl;
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

// A timeline event as read, with the node that names its target: drain and enable targets are
// checked once the events are in time order, against the config in effect at that moment.
struct PendingEvent {
  Event event;
  YAML::Node target;
};

class ScenarioLoader {
 public:
  ScenarioLoader(const std::string& file, std::string text) : reader_(file), text_(std::move(text)) {
    scenario_.file = file;
    for (size_t start = 0; start <= text_.size();) {
      const auto end = std::min(text_.find('\n', start), text_.size());
      lines_.emplace_back(text_.data() + start, end - start);
      start = end + 1;
    }
  }

  Scenario load(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull())
      throw conf::ConfigError(reader_.file(), 0, "the scenario is empty");
    const auto f = reader_.check_keys(root, {"name", "duration", "config", "regions", "clients", "timeline"},
                                      "the scenario");
    for (const char* key : {"duration", "config", "regions", "clients"})
      if (!f[key]) reader_.fail(root, fmt::format("the scenario needs \"{}\"", key));

    scenario_.name =
        f["name"] ? reader_.string(f["name"], "scenario name") : fs::path(reader_.file()).stem().string();
    if (scenario_.name.empty()) reader_.fail(f["name"], "scenario name is empty");
    duration_node_ = f["duration"];
    scenario_.duration = reader_.duration(duration_node_, "duration");
    if (scenario_.duration.count() <= 0) reader_.fail(duration_node_, "duration must be above zero");

    scenario_.model = read_config(f["config"], scenario_.config);
    read_regions(f["regions"]);
    check_probes_stay_local(*scenario_.model, f["config"]);
    read_clients(f["clients"]);
    if (const auto& n = f["timeline"]) read_timeline(n);
    for (const auto& event : scenario_.timeline)
      if (event.kind == EventKind::reload && event.model) {
        check_probes_stay_local(*event.model, event.line);
        check_regions_stay(*event.model, event.line);
      }
    return std::move(scenario_);
  }

 private:
  // A simulation sends nothing off this machine: every endpoint the server would probe is a
  // region, or at least on loopback (where nothing listening reads as a refused connection, in
  // both modes). An FQDN target would need the resolver, and a probe of it leaves the machine.
  void check_probes_stay_local(const model::Config& config, int line) const {
    for (const auto& plan : probes::plan_endpoints(config)) {
      if (!plan.probed) continue;
      const auto& endpoint = config.profiles[plan.profile_index].endpoints[plan.endpoint_index];
      bool served = false;
      for (const auto& region : scenario_.regions) served |= region.serves(plan.profile, plan.endpoint);
      if (served) continue;
      if (endpoint.kind == model::TargetKind::fqdn)
        throw conf::ConfigError(reader_.file(), line,
                                fmt::format("endpoint {}/{} is probed at the name {}: a simulation probes "
                                            "regions on loopback only; give it a region's address, or "
                                            "monitor protocol none",
                                            plan.profile, plan.endpoint, endpoint.fqdn));
      if (!is_loopback(endpoint.address))
        throw conf::ConfigError(reader_.file(), line,
                                fmt::format("endpoint {}/{} would be probed at {}, off this machine: give it "
                                            "a region, or monitor protocol none",
                                            plan.profile, plan.endpoint, endpoint.address.to_string()));
    }
  }
  // A region is one backend for the whole run: a reload may drop its endpoints, not move them
  // (the server would probe the new target, where no region listens; virtual time could not
  // know). The moved endpoint needs a region of its own from the start.
  void check_regions_stay(const model::Config& config, int line) const {
    for (const auto& region : scenario_.regions)
      for (const auto& ref : region.endpoints) {
        const model::Endpoint* endpoint = find_endpoint(config, ref.profile, ref.endpoint);
        if (!endpoint) continue;
        if (endpoint->kind == model::TargetKind::address && endpoint->address == region.address &&
            endpoint->monitor.port == region.port && endpoint->monitor.protocol == region.protocol &&
            endpoint->monitor.path == region.path)
          continue;
        throw conf::ConfigError(
            reader_.file(), line,
            fmt::format("the config reloaded here moves {} (region {}) to another target, port, protocol or "
                        "health path: a region stays one backend for the whole run",
                        ref.key(), region.name));
      }
  }

  void check_probes_stay_local(const model::Config& config, const YAML::Node& node) const {
    check_probes_stay_local(config, conf::YamlReader::line_of(node));
  }

  // `node` is a path to a config file or the config itself, inline; fills `source` and returns
  // the config loaded. The config's own mistakes come through as the loader reports them.
  std::shared_ptr<const model::Config> read_config(const YAML::Node& node, ConfigSource& source) {
    source.line = conf::YamlReader::line_of(node);
    if (node.IsScalar()) {
      source.path = fs::absolute(reader_.path(node, "config path")).lexically_normal().string();
      std::shared_ptr<const model::Config> config;
      try {
        config = conf::load(source.path);
      } catch (const conf::ConfigError& error) {
        // A file that cannot be read or is empty has no line of its own: blame the line naming it.
        if (error.line() == 0 && error.file() == source.path)
          reader_.fail(node, fmt::format("config {}: {}", source.path, error.reason()));
        throw;
      }
      try {
        source.standalone = standalone_yaml(YAML::LoadFile(source.path), fs::path(source.path).parent_path());
      } catch (const YAML::Exception& error) {  // the loader just parsed it: only a file changed under us
        reader_.fail(node, fmt::format("config {}: {}", source.path, error.what()));
      }
      return config;
    }
    if (!node.IsMap()) reader_.fail(node, "config must be a path or a mapping (the config, inline)");
    if (node.Style() == YAML::EmitterStyle::Flow)
      reader_.fail(node, "write an inline config as a block mapping, one key a line, not {...}");
    source.path = reader_.file();
    source.text = inline_text(node);
    auto config = conf::load_from_string(source.text, source.path);
    source.standalone = standalone_yaml(YAML::Clone(node), fs::absolute(reader_.file()).parent_path());
    return config;
  }

  // The block mapping's own lines, de-indented, after blank lines standing in for the lines above
  // it: the config loader then reports the scenario file's line numbers.
  std::string inline_text(const YAML::Node& node) const {
    const auto first = static_cast<size_t>(node.Mark().line);
    const auto indent = static_cast<size_t>(node.Mark().column);
    auto leading_spaces = [](std::string_view line) {
      const auto at = line.find_first_not_of(' ');
      return at == std::string_view::npos ? line.size() : at;
    };
    if (first >= lines_.size() || leading_spaces(lines_[first]) != indent)
      reader_.fail(node, "write an inline config as a block mapping starting on the line below its key");
    std::string text(first, '\n');
    for (size_t at = first; at < lines_.size(); ++at) {
      const auto line = lines_[at];
      const auto spaces = leading_spaces(line);
      const bool blank_or_comment = spaces == line.size() || line[spaces] == '#' || line[spaces] == '\r';
      // The first line indented less than the mapping is the scenario's next key.
      if (at > first && !blank_or_comment && spaces < indent) break;
      text.append(line.substr(std::min(spaces, indent)));
      text.push_back('\n');
    }
    return text;
  }

  void read_regions(const YAML::Node& node) {
    reader_.require_sequence(node, "regions");
    if (node.size() == 0) reader_.fail(node, "regions is empty: list at least one");
    std::map<std::string, int> endpoints_taken;  // "profile/endpoint" -> line of its region
    std::map<std::pair<std::string, uint16_t>, std::string> sockets_taken;  // (address, port) -> region
    for (const auto& entry : node) {
      auto region = read_region(entry);
      if (region_index_.count(region.name))
        reader_.fail(entry, fmt::format("region name \"{}\" is used twice", region.name));
      for (const auto& ref : region.endpoints)
        if (auto [taken, fresh] = endpoints_taken.emplace(ref.key(), region.line); !fresh)
          reader_.fail(entry,
                       fmt::format("endpoint {} already has a region (line {}): one region per endpoint",
                                   ref.key(), taken->second));
      const auto address = region.address.to_string();
      if (auto [taken, fresh] = sockets_taken.emplace(std::pair(address, region.port), region.name); !fresh)
        reader_.fail(entry, fmt::format("region {} would listen on {} port {}, as region {} does: give the "
                                        "endpoints different targets or monitor ports",
                                        region.name, address, region.port, taken->second));
      region_index_.emplace(region.name, scenario_.regions.size());
      scenario_.regions.push_back(std::move(region));
    }
  }

  Region read_region(const YAML::Node& node) {
    const auto f = reader_.check_keys(node, {"name", "endpoint", "endpoints", "latency"}, "a region");
    Region region;
    region.line = conf::YamlReader::line_of(node);
    if (!f["name"]) reader_.fail(node, "a region needs a name");
    region.name = reader_.string(f["name"], "region name");
    if (region.name.empty()) reader_.fail(f["name"], "region name is empty");
    if (bool(f["endpoint"]) == bool(f["endpoints"]))
      reader_.fail(node,
                   "a region needs an endpoint (profile/endpoint of the config), or endpoints: a list "
                   "of those sharing its address and monitor");
    std::vector<YAML::Node> targets;
    if (f["endpoint"]) {
      targets.push_back(f["endpoint"]);
    } else {
      reader_.require_sequence(f["endpoints"], "region endpoints");
      if (f["endpoints"].size() == 0) reader_.fail(f["endpoints"], "region endpoints is empty");
      for (const auto& target : f["endpoints"]) targets.push_back(target);
    }
    const model::Endpoint* first = nullptr;
    for (const auto& target : targets) {
      EndpointRef ref;
      std::tie(ref.profile, ref.endpoint) = split_endpoint(target, "region endpoint");
      const auto* endpoint = checked_region_endpoint(target, ref);
      if (!first) {
        first = endpoint;
      } else if (endpoint->address != first->address || endpoint->monitor.port != first->monitor.port ||
                 endpoint->monitor.protocol != first->monitor.protocol ||
                 endpoint->monitor.path != first->monitor.path) {
        reader_.fail(
            target,
            fmt::format("endpoint {} is probed at another address, port, protocol or path than "
                        "{}/{}: one region is one backend",
                        ref.key(), region.endpoints.front().profile, region.endpoints.front().endpoint));
      }
      region.endpoints.push_back(std::move(ref));
    }
    region.protocol = first->monitor.protocol;
    region.address = first->address;
    region.port = first->monitor.port;
    region.path = first->monitor.path;
    if (const auto& n = f["latency"]) region.latency = reader_.duration(n, "region latency");
    return region;
  }

  const model::Endpoint* checked_region_endpoint(const YAML::Node& target, const EndpointRef& ref) const {
    const auto* endpoint = existing_endpoint(*scenario_.model, target, ref.profile, ref.endpoint);
    const auto named = ref.key();
    if (endpoint->kind == model::TargetKind::fqdn)
      reader_.fail(target, fmt::format("endpoint {} targets the name {}: a region needs an address endpoint",
                                       named, endpoint->fqdn));
    if (endpoint->kind == model::TargetKind::nested)
      reader_.fail(target,
                   fmt::format("endpoint {} is the nested profile {}: a region needs an address endpoint",
                               named, endpoint->child));
    if (!is_loopback(endpoint->address))
      reader_.fail(target,
                   fmt::format("endpoint {} targets {}: the simulator starts regions on loopback only "
                               "(127.0.0.0/8 or ::1)",
                               named, endpoint->address.to_string()));
    if (endpoint->always_serve)
      reader_.fail(target, fmt::format("endpoint {} is always_serve, so it is not probed: a region cannot "
                                       "change its answers",
                                       named));
    switch (endpoint->monitor.protocol) {
      case model::MonitorProtocol::http:
      case model::MonitorProtocol::tcp: break;
      case model::MonitorProtocol::https:
        reader_.fail(target, fmt::format("endpoint {} is monitored over https: https regions are not "
                                         "supported; use http",
                                         named));
      case model::MonitorProtocol::none:
        reader_.fail(target, fmt::format("endpoint {} has monitor protocol none, so it is not probed: a "
                                         "region cannot change its answers",
                                         named));
    }
    return endpoint;
  }

  // "profile/endpoint" -> its two names.
  std::pair<std::string, std::string> split_endpoint(const YAML::Node& node, std::string_view what) const {
    const auto text = reader_.string(node, what);
    const auto slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
      reader_.fail(node, fmt::format("{} \"{}\" must be written profile/endpoint", what, text));
    return {text.substr(0, slash), text.substr(slash + 1)};
  }

  const model::Endpoint* existing_endpoint(const model::Config& config, const YAML::Node& node,
                                           const std::string& profile, const std::string& endpoint,
                                           std::string_view which = "the config") const {
    if (const auto* found = find_endpoint(config, profile, endpoint)) return found;
    if (!has_profile(config, profile))
      reader_.fail(node, fmt::format("{} has no profile {}", which, profile));
    reader_.fail(node, fmt::format("profile {} of {} has no endpoint {}", profile, which, endpoint));
  }

  void read_clients(const YAML::Node& node) {
    reader_.require_sequence(node, "clients");
    if (node.size() == 0) reader_.fail(node, "clients is empty: list at least one");
    std::set<std::string> names;
    for (const auto& entry : node) {
      auto client = read_client(entry);
      if (!names.insert(client.name).second)
        reader_.fail(entry, fmt::format("client name \"{}\" is used twice", client.name));
      scenario_.clients.push_back(std::move(client));
    }
  }

  Client read_client(const YAML::Node& node) {
    const auto f =
        reader_.check_keys(node, {"name", "subnet", "country", "query", "type", "rate", "cache"}, "a client");
    Client client;
    client.line = conf::YamlReader::line_of(node);
    if (!f["name"]) reader_.fail(node, "a client needs a name");
    if (!f["query"]) reader_.fail(node, "a client needs a query (the name it asks for)");
    if (f["subnet"] && f["country"])
      reader_.fail(node, "a client has either a subnet or a country, not both");
    if (!f["subnet"] && !f["country"]) reader_.fail(node, "a client needs a subnet or a country");
    client.name = reader_.string(f["name"], "client name");
    if (client.name.empty()) reader_.fail(f["name"], "client name is empty");

    if (const auto& n = f["subnet"]) {
      const auto text = reader_.string(n, "client subnet");
      auto subnet = geo::Cidr::parse(text);
      if (!subnet)
        reader_.fail(n, fmt::format("subnet \"{}\" is not a CIDR prefix with no host bits set", text));
      client.subnet = *subnet;
    } else {
      const auto& country = f["country"];
      client.country = upper(reader_.string(country, "client country"));
      if (client.country.size() != 2 || !std::isalpha(static_cast<unsigned char>(client.country[0])) ||
          !std::isalpha(static_cast<unsigned char>(client.country[1])))
        reader_.fail(country,
                     fmt::format("country \"{}\" must be two letters (ISO 3166-1)", country.Scalar()));
      // IPv4, whatever the query type: the family of the ECS subnet is not the family asked for.
      auto network = geo_data(country).find_country(client.country, geo::Family::v4);
      if (!network)
        reader_.fail(country, fmt::format("no network of the GeoIP data is in country {}", client.country));
      client.subnet = *network;
    }

    const auto& query = f["query"];
    client.query = reader_.string(query, "client query");
    if (!client.query.empty() && client.query.back() == '.') client.query.pop_back();
    model::WireName wire;
    try {
      wire = conf::to_wire_name(client.query);
    } catch (const std::invalid_argument& error) {
      reader_.fail(query, error.what());
    }
    const auto& profiles = scenario_.model->profiles;
    if (std::none_of(profiles.begin(), profiles.end(),
                     [&](const model::Profile& profile) { return profile.fqdn_wire == wire; }))
      reader_.fail(query,
                   fmt::format("no profile of the config answers {}: query a profile's fqdn", client.query));

    if (const auto& n = f["type"]) {
      const auto type = upper(reader_.string(n, "query type"));
      if (type == "A")
        client.qtype = 1;
      else if (type == "AAAA")
        client.qtype = 28;
      else
        reader_.fail(n, "query type must be A or AAAA");
    }
    if (const auto& n = f["rate"]) {
      client.rate = reader_.real(n, "client rate");
      // At least one query an hour: slower rates say nothing in a rehearsal, and their period
      // would not fit the simulated clock.
      if (!(client.rate >= 1.0 / 3600) || client.rate > 1000)
        reader_.fail(n,
                     "rate must be at least 1/3600 (one query an hour) and at most 1000 queries per second");
    }
    if (const auto& n = f["cache"]) client.cache = reader_.boolean(n, "cache");
    return client;
  }

  // The config's GeoIP databases, opened once for all country clients.
  const geo::GeoDb& geo_data(const YAML::Node& country) {
    if (geo_) return *geo_;
    const auto& settings = scenario_.model->geo;
    if (settings.databases.empty())
      reader_.fail(country, "a client given by country needs GeoIP data: the config has no geo databases");
    try {
      geo_ = geo::GeoDb::open(settings.databases);
    } catch (const geo::GeoError& error) {
      // A database that does not open is the config's mistake: blame the line naming it.
      for (size_t i = 0; i < settings.databases.size(); ++i)
        if (settings.databases[i] == error.path())
          throw conf::ConfigError(scenario_.model->file, settings.database_lines[i], error.what());
      reader_.fail(country, error.what());
    }
    return *geo_;
  }

  void read_timeline(const YAML::Node& node) {
    reader_.require_sequence(node, "timeline");
    std::vector<PendingEvent> pending;
    for (const auto& entry : node) pending.push_back(read_event(entry));
    std::stable_sort(pending.begin(), pending.end(),
                     [](const PendingEvent& a, const PendingEvent& b) { return a.event.at < b.event.at; });
    // Drain and enable name an endpoint of the config serving at that moment: a reload before them
    // may have added or removed it.
    const model::Config* current = scenario_.model.get();
    int reloaded_at_line = 0;
    for (auto& [event, target] : pending) {
      if (event.kind == EventKind::reload) {
        current = event.model.get();
        reloaded_at_line = event.line;
      }
      if (event.kind == EventKind::drain || event.kind == EventKind::enable)
        existing_endpoint(*current, target, event.profile, event.endpoint,
                          reloaded_at_line ? fmt::format("the config reloaded at line {}", reloaded_at_line)
                                           : std::string("the config"));
      scenario_.timeline.push_back(std::move(event));
    }
  }

  PendingEvent read_event(const YAML::Node& node) {
    const auto f = reader_.check_keys(
        node, {"at", "fail", "hang", "degrade", "slow", "recover", "drain", "enable", "reload", "delay"},
        "an event");
    PendingEvent pending;
    auto& event = pending.event;
    event.line = conf::YamlReader::line_of(node);
    if (!f["at"]) reader_.fail(node, "an event needs \"at\" (its time from the start, such as 30s)");
    event.at = reader_.duration(f["at"], "event at");
    if (event.at >= scenario_.duration)
      reader_.fail(f["at"], fmt::format("event at {} is not before the scenario's end (duration {})",
                                        f["at"].Scalar(), duration_node_.Scalar()));

    std::string_view action;
    for (const auto& [key, kind] : actions) {
      if (!f[key]) continue;
      if (!action.empty())
        reader_.fail(node, fmt::format("an event does one thing; this one has both {} and {}", action, key));
      action = key;
      event.kind = kind;
    }
    if (action.empty())
      reader_.fail(node,
                   "an event needs one of fail, hang, degrade, slow, recover, drain, "
                   "enable, reload");
    const auto& target = f[action];
    pending.target = target;

    if (acts_on_region(event.kind)) {
      event.region = reader_.string(target, fmt::format("{} region", action));
      const auto found = region_index_.find(event.region);
      if (found == region_index_.end())
        reader_.fail(target, fmt::format("no region named \"{}\"", event.region));
      const auto& region = scenario_.regions[found->second];
      if (region.protocol == model::MonitorProtocol::tcp && event.kind != EventKind::fail &&
          event.kind != EventKind::recover)
        reader_.fail(target,
                     fmt::format("region {} is probed over TCP: a TCP region can only fail and recover "
                                 "(not {})",
                                 region.name, action));
    } else if (event.kind == EventKind::reload) {
      event.config = std::make_shared<ConfigSource>();
      event.model = read_config(target, *event.config);
    } else {
      std::tie(event.profile, event.endpoint) = split_endpoint(target, fmt::format("{} endpoint", action));
    }

    if (const auto& n = f["delay"]) {
      if (event.kind != EventKind::slow) reader_.fail(n, "delay applies to slow only");
      event.delay = reader_.duration(n, "delay");
      if (event.delay.count() <= 0) reader_.fail(n, "delay must be above zero");
    } else if (event.kind == EventKind::slow) {
      reader_.fail(node, "slow needs a delay: how long each probe's answer takes");
    }
    return pending;
  }

  conf::YamlReader reader_;
  std::string text_;
  std::vector<std::string_view> lines_;  // of text_
  Scenario scenario_;
  YAML::Node duration_node_;
  std::map<std::string, size_t> region_index_;  // region name -> index in scenario_.regions
  std::unique_ptr<geo::GeoDb> geo_;
};

}  // namespace

Scenario load_scenario(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw conf::ConfigError(path, 0, "cannot read the scenario file");
  std::stringstream text;
  text << file.rdbuf();
  try {
    ScenarioLoader loader(path, text.str());
    return loader.load(YAML::Load(text.str()));
  } catch (const YAML::Exception& error) {  // malformed YAML, or a key that is not a scalar
    throw conf::ConfigError(path, error.mark.line + 1, error.msg);
  }
}

}  // namespace meridian::sim
