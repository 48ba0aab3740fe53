// `meridian simulate`: load the scenario, run it in the mode asked for, report.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <fstream>

#include "conf/config.h"
#include "sim/outages.h"
#include "sim/real_run.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "sim/virtual_run.h"

namespace meridian::sim {

namespace {

std::string own_binary() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return "meridian";
  return std::string(path, size_t(n));
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (out) return true;
  fmt::print(stderr, "cannot write {}\n", path);
  return false;
}

}  // namespace

int simulate(const SimulateOptions& options) {
  Scenario scenario;
  try {
    scenario = load_scenario(options.scenario);
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  }
  RunResult run;
  const auto began = std::chrono::steady_clock::now();
  try {
    run = options.virtual_time ? run_virtual(scenario)
                               : run_real(scenario, options.binary.empty() ? own_binary() : options.binary);
  } catch (const std::exception& error) {
    fmt::print(stderr, "simulate: {}\n", error.what());
    return 2;  // a runtime failure (a port taken, a server that would not start), as serve's
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  // A run cut short (Ctrl-C) reports until then: later faults and actions did not happen.
  const double duration = run.stopped_at.value_or(std::chrono::duration<double>(scenario.duration).count());
  auto outages = outages_of(scenario);
  std::erase_if(outages, [&](const Outage& outage) { return outage.from >= duration; });
  for (auto& outage : outages)
    if (outage.to && *outage.to >= duration) outage.to.reset();
  auto marks = marks_of(scenario);
  std::erase_if(marks, [&](const Mark& mark) { return mark.at >= duration; });
  const Report report = analyse(scenario.name, options.virtual_time ? "virtual time" : "real time", duration,
                                std::move(outages), std::move(marks), std::move(run.statuses), run.clients);
  fmt::print("{}", render_table(report));
  for (const auto& warning : run.warnings) fmt::print("warning: {}\n", warning);
  fmt::print("ran in {:.2f}s\n", took);
  bool written = true;
  if (!options.json_file.empty()) written &= write_file(options.json_file, render_json(report));
  if (!options.svg_file.empty()) written &= write_file(options.svg_file, render_svg(report));
  if (!written) return 1;
  return run.stopped_at ? 130 : 0;  // as a shell reports a command ended by Ctrl-C
}

}  // namespace meridian::sim
