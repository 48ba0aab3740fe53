// The control API's safety rules against the real binary: a page of another site open in the
// operator's browser cannot change anything, and a drain may not take the last endpoint of a
// family, or of a profile that nests this one.
#include <doctest/doctest.h>
#include <httplib.h>

#include <string>

#include "harness.h"
#include "http_client.h"

using namespace meridian::test;

namespace {

// A POST as a browser would send it: with its own Host and Origin headers.
int browser_post(uint16_t port, const std::string& path, const std::string& host, const std::string& origin) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  httplib::Headers headers{{"Host", host}};
  if (!origin.empty()) headers.emplace("Origin", origin);
  auto result = client.Post(path, headers, "", "application/x-www-form-urlencoded");
  return result ? result->status : 0;
}

std::string answer_of(uint16_t port, ldns_rr_type type = LDNS_RR_TYPE_A) {
  auto reply = query_udp(port, "web.example.test.", type);
  auto values = rdatas(reply.get(), LDNS_SECTION_ANSWER, type);
  return values.empty() ? "NODATA" : values.front();
}

constexpr const char* two_families = R"(
zones:
  - origin: example.test
    file: ZONES/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    endpoints:
      - {name: v4, target: 127.0.0.11, always_serve: true}
      - {name: v6, target: "::1", always_serve: true}
)";

}  // namespace

TEST_CASE("a cross-site form post or a DNS-rebound page cannot drain; the same call from a tool can") {
  Server server(fill(two_families, {{"ZONES", fixtures() + "/zones"}}));
  const uint16_t port = server.control_port();
  const std::string host = "127.0.0.1:" + std::to_string(port);
  const std::string drain = "/v1/profiles/web/endpoints/v6/drain?force=true";  // the last IPv6 one
  CHECK(browser_post(port, drain, host, "http://attacker.example") == 401);
  CHECK(browser_post(port, drain, "attacker.example:" + std::to_string(port), "") == 401);
  CHECK(browser_post(port, drain, "attacker.example:" + std::to_string(port),
                     "http://attacker.example:" + std::to_string(port)) == 401);
  CHECK(answer_of(server.port(), LDNS_RR_TYPE_AAAA) == "::1");      // nothing changed
  CHECK(browser_post(port, drain, host, "http://" + host) == 200);  // the server's own page
  CHECK(answer_of(server.port(), LDNS_RR_TYPE_AAAA) == "NODATA");
  CHECK(http_post(port, "/v1/profiles/web/endpoints/v6/enable").status == 200);
  CHECK(browser_post(port, drain, "localhost:" + std::to_string(port), "") == 200);
}

TEST_CASE("draining the last IPv4 endpoint is refused while an IPv6 one still serves") {
  Server server(fill(two_families, {{"ZONES", fixtures() + "/zones"}}));
  const auto refused = http_post(server.control_port(), "/v1/profiles/web/endpoints/v4/drain");
  CHECK(refused.status == 409);
  CHECK_MESSAGE(refused.body.find("no available IPv4 (A) endpoint") != std::string::npos, refused.body);
  CHECK(answer_of(server.port()) == "127.0.0.11");
  CHECK(http_post(server.control_port(), "/v1/profiles/web/endpoints/v4/drain?force=true").status == 200);
  CHECK(answer_of(server.port()) == "NODATA");
}

TEST_CASE("a drain that leaves a nesting profile with nothing is refused, though its own profile serves") {
  Server server(fill(R"(
zones:
  - origin: example.test
    file: ZONES/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    endpoints:
      - {name: eu, profile: web-eu, min_child_endpoints: 2}
  - name: web-eu
    fqdn: eu.web.example.test
    method: priority
    endpoints:
      - {name: a, target: 127.0.0.11, always_serve: true}
      - {name: b, target: 127.0.0.12, always_serve: true}
)",
                     {{"ZONES", fixtures() + "/zones"}}));
  const auto refused = http_post(server.control_port(), "/v1/profiles/web-eu/endpoints/a/drain");
  CHECK(refused.status == 409);
  CHECK_MESSAGE(refused.body.find("would leave profile web with no available endpoint") != std::string::npos,
                refused.body);
  CHECK(answer_of(server.port()) == "127.0.0.11");
}

TEST_CASE("a state file the server cannot write is an error at start, not at the first drain") {
  TempDir dir;
  const auto file = dir.write("meridian.yaml", "server:\n  state_file: no-such-folder/state.json\n" +
                                                   fill(two_families, {{"ZONES", fixtures() + "/zones"}}));
  const auto run =
      run_meridian({"serve", "--config", file, "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0"});
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find(dir.path() + "/no-such-folder/state.json") != std::string::npos, run.err);
  CHECK(run.err.find("server: ready") == std::string::npos);
}
