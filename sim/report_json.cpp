// The report as JSON: every field of Report under its own snake_case name, times in seconds,
// `null` for what never happened, so a script can read it back without guessing.
#include <nlohmann/json.hpp>
#include <string>

#include "sim/report.h"

namespace meridian::sim {
namespace {

// Keys in the order a reader expects (scenario first, clients last), not sorted.
using json = nlohmann::ordered_json;

// Declared ahead so array_of finds every one: its items' namespace is not this unnamed one.
json to_json(const Segment& segment);
json to_json(const Recovery& recovery);
json to_json(const Outage& outage);
json to_json(const Mark& mark);
json to_json(const StatusChange& change);
json to_json(const ClientReport& client);

template <typename Item>
json array_of(const std::vector<Item>& items) {
  json array = json::array();
  for (const auto& item : items) array.push_back(to_json(item));
  return array;
}

json optional_seconds(const std::optional<Seconds>& seconds) {
  return seconds ? json(*seconds) : json(nullptr);
}

json to_json(const Segment& segment) {
  return {{"from", segment.from},
          {"to", segment.to},
          {"endpoints", segment.endpoints},
          {"outcome", segment.outcome},
          {"dead", segment.dead}};
}

json to_json(const Recovery& recovery) {
  return {{"region", recovery.region},
          {"fault_at", recovery.fault_at},
          {"took", optional_seconds(recovery.took)},
          {"worst", recovery.worst},
          {"ended", optional_seconds(recovery.ended)}};
}

json to_json(const View& view) {
  return {{"segments", array_of(view.segments)},
          {"failovers", array_of(view.failovers)},
          {"failbacks", array_of(view.failbacks)},
          {"answers", view.answers},
          {"dead_answers", view.dead_answers}};
}

json to_json(const Outage& outage) {
  return {{"region", outage.region},
          {"endpoint", outage.endpoint},
          {"kind", outage.kind},
          {"from", outage.from},
          {"to", optional_seconds(outage.to)},
          {"worst_failover", outage.worst_failover},
          {"worst_failback", outage.worst_failback},
          {"interval", outage.interval}};
}

json to_json(const Mark& mark) {
  return {{"at", mark.at}, {"kind", mark.kind}, {"target", mark.target}};
}

json to_json(const StatusChange& change) {
  return {{"at", change.at}, {"endpoint", change.endpoint}, {"from", change.from}, {"to", change.to}};
}

json to_json(const ClientReport& client) {
  return {{"name", client.name},
          {"where", client.where},
          {"query", client.query},
          {"server", to_json(client.server)},
          {"cached", client.cached ? to_json(*client.cached) : json(nullptr)}};
}

}  // namespace

std::string render_json(const Report& report) {
  const json document = {{"scenario", report.scenario},           {"mode", report.mode},
                         {"duration", report.duration},           {"endpoints", report.endpoints},
                         {"outages", array_of(report.outages)},   {"marks", array_of(report.marks)},
                         {"statuses", array_of(report.statuses)}, {"clients", array_of(report.clients)}};
  // Names come from the scenario file: a stray byte that is not UTF-8 must not lose the report.
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace meridian::sim
