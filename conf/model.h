// The validated, immutable configuration: server settings, zones and traffic profiles.
//
// Everything here is plain data produced by conf::load() and never changed afterwards; the
// server publishes one Config per generation and every thread reads it without locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "geo/cidr_table.h"
#include "geo/geo.h"
#include "geo/net.h"

namespace meridian::model {

using Duration = std::chrono::milliseconds;

// A domain name in uncompressed wire format, lower-cased: the key every lookup uses.
using WireName = std::string;

// Azure Traffic Manager's monitor statuses (DESIGN.md, "Routing semantics").
enum class Status : uint8_t {
  CheckingEndpoint,
  Online,
  Degraded,
  Disabled,
  Inactive,
  Stopped,
  NotMonitored,
};
const char* to_string(Status status);

enum class Method : uint8_t { priority, weighted, performance, geographic, multivalue, subnet };
const char* to_string(Method method);

enum class MonitorProtocol : uint8_t { http, https, tcp, none };
const char* to_string(MonitorProtocol protocol);

struct StatusRange {
  uint16_t low = 200;
  uint16_t high = 200;
  bool operator==(const StatusRange&) const = default;
};

// Health monitor settings; profile settings with per-endpoint overrides already merged in.
struct Monitor {
  MonitorProtocol protocol = MonitorProtocol::http;
  uint16_t port = 80;  // 443 when protocol is https and no port is given
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  Duration interval = std::chrono::seconds(30);
  Duration timeout = std::chrono::seconds(10);                             // always below interval
  unsigned tolerated_failures = 3;                                         // 0..9
  unsigned healthy_threshold = 1;                                          // successes needed to come back
  std::vector<StatusRange> expected_status = std::vector<StatusRange>(1);  // ["200"]
  bool tls_verify = false;
};

struct Location {
  std::optional<geo::Vector3>
      position;  // unit vector, worked out once at load; first: it is what queries read
  double lat = 0;
  double lon = 0;
  std::string name;  // "azure:eastus" when given as a region, empty for {lat, lon}
};

enum class TargetKind : uint8_t { address, fqdn, nested };

// Index of an endpoint's slot in the health table; unique across all profiles of a Config.
using EndpointId = uint32_t;

// Laid out for the query path: an endpoint starts a cache line, and the first line holds all that
// priority, weighted, geographic and multivalue routing read (status inputs, priority, weight,
// address, the monitor's protocol); performance adds the location's position in the next line.
// Names, geo codes and the rest of the monitor follow. With 10,000 profiles, cache misses over
// endpoints were most of a query's cost (bench/scale.sh).
struct alignas(64) Endpoint {
  EndpointId id = 0;
  TargetKind kind = TargetKind::address;
  bool enabled = true;
  bool always_serve = false;
  bool flatten = false;   // fqdn: answer with resolved addresses instead of a CNAME
  unsigned priority = 0;  // 1..1000; 0 means "not set" until validation assigns order
  unsigned weight = 1;    // 1..1000
  geo::Address address;   // kind == address
  Monitor monitor;        // its protocol, read on every query, is its first field
  std::optional<Location> location;
  size_t child_index = 0;  // kind == nested: index into Config::profiles
  unsigned min_child_endpoints = 1;
  std::optional<unsigned> min_child_endpoints_ipv4;
  std::optional<unsigned> min_child_endpoints_ipv6;
  WireName fqdn_wire;  // kind == fqdn
  std::string name;
  std::string fqdn;   // kind == fqdn, presentation form without the final dot
  std::string child;  // kind == nested: the child profile's name
  std::vector<std::string> geo_codes;
  std::vector<geo::Cidr> subnets;
  int line = 0;  // where it was defined in the config file, for messages
};

// What routing and the answer read of every endpoint on each query, in 32 bytes. An Endpoint
// spans eight cache lines and routing read one of them per endpoint, so a query over ten
// endpoints touched ten lines (twenty for performance), and its answer one more; over a
// profile's digests it touches five. With 10,000 profiles those misses were most of a query's
// cost (bench/scale.sh).
struct EndpointDigest {
  EndpointId id = 0;
  uint16_t priority = 0;  // Endpoint::priority (0: not set)
  uint16_t weight = 0;    // Endpoint::weight, capped at 65535 (conf/ allows 1..1000)
  TargetKind kind = TargetKind::address;
  bool enabled = true;
  bool unmonitored = false;   // always_serve or monitor protocol none: NotMonitored while enabled
  bool has_location = false;  // Profile::positions holds its position
  geo::Address address;       // kind == address
};

enum class GeoFallback : uint8_t { none, hierarchy };
enum class Affinity : uint8_t { none, client_subnet };

// What a query reads comes first, in one cache line; names and monitor settings follow.
struct Profile {
  Method method = Method::priority;
  uint32_t ttl = 60;
  unsigned max_return = 2;  // multivalue only
  bool enabled = true;
  GeoFallback geo_fallback = GeoFallback::none;
  Affinity affinity = Affinity::none;
  std::vector<Endpoint> endpoints;
  // Derived by validation: every geo code of the endpoints with its owner's index, sorted by
  // code, so geographic routing finds an owner by binary search.
  std::vector<std::pair<uint64_t, size_t>> geo_owners;  // (geo::geo_code_key, index)
  // Derived by index_endpoints(), one per endpoint in the same order: what routing reads on
  // every query, packed (EndpointDigest), and each located endpoint's position (performance).
  // Routing answers a profile without them NODATA (routing/availability.h).
  std::vector<EndpointDigest> digests;
  std::vector<geo::Vector3> positions;
  std::string name;
  std::string fqdn;  // presentation form without the final dot
  WireName fqdn_wire;
  Monitor monitor;
  int line = 0;
};

// Fills `digests` and `positions` from `endpoints`; conf/ calls it after validation, and again
// whoever changes a profile's endpoints afterwards must.
void index_endpoints(Profile& profile);

// One resource record as read from a zone file. rdata is in uncompressed wire form; names
// inside it (NS, CNAME, MX, SRV, ...) keep their case as written.
struct Record {
  WireName owner;  // lower-cased
  uint16_t type = 0;
  uint16_t rrclass = 1;
  uint32_t ttl = 0;
  std::string rdata;
};

struct Zone {
  std::string origin;  // presentation form without the final dot ("" for the root)
  WireName origin_wire;
  std::string file;  // as resolved against the config file's folder
  std::vector<Record> records;
  int line = 0;
};

struct ServerSettings {
  std::vector<geo::SocketAddress> listen;
  unsigned workers = 0;  // 0: one per core
  // The control API and /metrics (server/control_server.h): 127.0.0.1:8053 unless set.
  std::optional<geo::SocketAddress> control;
  std::string control_token_file;  // resolved path, empty when none
  std::string control_token;       // its content, surrounding whitespace trimmed
  int control_line = 0;            // where `control` is set, for messages
  std::string state_file;          // admin overrides persist here; empty: kept in memory only
  std::string nsid;                // empty: NSID not answered; also CH TXT id.server
  // CH TXT version.bind and version.server answer this; empty: they are REFUSED (as NSD's
  // hide-version), since a version string mostly helps whoever scans for old servers.
  std::string version;
  uint16_t udp_payload = 1232;
  // Where health probes are sent from, at most one address per family: replicas sharing a host
  // (each on its own loopback address) or a multi-homed host then probe from a known source.
  // A target of a family without one is probed from the kernel's choice.
  std::vector<geo::Address> probe_source;
  Duration tcp_idle_timeout = std::chrono::seconds(10);
  // Open TCP connections, over all workers (each worker takes its share): at the limit, a new
  // connection closes the one that has been quiet longest (RFC 7766 10).
  unsigned tcp_max_connections = 1000;
  // TCP limits per client and per connection (RFC 7766 6.2.2, 6.2.3, 10; server/worker.cpp).
  // Open connections from one client address, over all workers: one more is closed at once.
  unsigned tcp_max_connections_per_client = 100;
  // Queries one connection may send; after the last, its answers go out and the server closes
  // it. 0: no limit (as NSD's tcp-query-count).
  unsigned tcp_max_queries_per_connection = 0;
  // How long one connection may stay open, however busy; then it is closed as above. 0: no limit.
  Duration tcp_max_connection_time{0};
  // How long one message may take to arrive once its first byte has: more bytes do not extend
  // it, so a client trickling a byte at a time (slow loris) is closed.
  Duration tcp_message_timeout = std::chrono::seconds(2);
  // Privileges (server/privileges.h). Started as root, the server binds its sockets and then
  // becomes `user` and `group` before it reads a query; without a user it refuses to stay root
  // unless `allow_root`. Names (or numeric IDs) as written; the IDs resolved when loaded.
  std::string user, group;
  std::optional<uint32_t> uid, gid;  // set with `user`; gid: `group`'s, else the user's own
  int user_line = 0;
  bool allow_root = false;
};

// Response rate limiting on UDP (server/rate_limiter.h), as Knot, NSD and BIND do it: each
// client prefix gets `responses_per_second` answers of one kind about one name (a token bucket
// holding one second's worth); beyond that answers are dropped, except every `slip`th, which
// goes out truncated so a real client behind a forged flood retries over TCP.
struct RateLimitSettings {
  bool enabled = true;
  unsigned responses_per_second = 200;
  unsigned slip = 2;  // 0: drop every limited answer; 1: truncate every one
  unsigned ipv4_prefix = 24;
  unsigned ipv6_prefix = 56;
  std::vector<geo::Cidr> whitelist;  // never limited
  std::shared_ptr<const geo::CidrTable<uint8_t>> whitelist_table;  // the same, for lookups (not bool: vector<bool>)
  int line = 0;                                                 // of the `rrl:` section
};

// Measured round-trip times from one client network: (location, rtt in ms) pairs. A location
// is an endpoint's region name ("azure:eastus") or, for {lat, lon} locations, its own name.
using LatencyRow = std::vector<std::pair<std::string, double>>;
using LatencyTable = geo::CidrTable<LatencyRow>;

struct GeoSettings {
  std::vector<std::string> databases;           // resolved paths
  std::vector<int> database_lines;              // where each is named in the config file
  std::string latency_table;                    // resolved path, empty when none
  std::shared_ptr<const LatencyTable> latency;  // read from latency_table
};

struct ResolverSettings {
  std::vector<geo::SocketAddress> servers;  // empty: /etc/resolv.conf
};

// The `replication:` section (replication/replica.h): replicas that share their probe verdicts
// and admin overrides through etcd (v3 API, its JSON gateway). Absent: the replica decides alone.
struct ReplicationSettings {
  bool enabled = false;
  std::string site;                // this replica's probe site; unique among the replicas
  std::vector<std::string> etcd;   // client URLs of the etcd members, tried in turn
  std::string prefix = "/meridian/";  // every key lives under it; ends with "/"
  // healthy_when: empty is `majority` (Online unless more than half of the live sites say
  // Degraded); a fraction is Route 53's rule (Online when more than that share say Online).
  std::optional<double> healthy_fraction;
  Duration lease_ttl = std::chrono::seconds(10);  // a silent site stops counting after it
  Duration timeout = std::chrono::seconds(2);     // one etcd request, connect included
  std::string ca_file, cert_file, key_file;       // TLS to etcd (https:// URLs); resolved paths
  std::string username;                           // etcd authentication, with password_file
  std::string password;                           // read from password_file at load
  int line = 0;                                   // of the `replication:` section
};

struct Config {
  std::string file;  // the config file it was read from
  ServerSettings server;
  GeoSettings geo;
  ResolverSettings resolver;
  RateLimitSettings rrl;
  ReplicationSettings replication;
  std::vector<Zone> zones;
  std::vector<Profile> profiles;
  size_t endpoint_count = 0;  // EndpointIds are 0..endpoint_count-1
};

}  // namespace meridian::model
