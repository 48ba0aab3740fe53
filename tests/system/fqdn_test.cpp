// FQDN endpoint targets end to end: one Meridian instance serves the zone the target lives in,
// a second resolves the target through it (c-ares), probes the resolved address, and answers
// the traffic-managed name with a CNAME to the target.
#include <doctest/doctest.h>

#include <string>

#include "harness.h"
#include "http_backend.h"

using namespace meridian::test;

namespace {

// Instance A: authoritative for upstream.test, where app.upstream.test is 127.0.0.1.
constexpr const char* upstream_config = R"(
zones:
  - origin: upstream.test
    file: {ZONES}/upstream.test.zone
)";

// Instance B: a profile whose only endpoint targets TARGET, resolved through UPSTREAM.
std::string profile_config(uint16_t upstream_port, const std::string& target, uint16_t backend_port) {
  std::string config = R"(
resolver:
  servers: ["127.0.0.1:UPSTREAM"]
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    ttl: 30
    monitor: {protocol: http, port: BACKEND, path: /healthz, interval: 200ms, timeout: 100ms, tolerated_failures: 0}
    endpoints:
      - {name: app, target: TARGET}
)";
  return fill(config, {{"UPSTREAM", std::to_string(upstream_port)}, {"BACKEND", std::to_string(backend_port)},
                       {"TARGET", target}});
}

}  // namespace

TEST_CASE("an FQDN target is resolved through the configured server, probed there, and answered as a CNAME") {
  Server upstream(upstream_config);
  HttpBackend backend("127.0.0.1");
  Server server(profile_config(upstream.port(), "app.upstream.test", backend.port()));

  CHECK_MESSAGE(server.wait_for_log("info resolver: web/app app.upstream.test -> 127.0.0.1 ttl=300"), server.log());
  REQUIRE_MESSAGE(server.wait_for_log("probes: web/app CheckingEndpoint -> Online reason=\"HTTP 200\""), server.log());
  CHECK(backend.requests() >= 1);  // the probe reached the resolved address
  CHECK(server.wait_for_log("probes: profile web ready online=1"));

  auto reply = query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME) == std::vector<std::string>{"app.upstream.test."});
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A).empty());  // not flattened
}

TEST_CASE("an FQDN target that does not exist: the failure is logged once and the endpoint turns Degraded") {
  Server upstream(upstream_config);
  HttpBackend backend("127.0.0.1");
  Server server(profile_config(upstream.port(), "gone.upstream.test", backend.port()));

  REQUIRE_MESSAGE(server.wait_for_log("warning resolver: web/app gone.upstream.test lookup failed "
                                      "reason=\"NXDOMAIN\" keeping=none"),
                  server.log());
  REQUIRE_MESSAGE(server.wait_for_log("probes: web/app CheckingEndpoint -> Degraded reason=\"resolve failed: "
                                      "NXDOMAIN\""),
                  server.log());
  CHECK(backend.requests() == 0);
  // Retries (1s, 2s ...) keep failing for the same reason: still one line.
  REQUIRE(server.wait_for_log("probes: profile web ready"));
  const std::string log = server.log();
  CHECK(log.find("lookup failed") == log.rfind("lookup failed"));
  // Fail open: the only endpoint is Degraded, so the CNAME is still answered.
  auto reply = query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME) == std::vector<std::string>{"gone.upstream.test."});
}

TEST_CASE("flatten: a profile at the zone apex answers with the target's resolved addresses, beside SOA and NS") {
  Server upstream(upstream_config);
  HttpBackend backend("127.0.0.1");
  std::string config = R"(
resolver:
  servers: ["127.0.0.1:UPSTREAM"]
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: apex
    fqdn: example.test
    method: priority
    ttl: 30
    monitor: {protocol: http, port: BACKEND, interval: 200ms, timeout: 100ms}
    endpoints:
      - {name: app, target: app.upstream.test, flatten: true}
)";
  config = fill(config, {{"UPSTREAM", std::to_string(upstream.port())}, {"BACKEND", std::to_string(backend.port())}});
  Server server(config);
  REQUIRE_MESSAGE(server.wait_for_log("info resolver: apex/app app.upstream.test -> 127.0.0.1"), server.log());

  auto a = query_udp(server.port(), "example.test.", LDNS_RR_TYPE_A);
  CHECK(section(a.get(), LDNS_SECTION_ANSWER) == std::vector<std::string>{"example.test. 30 IN A 127.0.0.1"});
  auto aaaa = query_udp(server.port(), "example.test.", LDNS_RR_TYPE_AAAA);  // the target has no AAAA
  CHECK(rcode_name(aaaa.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(aaaa.get()) == 0);
  CHECK(rdatas(aaaa.get(), LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA).size() == 1);
  auto soa = query_udp(server.port(), "example.test.", LDNS_RR_TYPE_SOA);
  CHECK(rdatas(soa.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_SOA).size() == 1);
  auto ns = query_udp(server.port(), "example.test.", LDNS_RR_TYPE_NS);
  CHECK(rdatas(ns.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_NS) == std::vector<std::string>{"ns1.example.test."});
}
