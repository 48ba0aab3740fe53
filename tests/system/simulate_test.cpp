// `meridian simulate` end to end: the README's commands run as written, every bundled scenario
// (and the test's own, in tests/fixtures/scenarios) runs in real time (the real server, real
// regions, real probes) and in virtual time, and the two modes agree on every failover and
// failback to within one probe interval.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace meridian::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
  double seconds = 0;
};

// Runs a shell command in the source folder; no doctest assertions, so it may run on any thread.
Outcome run_command(const std::string& command) {
  Outcome outcome;
  const auto began = Clock::now();
  FILE* pipe = popen(("cd " MERIDIAN_SOURCE_DIR " && " + command + " 2>&1").c_str(), "r");
  if (!pipe) return outcome;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) outcome.output.append(buffer, n);
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.seconds = std::chrono::duration<double>(Clock::now() - began).count();
  return outcome;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path);
  return nlohmann::json::parse(in);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A simulate command of the README: the scenario, whether virtual, and the line it is on.
struct Documented {
  std::string scenario;
  bool virtual_time = false;
  std::string command;
};

std::vector<Documented> readme_simulations() {
  std::ifstream readme(MERIDIAN_SOURCE_DIR "/README.md");
  REQUIRE(readme.good());
  static const std::regex line_pattern(R"(^build/meridian simulate (\S+)([^#]*?)\s*(#.*)?$)");
  std::vector<Documented> found;
  for (std::string line; std::getline(readme, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, line_pattern)) continue;
    found.push_back(
        {match[1], match[2].str().find("--virtual") != std::string::npos, match[1].str() + match[2].str()});
  }
  return found;
}

// Every failover and failback the two runs measured, keyed by client, view, kind and outage.
std::map<std::string, std::optional<double>> recoveries(const nlohmann::json& report) {
  std::map<std::string, std::optional<double>> found;
  for (const auto& client : report.at("clients")) {
    for (const char* view : {"server", "cached"}) {
      if (client.at(view).is_null()) continue;
      for (const char* kind : {"failovers", "failbacks"})
        for (const auto& recovery : client.at(view).at(kind)) {
          const std::string key = client.at("name").get<std::string>() + " " + view + " " + kind + " " +
                                  recovery.at("region").get<std::string>() + " at " +
                                  std::to_string(recovery.at("fault_at").get<double>());
          found[key] = recovery.at("took").is_null()
                           ? std::nullopt
                           : std::optional<double>(recovery.at("took").get<double>());
        }
    }
  }
  return found;
}

}  // namespace

TEST_CASE("the README's simulations and every bundled scenario run, and real and virtual time agree") {
  namespace fs = std::filesystem;
  TempDir dir;
  const std::string binary = MERIDIAN_BINARY;

  // The README's commands first: the paired-region failure, once in each mode.
  const auto documented = readme_simulations();
  REQUIRE(documented.size() >= 2);
  std::map<std::string, std::map<bool, std::string>> json_of;  // scenario -> virtual? -> report
  std::vector<std::pair<std::string, std::future<Outcome>>> running;
  std::vector<std::tuple<std::string, bool, std::string>> svg_of;
  auto start = [&](const std::string& scenario, bool virtual_time, std::string arguments) {
    const std::string stem = fs::path(scenario).stem().string() + (virtual_time ? ".virtual" : ".real");
    const std::string json = dir.path() + "/" + stem + ".json", svg = dir.path() + "/" + stem + ".svg";
    // Output files go to the test's folder, not the checkout.
    arguments = std::regex_replace(arguments, std::regex(R"(--(svg|json) \S+)"), "");
    const std::string command =
        binary + " simulate " + scenario + arguments + " --json " + json + " --svg " + svg;
    json_of[scenario][virtual_time] = json;
    svg_of.emplace_back(scenario, virtual_time, svg);
    running.emplace_back(command, std::async(std::launch::async, run_command, command));
  };
  bool paired_real = false, paired_virtual = false;
  for (const auto& entry : documented) {
    CHECK_MESSAGE(entry.scenario.find("paired") != std::string::npos, entry.command);
    (entry.virtual_time ? paired_virtual : paired_real) = true;
    start(entry.scenario, entry.virtual_time, entry.command.substr(entry.scenario.size()));
  }
  CHECK(paired_real);
  CHECK(paired_virtual);

  // Then every bundled scenario the README did not run, in both modes. Their regions use
  // different loopback addresses, so the real-time runs go side by side.
  // tests/fixtures/scenarios adds what the examples do not show: hangs, slow-downs with latency,
  // TCP regions, a control token, a reload that resets verdicts during a drain.
  std::vector<std::string> scenarios;
  for (const char* folder : {"examples/scenarios", "tests/fixtures/scenarios"})
    for (const auto& file : fs::directory_iterator(std::string(MERIDIAN_SOURCE_DIR "/") + folder))
      if (file.path().extension() == ".yaml" && !file.path().stem().string().ends_with("-after"))
        scenarios.push_back(std::string(folder) + "/" + file.path().filename().string());
  std::sort(scenarios.begin(), scenarios.end());
  REQUIRE(scenarios.size() >= 6);
  for (const auto& scenario : scenarios)
    for (bool virtual_time : {false, true})
      if (!json_of[scenario].count(virtual_time))
        start(scenario, virtual_time, virtual_time ? " --virtual" : "");

  for (auto& [command, future] : running) {
    const Outcome outcome = future.get();
    CAPTURE(command);
    CAPTURE(outcome.output);
    REQUIRE(outcome.exit_code == 0);
    CHECK(outcome.output.find("Failovers") != std::string::npos);  // the table
    if (command.find("--virtual") != std::string::npos)
      CHECK(outcome.seconds < 5);
    else if (command.find("paired") != std::string::npos)
      CHECK(outcome.seconds < 60);
  }
  for (const auto& [scenario, virtual_time, svg] : svg_of) {
    const auto text = read_text(svg);
    CAPTURE(svg);
    CHECK(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(text.find("</svg>") != std::string::npos);
  }

  // The agreement: the same failovers and failbacks, each within one probe interval.
  for (const auto& scenario : scenarios) {
    CAPTURE(scenario);
    const auto real = read_json(json_of[scenario][false]);
    const auto simulated = read_json(json_of[scenario][true]);
    double interval = 0;
    for (const auto& outage : simulated.at("outages"))
      interval = std::max(interval, outage.at("interval").get<double>());
    REQUIRE(interval > 0);
    const auto measured = recoveries(real), predicted = recoveries(simulated);
    CHECK(measured.size() == predicted.size());
    for (const auto& [key, took] : predicted) {
      CAPTURE(key);
      REQUIRE(measured.count(key) == 1);
      const auto& real_took = measured.at(key);
      REQUIRE(took.has_value() == real_took.has_value());
      if (took) CHECK(std::abs(*took - *real_took) <= interval);
    }
    // Where each client was sent, in order, is the same in both modes too.
    REQUIRE(real.at("clients").size() == simulated.at("clients").size());
    for (size_t c = 0; c < real.at("clients").size(); ++c) {
      auto sequence = [](const nlohmann::json& client) {
        std::vector<std::string> endpoints;
        for (const auto& segment : client.at("server").at("segments")) {
          const auto name = segment.at("endpoints").dump() + segment.at("outcome").get<std::string>();
          if (endpoints.empty() || endpoints.back() != name) endpoints.push_back(name);
        }
        return endpoints;
      };
      CAPTURE(real.at("clients")[c].at("name"));
      CHECK(sequence(real.at("clients")[c]) == sequence(simulated.at("clients")[c]));
    }
  }
}

TEST_CASE("virtual time runs an hour's scenario in well under a second") {
  TempDir dir;
  auto scenario = read_text(MERIDIAN_SOURCE_DIR "/examples/scenarios/three-regions.yaml");
  scenario = std::regex_replace(scenario, std::regex("duration: 35s"), "duration: 1h");
  scenario = std::regex_replace(scenario, std::regex("geo/sim-clients.mmdb"),
                                MERIDIAN_SOURCE_DIR "/examples/scenarios/geo/sim-clients.mmdb");
  scenario = std::regex_replace(scenario, std::regex(R"(\.\./zones/example\.com\.zone)"),
                                MERIDIAN_SOURCE_DIR "/examples/zones/example.com.zone");
  scenario += "  - {at: 30m, recover: westeurope}\n";
  const auto file = dir.write("hour.yaml", scenario);
  const auto result = run_meridian({"simulate", file, "--virtual", "--json", dir.path() + "/hour.json"});
  CAPTURE(result.out);
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  std::smatch match;
  REQUIRE(std::regex_search(result.out, match, std::regex(R"(ran in ([0-9.]+)s)")));
  CHECK(std::stod(match[1]) < 1.0);
  const auto report = read_json(dir.path() + "/hour.json");
  CHECK(report.at("duration").get<double>() == 3600);
  // Four clients at 5 queries a second for an hour.
  for (const auto& client : report.at("clients"))
    CHECK(client.at("server").at("answers").get<uint64_t>() == 18000);
}

TEST_CASE("a scenario with a mistake is refused with its FILE:LINE and a reason, in either mode") {
  TempDir dir;
  const auto file =
      dir.write("broken.yaml", "duration: 10s\nconfig: missing.yaml\nregions: []\nclients: []\n");
  for (bool virtual_time : {false, true}) {
    std::vector<std::string> args{"simulate", file};
    if (virtual_time) args.push_back("--virtual");
    const auto result = run_meridian(args);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find(file + ":2: ") != std::string::npos);
  }
}

TEST_CASE("Ctrl-C ends a real-time run early: a report until then, the server stopped, exit 130") {
  TempDir dir;
  const std::string json = dir.path() + "/cut.json";
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(MERIDIAN_BINARY, MERIDIAN_BINARY, "simulate",
          MERIDIAN_SOURCE_DIR "/examples/scenarios/slow-region.yaml", "--json", json.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // The run has started once its server answers: wait for the child `meridian serve` to appear.
  auto server_of = [&]() -> pid_t {
    std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    pid_t child = 0;
    return children >> child ? child : 0;
  };
  pid_t server = 0;
  const auto deadline = Clock::now() + 15s;
  while (!(server = server_of()) && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  REQUIRE(server > 0);
  std::this_thread::sleep_for(
      2s);  // let the run observe something: this is the run's time, not a wait for an event
  kill(pid, SIGINT);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(kill(server, 0) == -1);  // the server is gone with it
  const auto report = read_json(json);
  CHECK(report.at("duration").get<double>() < 10);
  CHECK(report.at("outages").empty());  // the slow-down at 14s never came
  CHECK(report.at("clients")[0].at("server").at("answers").get<uint64_t>() > 0);
}
