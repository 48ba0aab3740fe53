// A hand-built failover report for the renderers' tests: two clients (one with the cache model),
// an outage that recovers and one that lasts to the end, marks, and a failover that never came.
#pragma once

#include "sim/report.h"

namespace meridian::sim::test {

inline Segment segment(Seconds from, Seconds to, std::vector<std::string> endpoints, bool dead = false,
                       std::string outcome = "answer") {
  return {from, to, std::move(endpoints), std::move(outcome), dead};
}

// Endpoint colours by index: app/westeurope 0, app/eastus 1, app/northeurope 2.
inline Report two_region_outage() {
  Report report;
  report.scenario = "westeurope & eastus <outage>";
  report.mode = "virtual time";
  report.duration = 120;
  report.endpoints = {"app/westeurope", "app/eastus", "app/northeurope"};
  report.outages = {{"westeurope", "app/westeurope", "fail", 30, 90.0, 35, 25, 10},
                    {"eastus", "app/eastus", "hang", 60, std::nullopt, 35, 25, 10}};
  report.marks = {{30, "fail", "westeurope"}, {60, "hang", "eastus"}, {90, "recover", "westeurope"}};
  report.statuses = {{42.5, "app/westeurope", "Online", "Degraded"},
                     {92.25, "app/westeurope", "Degraded", "Online"}};

  ClientReport london{"london", "GB (81.2.69.0/24)", "www.example.com A", {}, std::nullopt};
  london.server.segments = {segment(0, 30, {"app/westeurope"}), segment(30, 45, {"app/westeurope"}, true),
                            segment(45, 95, {"app/northeurope"}), segment(95, 120, {"app/westeurope"})};
  london.server.failovers = {{"westeurope", 30, 15.0, 35, 90.0}};
  london.server.failbacks = {{"westeurope", 90, 5.0, 25, std::nullopt}};
  london.server.answers = 240;
  london.server.dead_answers = 30;
  View cached;
  cached.segments = {segment(0, 30, {"app/westeurope"}), segment(30, 75, {"app/westeurope"}, true),
                     segment(75, 100, {"app/northeurope"}), segment(100, 120, {"app/westeurope"})};
  cached.failovers = {{"westeurope", 30, 45.0, 40, 90.0}};  // slower than the settings allow
  cached.failbacks = {{"westeurope", 90, 10.0, 55, std::nullopt}};
  cached.answers = 240;
  cached.dead_answers = 90;
  london.cached = cached;

  ClientReport lab{"R&D <lab>", "10.0.0.0/8", "www.example.com AAAA", {}, std::nullopt};
  lab.server.segments = {segment(0, 20, {"app/eastus", "app/northeurope"}), segment(20, 60, {"app/eastus"}),
                         segment(60, 100, {"app/eastus"}, true), segment(100, 110, {}, false, "timeout"),
                         segment(110, 120, {}, false, "NODATA")};
  lab.server.failovers = {{"eastus", 60, std::nullopt, 35, std::nullopt}};  // never, and the run went on past 35 s
  lab.server.answers = 120;
  lab.server.dead_answers = 40;

  report.clients = {london, lab};
  return report;
}

}  // namespace meridian::sim::test
