// A failover scenario: the config under test, the fake regions that serve its endpoints, the
// clients that query it, and the timeline of faults and operator actions.
//
// Read from YAML and validated like the config: every mistake is a conf::ConfigError with the
// scenario's FILE:LINE and a reason (an inline config's mistakes carry the scenario's lines).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"

namespace meridian::sim {

// A config as the scenario gives it: a path, or a mapping written inline.
struct ConfigSource {
  std::string path;  // the file conf::load reads (absolute); for inline configs the scenario file
  std::string text;  // inline: YAML text whose line numbers are the scenario file's; empty for a path
  // The YAML a child `meridian serve` can read from any folder: the config's text with every
  // relative path (zones[].file, geo.databases[], geo.latency_table, server.control_token_file,
  // server.state_file) made absolute against the folder it is relative to.
  std::string standalone;
  int line = 0;  // where the scenario names or holds it
};

// An endpoint of the config, by name.
struct EndpointRef {
  std::string profile;
  std::string endpoint;
  std::string key() const { return profile + "/" + endpoint; }
  bool operator==(const EndpointRef&) const = default;
};

// A fake backend the simulator starts on loopback: one cluster, serving one endpoint, or several
// that share its address and monitor (a cluster that is the local endpoint of one regional
// profile and the paired region's fallback in another). Answers that send a client to it are
// named by the region, so both profiles' endpoints read as the one cluster they are.
struct Region {
  std::string name;                    // unique among regions
  std::vector<EndpointRef> endpoints;  // `endpoint:` or `endpoints:`, at least one
  model::MonitorProtocol protocol = model::MonitorProtocol::http;  // the endpoints' monitor's (http or tcp)
  geo::Address address;                                            // the endpoints' target (loopback only)
  uint16_t port = 0;                                               // the endpoints' monitor port
  std::string path;            // the monitor's path: the one an HTTP region answers 200 on
  model::Duration latency{0};  // how long a healthy region takes to answer a probe
  int line = 0;

  bool serves(const std::string& profile, const std::string& endpoint) const {
    for (const auto& ref : endpoints)
      if (ref.profile == profile && ref.endpoint == endpoint) return true;
    return false;
  }
};

// A vantage point: where its queries claim to come from, what it asks, how often.
struct Client {
  std::string name;  // unique among clients
  // The ECS source subnet its queries carry: given as `subnet:`, or for `country:` the first
  // network the config's GeoIP data places in that country.
  geo::Cidr subnet;
  std::string country;  // the `country:` given (upper case), empty for `subnet:`
  std::string query;    // the name asked for (presentation form, no trailing dot)
  uint16_t qtype = 1;   // A (1) or AAAA (28)
  double rate = 1;      // queries per second, > 0
  bool cache =
      false;  // the resolver cache model: also report the answers as a cache keeping each for its TTL
  int line = 0;
};

enum class EventKind { fail, hang, degrade, slow, recover, drain, enable, reload };
const char* to_string(EventKind kind);

struct Event {
  model::Duration at{0};  // offset from the scenario's start
  EventKind kind = EventKind::fail;
  std::string region;                    // fail, hang, degrade, slow, recover
  model::Duration delay{0};              // slow: how long each probe's answer takes (instead of the latency)
  std::string profile, endpoint;         // drain, enable
  std::shared_ptr<ConfigSource> config;  // reload: the new config
  std::shared_ptr<const model::Config> model;  // reload: `config` loaded and validated
  int line = 0;
};

struct Scenario {
  std::string file;  // the scenario file, as given
  std::string name;  // `name:`, else the file's stem
  model::Duration duration{0};
  ConfigSource config;
  std::shared_ptr<const model::Config> model;  // `config` loaded and validated
  std::vector<Region> regions;
  std::vector<Client> clients;
  std::vector<Event> timeline;  // in time order (stable for equal offsets)
};

// Reads and validates a scenario file. Throws conf::ConfigError ("FILE:LINE: reason").
Scenario load_scenario(const std::string& path);

}  // namespace meridian::sim
