// What a simulation observed, and the report made of it: per client, which endpoint it was sent
// to from when to when, how long each fault took to route around, and the worst case the
// monitor settings allow. Both modes (real time, virtual time) produce the same Observations;
// everything from there on is shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace meridian::sim {

// Times are seconds from the scenario's start.
using Seconds = double;

// One answer a client got. `endpoints` name where it sends the client: the region serving the
// leaf that answered, else the leaf's "profile/endpoint"; sorted; empty for NODATA, a timeout or an error,
// which `outcome` tells apart.
struct Observation {
  Seconds at = 0;
  std::vector<std::string> endpoints;
  std::string outcome = "answer";  // "answer", "NODATA", "NXDOMAIN", "SERVFAIL", "REFUSED", "timeout", ...
  unsigned ttl = 0;                // the answer's TTL (for the cache model)
};

// When a region was down (from its fault to its recovery, or to the end) and why. "Down" is what
// the monitor would see: fail, hang, degrade, or slow beyond the monitor's timeout.
struct Outage {
  std::string region;
  std::string endpoint;  // what answers to the region are called: the region's name
  std::string kind;      // "fail", "hang", "degrade", "slow"
  Seconds from = 0;
  std::optional<Seconds> to;  // the recovery, if one came before the end
  // The worst case the settings imply, without client caches:
  //   failover: interval x (tolerated_failures + 1) + timeout
  //   failback: interval x healthy_threshold + timeout
  Seconds worst_failover = 0;
  Seconds worst_failback = 0;
  Seconds interval = 0;  // the probe interval (the longest of the region's endpoints')
};

// An endpoint's monitor status over time, from the probes (Online, Degraded, ...).
struct StatusChange {
  Seconds at = 0;
  std::string endpoint;  // "profile/endpoint"
  std::string from, to;
};

// A timeline event, for the report's marks: "fail westeurope", "drain app/westeurope".
struct Mark {
  Seconds at = 0;
  std::string kind;    // fail, hang, degrade, slow, recover, drain, enable, reload
  std::string target;  // region, profile/endpoint, or the config reloaded
};

// A stretch of time during which a client's answer stayed the same.
struct Segment {
  Seconds from = 0;
  Seconds to = 0;
  std::vector<std::string> endpoints;  // as Observation::endpoints
  std::string outcome = "answer";
  bool dead = false;  // some endpoint in it was down (an Outage covered it) for the whole stretch
};

// How long one outage took to stop (failover) or start again (failback) reaching one client.
struct Recovery {
  std::string region;
  Seconds fault_at = 0;         // the outage's start (failover) or end (failback)
  std::optional<Seconds> took;  // empty: it never happened before the end
  Seconds worst = 0;            // the settings' worst case (+ the TTL with the cache model)
  // A failover is owed only while the outage lasts: when it ended, if it did (a blip shorter
  // than the worst case may end before any client moves, and that is no fault).
  std::optional<Seconds> ended;
};

// One view of a client's answers: as the server gave them, or as a caching resolver would have
// handed them on (each kept for its TTL).
struct View {
  std::vector<Segment> segments;
  std::vector<Recovery>
      failovers;  // outages that reached this client: answers to the endpoint when it failed
  std::vector<Recovery> failbacks;  // of those, recoveries that brought the client back to it
  uint64_t answers = 0;             // answers in this view (the cached view counts each use)
  uint64_t dead_answers = 0;        // of those, answers that named a down endpoint
};

struct ClientReport {
  std::string name;
  std::string where;  // "81.2.69.0/24" or "GB (81.2.69.0/24)"
  std::string query;  // "www.example.com A"
  View server;
  std::optional<View> cached;  // with the cache model only
};

struct Report {
  std::string scenario;
  std::string mode;  // "real time" or "virtual time"
  Seconds duration = 0;
  std::vector<std::string> endpoints;  // every endpoint named anywhere, in a stable order (colours)
  std::vector<Outage> outages;
  std::vector<Mark> marks;
  std::vector<StatusChange> statuses;
  std::vector<ClientReport> clients;
};

// Per client: what it observed, and whether it keeps answers for their TTL.
struct ClientObservations {
  std::string name;
  std::string where;
  std::string query;
  bool cache = false;
  std::vector<Observation> observations;  // in time order
};

// Builds the report: segments, failovers, failbacks and dead-answer shares per client (see
// report.cpp for the exact rules).
Report analyse(std::string scenario, std::string mode, Seconds duration, std::vector<Outage> outages,
               std::vector<Mark> marks, std::vector<StatusChange> statuses,
               const std::vector<ClientObservations>& clients);

// The report as a table for a terminal, as JSON, and as a standalone SVG timeline.
std::string render_table(const Report& report);
std::string render_json(const Report& report);
std::string render_svg(const Report& report);

}  // namespace meridian::sim
