// Signals: SIGHUP must not end the server (operators send it to reload); SIGTERM stops it.
#include <doctest/doctest.h>

#include <signal.h>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

TEST_CASE("SIGHUP keeps the server running and answering, and says reload is not there yet") {
  Server server(static_config);
  REQUIRE(kill(server.pid(), SIGHUP) == 0);
  CHECK(server.wait_for_log("warning server: SIGHUP received"));
  auto reply = query_udp(server.port(), "www.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("SIGTERM stops the server cleanly") {
  Server server(static_config);
  REQUIRE(kill(server.pid(), SIGTERM) == 0);
  CHECK(server.wait_for_log("info server: stopped"));
}
