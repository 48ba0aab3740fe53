// Signals: SIGHUP reloads and must not end the server; SIGTERM stops it.
#include <doctest/doctest.h>

#include <signal.h>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

TEST_CASE("SIGHUP keeps the server running and answering: it reloads the config (reload_test.cpp)") {
  Server server(static_config);
  REQUIRE(kill(server.pid(), SIGHUP) == 0);
  CHECK(server.wait_for_log("info server: reloaded"));
  auto reply = query_udp(server.port(), "www.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("SIGTERM stops the server cleanly") {
  Server server(static_config);
  REQUIRE(kill(server.pid(), SIGTERM) == 0);
  CHECK(server.wait_for_log("info server: stopped"));
}
