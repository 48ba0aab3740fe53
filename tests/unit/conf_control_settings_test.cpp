// conf::load's control API settings: server.control, control_token_file and state_file.
//
// A token file that is missing, empty or not one word would leave the API open: each is a
// FILE:LINE error at the control_token_file line.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using testing::TempDir;
using testing::with_zone;

namespace {

// A valid config whose server section holds `server_lines` from line 2 on.
std::string with_server(const std::string& server_lines) {
  return with_zone("server:\n" + server_lines +
                   "zones:\n"
                   "  - origin: example.test\n"
                   "    file: ZONE\n");
}

// Loads `yaml` as if it were the file meridian.yaml in `dir`, so relative paths are `dir`'s.
std::shared_ptr<const model::Config> load_in(const TempDir& dir, const std::string& yaml) {
  try {
    return conf::load_from_string(yaml, (dir.path() / "meridian.yaml").string());
  } catch (const conf::ConfigError& error) {
    FAIL("unexpected config error: " << std::string(error.what()));
  }
  return nullptr;
}

conf::ConfigError error_in(const TempDir& dir, const std::string& yaml) {
  return testing::load_error(yaml, (dir.path() / "meridian.yaml").string());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the control API listens on 127.0.0.1:8053 unless set") {
  TempDir dir;
  const auto config = load_in(dir, with_zone("zones:\n  - origin: example.test\n    file: ZONE\n"));
  REQUIRE(config->server.control.has_value());
  CHECK(config->server.control->to_string() == "127.0.0.1:8053");
  const auto with_section = load_in(dir, with_server("  workers: 1\n"));
  REQUIRE(with_section->server.control.has_value());
  CHECK(with_section->server.control->to_string() == "127.0.0.1:8053");
}

TEST_CASE("server.control sets the control address and remembers its line") {
  TempDir dir;
  const auto config = load_in(dir, with_server("  workers: 1\n  control: \"[::1]:9053\"\n"));
  REQUIRE(config->server.control.has_value());
  CHECK(config->server.control->to_string() == "[::1]:9053");
  CHECK(config->server.control_line == 3);
}

TEST_CASE("without control_token_file there is no token and no state file") {
  TempDir dir;
  const auto config = load_in(dir, with_server("  workers: 1\n"));
  CHECK(config->server.control_token_file.empty());
  CHECK(config->server.control_token.empty());
  CHECK(config->server.state_file.empty());
}

TEST_CASE("control_token_file is read relative to the config's folder, its token trimmed") {
  TempDir dir;
  const auto token_file = dir.write("secrets/token", " \t s3cret-Token_42 \r\n\n");
  const auto config = load_in(dir, with_server("  control_token_file: secrets/token\n"));
  CHECK(config->server.control_token == "s3cret-Token_42");
  CHECK(config->server.control_token_file == token_file);
}

TEST_CASE("an absolute control_token_file is read where it says") {
  TempDir dir, elsewhere;
  const auto token_file = elsewhere.write("token", "abc\n");
  const auto config = load_in(dir, with_server("  control_token_file: " + token_file + "\n"));
  CHECK(config->server.control_token == "abc");
  CHECK(config->server.control_token_file == token_file);
}

TEST_CASE("an empty control_token_file is an error at its line") {
  TempDir dir;
  dir.write("token", "");
  const auto error = error_in(dir, with_server("  workers: 1\n  control_token_file: token\n"));
  CHECK(error.file() == (dir.path() / "meridian.yaml").string());
  CHECK(error.line() == 3);
  CHECK(contains(error.reason(), "is empty"));
  CHECK(std::string(error.what()).starts_with((dir.path() / "meridian.yaml").string() + ":3: "));
}

TEST_CASE("a control_token_file of only whitespace is an error at its line") {
  TempDir dir;
  dir.write("token", " \n\t\r\n");
  const auto error = error_in(dir, with_server("  control_token_file: token\n"));
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "is empty"));
}

TEST_CASE("a control_token_file of two words is an error at its line") {
  TempDir dir;
  dir.write("token", "first second\n");
  const auto error = error_in(dir, with_server("  control_token_file: token\n"));
  CHECK(error.file() == (dir.path() / "meridian.yaml").string());
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "the token must be one word"));
}

TEST_CASE("a control_token_file of two lines is an error at its line") {
  TempDir dir;
  dir.write("token", "first\nsecond\n");
  const auto error = error_in(dir, with_server("  control_token_file: token\n"));
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "the token must be one word"));
}

TEST_CASE("a missing control_token_file is an error at its line naming the file") {
  TempDir dir;
  const auto error =
      error_in(dir, with_server("  workers: 1\n  nsid: a\n  control_token_file: nowhere/token\n"));
  CHECK(error.file() == (dir.path() / "meridian.yaml").string());
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), (dir.path() / "nowhere" / "token").string()));
  CHECK(contains(error.reason(), "No such file or directory"));
}

TEST_CASE("a control_token_file that is a folder is an error at its line") {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "token");
  const auto error = error_in(dir, with_server("  control_token_file: token\n"));
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "control_token_file"));
}

TEST_CASE("an empty control_token_file value is an error at its line") {
  TempDir dir;
  const auto error = error_in(dir, with_server("  control_token_file: \"\"\n"));
  CHECK(error.line() == 2);
  CHECK(contains(error.reason(), "control_token_file is empty"));
}

TEST_CASE("state_file is resolved relative to the config's folder") {
  TempDir dir;
  const auto config = load_in(dir, with_server("  state_file: state/overrides.json\n"));
  CHECK(config->server.state_file == (dir.path() / "state" / "overrides.json").string());
}

TEST_CASE("an absolute state_file is kept as it is") {
  TempDir dir;
  const auto config = load_in(dir, with_server("  state_file: /var/lib/meridian/state.json\n"));
  CHECK(config->server.state_file == "/var/lib/meridian/state.json");
}

TEST_CASE("state_file need not exist yet") {
  TempDir dir;
  const auto config = load_in(dir, with_server("  state_file: never-written.json\n"));
  CHECK(config->server.state_file == (dir.path() / "never-written.json").string());
  CHECK_FALSE(std::filesystem::exists(config->server.state_file));
}

TEST_CASE("an empty state_file value is an error at its line") {
  TempDir dir;
  const auto error = error_in(dir, with_server("  workers: 1\n  state_file: \"\"\n"));
  CHECK(error.line() == 3);
  CHECK(contains(error.reason(), "state_file is empty"));
}
