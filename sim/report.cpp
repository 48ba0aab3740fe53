// The report's analysis: each client's observations turned into segments, failovers, failbacks
// and dead-answer counts, as the server gave them and as a caching resolver would have used them.
#include "sim/report.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

namespace meridian::sim {

namespace {

// One answer a client acted on at `at`: in the server view the observation itself, in the cached
// view whatever the cache held then. `dead` is judged at `at`, not when the answer was fetched:
// a cached answer goes stale when its endpoint dies, which is what the cache model is there to show.
struct UsedAnswer {
  Seconds at = 0;
  const Observation* answer = nullptr;
  bool dead = false;
};

bool active_at(const Outage& outage, Seconds at) {
  return outage.from <= at && at < outage.to.value_or(std::numeric_limits<Seconds>::infinity());
}

bool names(const Observation& observation, const std::string& endpoint) {
  return std::find(observation.endpoints.begin(), observation.endpoints.end(), endpoint) !=
         observation.endpoints.end();
}

bool down_at(const Observation& observation, Seconds at, const std::vector<Outage>& outages) {
  if (observation.outcome != "answer") return false;
  return std::any_of(outages.begin(), outages.end(), [&](const Outage& outage) {
    return active_at(outage, at) && names(observation, outage.endpoint);
  });
}

// What a resolver may keep: answers and negative answers. Timeouts and errors say nothing about
// the name, so a resolver asks again next time.
bool cacheable(const Observation& observation) {
  return observation.outcome == "answer" || observation.outcome == "NODATA" ||
         observation.outcome == "NXDOMAIN";
}

std::vector<UsedAnswer> as_served(const std::vector<Observation>& observations,
                                  const std::vector<Outage>& outages) {
  std::vector<UsedAnswer> used;
  used.reserve(observations.size());
  for (const auto& observation : observations)
    used.push_back({observation.at, &observation, down_at(observation, observation.at, outages)});
  return used;
}

std::vector<UsedAnswer> as_cached(const std::vector<Observation>& observations,
                                  const std::vector<Outage>& outages) {
  std::vector<UsedAnswer> used;
  used.reserve(observations.size());
  const Observation* cached = nullptr;
  Seconds fetched_at = 0;
  for (const auto& observation : observations) {
    const Seconds now = observation.at;
    // A TTL of 0 expires at once: the next use fetches again.
    if (cached == nullptr || now >= fetched_at + cached->ttl) {
      cached = cacheable(observation) ? &observation : nullptr;
      fetched_at = now;
    }
    const Observation& in_use = cached ? *cached : observation;
    used.push_back({now, &in_use, down_at(in_use, now, outages)});
  }
  return used;
}

std::vector<Segment> segments_of(const std::vector<UsedAnswer>& used, Seconds duration) {
  std::vector<Segment> segments;
  for (const auto& use : used) {
    if (!segments.empty()) {
      Segment& last = segments.back();
      if (last.endpoints == use.answer->endpoints && last.outcome == use.answer->outcome &&
          last.dead == use.dead)
        continue;
      last.to = use.at;
    }
    segments.push_back({use.at, duration, use.answer->endpoints, use.answer->outcome, use.dead});
  }
  return segments;
}

// The answer the client was acting on at `at`: the last one used at or before it, or, when the
// client had not asked yet, the first one after.
const UsedAnswer* in_effect_at(const std::vector<UsedAnswer>& used, Seconds at) {
  auto after = std::upper_bound(used.begin(), used.end(), at,
                                [](Seconds time, const UsedAnswer& use) { return time < use.at; });
  if (after != used.begin()) return &*std::prev(after);
  if (after != used.end()) return &*after;
  return nullptr;
}

View view_of(const std::vector<UsedAnswer>& used, const std::vector<Outage>& outages, Seconds duration,
             bool cached) {
  View view;
  view.segments = segments_of(used, duration);
  view.answers = used.size();
  view.dead_answers =
      uint64_t(std::count_if(used.begin(), used.end(), [](const UsedAnswer& use) { return use.dead; }));
  // In the cached view the worst case grows by the TTL of what the client held when the change
  // came: it may keep using that answer for so long before it asks the server again.
  auto worst = [&](Seconds settings, const UsedAnswer& held) {
    return settings + (cached ? held.answer->ttl : 0);
  };
  for (const auto& outage : outages) {
    const UsedAnswer* at_fault = in_effect_at(used, outage.from);
    if (at_fault == nullptr || !names(*at_fault->answer, outage.endpoint)) continue;

    Recovery failover{outage.region, outage.from, std::nullopt, worst(outage.worst_failover, *at_fault),
                      outage.to};
    // The first answer to a healthy endpoint while the outage lasts: once it is over, the
    // endpoint's own answers are healthy again, and a client that never moved did not fail over.
    auto healthy = std::find_if(used.begin(), used.end(), [&](const UsedAnswer& use) {
      return use.at > outage.from && (!outage.to || use.at < *outage.to) && use.answer->outcome == "answer" &&
             !use.answer->endpoints.empty() && !use.dead;
    });
    if (healthy != used.end()) failover.took = healthy->at - outage.from;
    const bool moved = failover.took.has_value();
    view.failovers.push_back(std::move(failover));

    // A failback only for a client that left, up to the region's next outage.
    if (!outage.to || !moved) continue;
    const Seconds recovered_at = *outage.to;
    std::optional<Seconds> next_outage;
    for (const auto& later : outages)
      if (later.region == outage.region && later.from >= recovered_at &&
          (!next_outage || later.from < *next_outage))
        next_outage = later.from;
    Recovery failback{outage.region, recovered_at, std::nullopt,
                      worst(outage.worst_failback, *in_effect_at(used, recovered_at)), next_outage};
    auto back = std::find_if(used.begin(), used.end(), [&](const UsedAnswer& use) {
      return use.at >= recovered_at && (!next_outage || use.at < *next_outage) &&
             names(*use.answer, outage.endpoint);
    });
    if (back != used.end()) failback.took = back->at - recovered_at;
    view.failbacks.push_back(std::move(failback));
  }
  return view;
}

// Outage endpoints first, in outage order, so the faulted ones get the first colours; then the rest
// sorted, so the order does not depend on which client happened to see an endpoint first.
std::vector<std::string> endpoints_named(const std::vector<Outage>& outages,
                                         const std::vector<ClientObservations>& clients) {
  std::vector<std::string> endpoints;
  std::set<std::string> seen;
  for (const auto& outage : outages)
    if (seen.insert(outage.endpoint).second) endpoints.push_back(outage.endpoint);
  std::set<std::string> rest;
  for (const auto& client : clients)
    for (const auto& observation : client.observations)
      for (const auto& endpoint : observation.endpoints)
        if (!seen.count(endpoint)) rest.insert(endpoint);
  endpoints.insert(endpoints.end(), rest.begin(), rest.end());
  return endpoints;
}

}  // namespace

Report analyse(std::string scenario, std::string mode, Seconds duration, std::vector<Outage> outages,
               std::vector<Mark> marks, std::vector<StatusChange> statuses,
               const std::vector<ClientObservations>& clients) {
  Report report;
  report.scenario = std::move(scenario);
  report.mode = std::move(mode);
  report.duration = duration;
  report.endpoints = endpoints_named(outages, clients);
  for (const auto& client : clients) {
    ClientReport entry;
    entry.name = client.name;
    entry.where = client.where;
    entry.query = client.query;
    entry.server = view_of(as_served(client.observations, outages), outages, duration, false);
    if (client.cache)
      entry.cached = view_of(as_cached(client.observations, outages), outages, duration, true);
    report.clients.push_back(std::move(entry));
  }
  report.outages = std::move(outages);
  report.marks = std::move(marks);
  report.statuses = std::move(statuses);
  return report;
}

}  // namespace meridian::sim
