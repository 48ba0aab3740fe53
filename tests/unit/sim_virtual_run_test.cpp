// Virtual time against the policy it claims to replay: verdicts on the monitor's phase, hangs and
// slow answers judged at the timeout, the control API's drain rule, and what a reload keeps.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "conf_test_support.h"
#include "probes/schedule.h"
#include "sim/scenario.h"
#include "sim/virtual_run.h"

using namespace meridian;
using namespace std::chrono_literals;

namespace {

// Two loopback clusters behind a priority profile, probed every second, two failures tolerated.
std::string config(const std::string& monitor_extra = "", unsigned ttl = 5) {
  return "zones:\n  - {origin: example.test, file: zone.test}\n"
         "profiles:\n"
         "  - name: app\n"
         "    fqdn: app.example.test\n"
         "    method: priority\n"
         "    ttl: " +
         std::to_string(ttl) +
         "\n"
         "    monitor: {protocol: http, port: 8080, path: /, interval: 1s, timeout: 500ms, "
         "tolerated_failures: 2" +
         monitor_extra +
         "}\n"
         "    endpoints:\n"
         "      - {name: primary, target: 127.0.0.61, priority: 1}\n"
         "      - {name: secondary, target: 127.0.0.62, priority: 2}\n";
}

struct Rehearsal {
  testing::TempDir dir;
  Rehearsal() {
    dir.write("zone.test", testing::minimal_zone);
    dir.write("meridian.yaml", config());
  }
  sim::RunResult run(const std::string& timeline, const std::string& duration = "40s") const {
    const auto path = dir.write("scenario.yaml", "duration: " + duration +
                                                     "\nconfig: meridian.yaml\n"
                                                     "regions:\n"
                                                     "  - {name: primary, endpoint: app/primary}\n"
                                                     "  - {name: secondary, endpoint: app/secondary}\n"
                                                     "clients:\n"
                                                     "  - {name: office, subnet: 198.51.100.0/24, "
                                                     "query: app.example.test, rate: 10}\n"
                                                     "timeline:\n" +
                                                     timeline);
    return sim::run_virtual(sim::load_scenario(path));
  }
};

// The first probe tick of app/primary at or after `at`, in seconds.
double tick_at_or_after(double at) {
  const double phase = std::chrono::duration<double>(probes::first_probe_delay("app/primary", 1s)).count();
  double tick = phase;
  while (tick < at - 1e-9) tick += 1;
  return tick;
}

// When app/primary turned `to`, the n-th time (0-based); -1 when it did not.
double turned(const sim::RunResult& result, const std::string& to, size_t nth = 0) {
  for (const auto& change : result.statuses)
    if (change.endpoint == "app/primary" && change.to == to && nth-- == 0) return change.at;
  return -1;
}

// The first query at or after `from` answered with `endpoint`; -1 when none was.
double first_answer(const sim::RunResult& result, const std::string& endpoint, double from = 0) {
  for (const auto& observation : result.clients.at(0).observations)
    if (observation.at >= from && observation.endpoints == std::vector<std::string>{endpoint})
      return observation.at;
  return -1;
}

}  // namespace

TEST_CASE("a failed region turns Degraded on its third failed probe, and clients move at once") {
  Rehearsal rehearsal;
  const auto result = rehearsal.run("  - {at: 10s, fail: primary}\n");
  // Refused connections fail at once: ticks at or after 10s, 11s and 12s.
  const double expected = tick_at_or_after(10) + 2;
  CHECK(turned(result, "Degraded") == doctest::Approx(expected));
  const double moved = first_answer(result, "secondary");
  CHECK(moved >= expected);
  CHECK(moved < expected + 0.1 + 1e-9);  // the next query, 10 a second
}

TEST_CASE("a hung region's probes fail at the timeout, not before") {
  Rehearsal rehearsal;
  const auto result = rehearsal.run("  - {at: 10s, hang: primary}\n");
  CHECK(turned(result, "Degraded") == doctest::Approx(tick_at_or_after(10) + 2 + 0.5));
}

TEST_CASE("a slow answer inside the timeout is healthy; one at the timeout or past it fails") {
  Rehearsal rehearsal;
  CHECK(turned(rehearsal.run("  - {at: 10s, slow: primary, delay: 499ms}\n"), "Degraded") == -1);
  CHECK(turned(rehearsal.run("  - {at: 10s, slow: primary, delay: 500ms}\n"), "Degraded") ==
        doctest::Approx(tick_at_or_after(10) + 2 + 0.5));
}

TEST_CASE("a degraded region comes back on its first good probe after recovering") {
  Rehearsal rehearsal;
  const auto result = rehearsal.run("  - {at: 5s, degrade: primary}\n  - {at: 20s, recover: primary}\n");
  CHECK(turned(result, "Degraded") == doctest::Approx(tick_at_or_after(5) + 2));
  CHECK(turned(result, "Online", 1) == doctest::Approx(tick_at_or_after(20)));
  CHECK(first_answer(result, "primary", 20) >= tick_at_or_after(20));
}

TEST_CASE("a drain that would leave the profile nothing is refused, as the control API refuses it") {
  Rehearsal rehearsal;
  const auto result =
      rehearsal.run("  - {at: 5s, drain: app/secondary}\n  - {at: 10s, drain: app/primary}\n");
  REQUIRE(result.warnings.size() == 1);
  CHECK(result.warnings[0].find("would leave profile app with no available endpoint") != std::string::npos);
  CHECK(first_answer(result, "secondary", 5) == -1);  // the first drain went through
  CHECK(first_answer(result, "primary", 10) == doctest::Approx(10));
}

TEST_CASE("a reload keeps verdicts whose target and monitor are unchanged, and overrides by name") {
  Rehearsal rehearsal;
  rehearsal.dir.write("same-monitor.yaml", config("", 30));
  const auto kept = rehearsal.run("  - {at: 5s, fail: primary}\n  - {at: 15s, reload: same-monitor.yaml}\n");
  CHECK(turned(kept, "Degraded") > 0);
  CHECK(turned(kept, "CheckingEndpoint") == -1);
  CHECK(first_answer(kept, "primary", 15) == -1);
  CHECK(kept.clients[0].observations.back().ttl == 30);  // the reloaded config answers

  const auto drained =
      rehearsal.run("  - {at: 5s, drain: app/primary}\n  - {at: 15s, reload: same-monitor.yaml}\n");
  CHECK(first_answer(drained, "primary", 5) == -1);
}

TEST_CASE("a reload that changes the monitor starts its probes afresh, on the new schedule") {
  Rehearsal rehearsal;
  rehearsal.dir.write("new-monitor.yaml", config(", healthy_threshold: 2"));
  const auto result = rehearsal.run("  - {at: 5s, fail: primary}\n  - {at: 15s, reload: new-monitor.yaml}\n");
  REQUIRE(turned(result, "Degraded") > 0);
  // A fresh verdict is CheckingEndpoint, which serves: the dead primary is answered again until
  // three probes of the new service have failed, counted from the reload.
  CHECK(first_answer(result, "primary", 15) == doctest::Approx(15));
  const double phase = std::chrono::duration<double>(probes::first_probe_delay("app/primary", 1s)).count();
  CHECK(turned(result, "Degraded", 1) == doctest::Approx(15 + phase + 2));
}

TEST_CASE("a probe held by a hang fails when the region recovers, as the closed connection does") {
  Rehearsal rehearsal;
  auto tolerant_once = config();
  tolerant_once.replace(tolerant_once.find("tolerated_failures: 2"), 21, "tolerated_failures: 1");
  rehearsal.dir.write("meridian.yaml", tolerant_once);
  // A hang holds each probe to its 500ms timeout; a recovery 200ms after a tick closes that
  // probe at once ("empty reply"): the second failure, and the verdict, come then.
  const double tick = tick_at_or_after(10);
  const auto recover_at = std::to_string(int(tick * 1000) + 200) + "ms";
  const auto result =
      rehearsal.run("  - {at: 9s, hang: primary}\n  - {at: " + recover_at + ", recover: primary}\n");
  CHECK(turned(result, "Degraded") == doctest::Approx(double(int(tick * 1000) + 200) / 1000));
}

TEST_CASE("a slow region's answers take the delay instead of its latency") {
  Rehearsal rehearsal;
  rehearsal.dir.write("meridian.yaml", config());
  const auto path =
      rehearsal.dir.write("latency.yaml",
                          "duration: 30s\nconfig: meridian.yaml\nregions:\n"
                          "  - {name: primary, endpoint: app/primary, latency: 400ms}\n"
                          "  - {name: secondary, endpoint: app/secondary}\n"
                          "clients:\n  - {name: office, subnet: 198.51.100.0/24, query: app.example.test}\n"
                          "timeline:\n  - {at: 10s, slow: primary, delay: 300ms}\n");
  const auto result = sim::run_virtual(sim::load_scenario(path));
  CHECK(turned(result, "Degraded") == -1);  // 300ms, not 400 + 300, inside the 500ms timeout
}
