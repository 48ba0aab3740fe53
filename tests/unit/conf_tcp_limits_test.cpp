// The server section's TCP limits: their defaults, the values they take, and the errors at their line.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using namespace std::chrono_literals;
using testing::load_error;
using testing::server_with;

namespace {

model::ServerSettings loaded(const std::string& lines) {
  return conf::load_from_string(server_with(lines), "meridian.yaml")->server;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the TCP limits default to 100 connections per client, no query or time limit, 2 s per message") {
  const auto server = loaded("  workers: 1\n");
  CHECK(server.tcp_max_connections_per_client == 100);
  CHECK(server.tcp_max_queries_per_connection == 0);
  CHECK(server.tcp_max_connection_time == 0ms);
  CHECK(server.tcp_message_timeout == 2s);
}

TEST_CASE("the TCP limits take the values set") {
  const auto server = loaded(
      "  tcp_max_connections_per_client: 5\n"
      "  tcp_max_queries_per_connection: 1000\n"
      "  tcp_max_connection_time: 2m\n"
      "  tcp_message_timeout: 500ms\n");
  CHECK(server.tcp_max_connections_per_client == 5);
  CHECK(server.tcp_max_queries_per_connection == 1000);
  CHECK(server.tcp_max_connection_time == 120s);
  CHECK(server.tcp_message_timeout == 500ms);
  CHECK(loaded("  tcp_max_connection_time: 0s\n").tcp_max_connection_time == 0ms);  // no limit, said so
}

TEST_CASE("a TCP limit out of range or of the wrong kind is an error at its line") {
  struct Case {
    std::string lines;
    int line;
    std::string reason;
  };
  const Case cases[] = {
      {"  tcp_max_connections_per_client: 0\n", 5, "tcp_max_connections_per_client must be between 1 and"},
      {"  workers: 1\n  tcp_max_connections_per_client: many\n", 6,
       "tcp_max_connections_per_client must be a whole number"},
      {"  tcp_max_queries_per_connection: -1\n", 5, "tcp_max_queries_per_connection must be between 0 and"},
      {"  tcp_max_connection_time: 10\n", 5, "tcp_max_connection_time must be a duration"},
      {"  tcp_max_connection_time: 2d\n", 5, "tcp_max_connection_time must be a duration"},
      {"  tcp_message_timeout: 0ms\n", 5, "tcp_message_timeout must be above zero"},
      {"  tcp_message_timeout: soon\n", 5, "tcp_message_timeout must be a duration"},
      {"  tcp_max_queries: 10\n", 5, "tcp_max_queries"},  // a near miss is not ignored
  };
  for (const auto& c : cases) {
    CAPTURE(c.lines);
    const auto error = load_error(server_with(c.lines));
    CHECK(error.line() == c.line);
    CHECK(contains(error.reason(), c.reason));
  }
}
