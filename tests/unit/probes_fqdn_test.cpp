// FQDN endpoints: resolved through resolver/ against a DNS responder on 127.0.0.1, probed at a
// resolved address with the FQDN as the host asked for, and what happens when lookups fail.
#include <doctest/doctest.h>

#include "probes/target.h"
#include "tests/unit/probes_fixture.h"
#include "tests/unit/resolver_responder.h"

using namespace meridian;
using namespace probes_test;
using namespace std::chrono_literals;
using model::MonitorProtocol;
using model::Status;
using resolver_test::Responder;
using resolver_test::Rule;

namespace {

constexpr const char* name = "origin.meridian.test";

model::Endpoint fqdn_endpoint(std::string endpoint_name, model::Monitor monitor, const std::string& fqdn = name) {
  auto endpoint = address_endpoint(std::move(endpoint_name), std::move(monitor));
  endpoint.kind = model::TargetKind::fqdn;
  endpoint.address = {};
  endpoint.fqdn = fqdn;
  return endpoint;
}

// A config whose resolver asks only `dns` (never the system's resolv.conf).
model::Config config_with(const Responder& dns) {
  model::Config config;
  config.resolver.servers = {*geo::SocketAddress::parse(dns.server())};
  return config;
}

std::vector<std::string> texts(const std::vector<geo::Address>& addresses) {
  std::vector<std::string> out;
  for (const auto& address : addresses) out.push_back(address.to_string());
  return out;
}

std::vector<std::string> table_of(const Probing& probing, model::EndpointId id) {
  geo::Address out[resolver::ResolvedTable::max_addresses];
  size_t count = probing.service->resolved()->read(id, out);
  return texts(std::vector<geo::Address>(out, out + count));
}

}  // namespace

TEST_CASE("probes go to the first IPv4 address of an answer, else its first IPv6 address") {
  auto parse = [](std::vector<std::string> texts) {
    std::vector<geo::Address> addresses;
    for (const auto& text : texts) addresses.push_back(*geo::Address::parse(text));
    return addresses;
  };
  CHECK(probes::probe_address(parse({"2001:db8::1", "192.0.2.2", "192.0.2.1"}))->to_string() == "192.0.2.2");
  CHECK(probes::probe_address(parse({"2001:db8::2", "2001:db8::1"}))->to_string() == "2001:db8::2");
  CHECK_FALSE(probes::probe_address({}).has_value());
}

TEST_CASE("an FQDN endpoint is probed at its resolved address, asking for the FQDN") {
  Responder dns;
  dns.set(name, Rule::addresses({"127.0.0.1"}));
  HttpBackend backend;
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::http, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(backend.last_request().host == std::string(name) + ":" + std::to_string(backend.port()));
  CHECK(texts(probing.report(0).resolved) == std::vector<std::string>{"127.0.0.1"});
  CHECK(table_of(probing, 0) == std::vector<std::string>{"127.0.0.1"});
  CHECK(probing.report(0).reason == "HTTP 200");
}

TEST_CASE("a Host header set in the monitor wins over the FQDN") {
  Responder dns;
  dns.set(name, Rule::addresses({"127.0.0.1"}));
  HttpBackend backend;
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port());
  monitor.headers = {{"Host", "www.example.test"}};
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", monitor)});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(backend.last_request().host == "www.example.test");
}

TEST_CASE("TCP probes of an FQDN go to its first IPv4 address, even when it has IPv6 ones") {
  Responder dns;
  dns.set(name, Rule::addresses({"::1", "127.0.0.1"}));
  HttpBackend backend;  // IPv4 only
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::tcp, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(texts(probing.report(0).resolved) == std::vector<std::string>{"127.0.0.1", "::1"});
}

TEST_CASE("an FQDN with only IPv6 addresses is probed over IPv6") {
  if (!ipv6_loopback_available()) return;
  Responder dns;
  dns.set(name, Rule::addresses({"::1"}));
  HttpBackend backend(/*ipv6=*/true);
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::http, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(backend.requests() >= 1);
}

TEST_CASE("a name that never resolves turns Degraded like a dead endpoint, and Online once it resolves") {
  Responder dns;  // no rule yet: NXDOMAIN
  HttpBackend backend;
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::http, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  auto report = probing.report(0);
  CHECK(report.reason == "resolve failed: NXDOMAIN");
  CHECK(report.last_transition->reason == "resolve failed: NXDOMAIN");
  CHECK(report.resolved.empty());
  CHECK(backend.requests() == 0);

  dns.set(name, Rule::addresses({"127.0.0.1"}));  // found on the next retry (1s, then 2s ...)
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(backend.requests() >= 1);
}

TEST_CASE("a change of address moves the probes") {
  Responder dns;
  dns.set(name, Rule::addresses({"127.0.0.2"}, 1));  // nothing listens there: refused
  HttpBackend backend;
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::tcp, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  CHECK(probing.report(0).reason == "connect refused");
  dns.set(name, Rule::addresses({"127.0.0.1"}, 1));
  REQUIRE(probing.wait_status(0, Status::Online));
  CHECK(texts(probing.report(0).resolved) == std::vector<std::string>{"127.0.0.1"});
}

TEST_CASE("when lookups start failing, probes go on at the last good address") {
  Responder dns;
  dns.set(name, Rule::addresses({"127.0.0.1"}, 1));
  HttpBackend backend;
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::http, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  dns.set(name, Rule::error(resolver_test::rcode_servfail));
  auto failing_from = dns.queries(name, resolver_test::type_a);
  REQUIRE(wait_until([&] { return dns.queries(name, resolver_test::type_a) >= failing_from + 2; }));
  auto requests = backend.requests();
  REQUIRE(wait_until([&] { return backend.requests() >= requests + 3; }));
  CHECK(probing.status(0) == Status::Online);
  CHECK(texts(probing.report(0).resolved) == std::vector<std::string>{"127.0.0.1"});
  CHECK(table_of(probing, 0) == std::vector<std::string>{"127.0.0.1"});
}

TEST_CASE("flattened endpoints are resolved even when not monitored; other unmonitored ones are not") {
  Responder dns;
  dns.set("flat.meridian.test", Rule::addresses({"192.0.2.1", "2001:db8::1"}));
  dns.set("cname.meridian.test", Rule::addresses({"192.0.2.2"}));
  auto config = config_with(dns);
  auto flat = fqdn_endpoint("flat", model::Monitor{}, "flat.meridian.test");
  flat.flatten = true;
  flat.always_serve = true;
  auto cname = fqdn_endpoint("cname", model::Monitor{}, "cname.meridian.test");
  cname.always_serve = true;
  add_profile(config, "web", {flat, cname});
  Probing probing(std::move(config));
  // The report is written just after the table: wait for it, then both hold the answer.
  REQUIRE(wait_until([&] { return probing.report(0).resolved.size() == 2; }));
  CHECK(table_of(probing, 0) == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
  CHECK(probing.status(0) == Status::NotMonitored);
  CHECK(texts(probing.report(0).resolved) == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
  CHECK(dns.queries("cname.meridian.test", resolver_test::type_a) == 0);
  CHECK(table_of(probing, 1).empty());
}

TEST_CASE("the service publishes to a table it is given, and exposes it") {
  Responder dns;
  dns.set(name, Rule::addresses({"127.0.0.1"}));
  HttpBackend backend;
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", fast_monitor(MonitorProtocol::http, backend.port()))});
  auto shared = std::make_shared<const model::Config>(std::move(config));
  auto table = std::make_shared<resolver::ResolvedTable>(shared->endpoint_count);
  probes::ProbeService service(shared, std::make_shared<probes::HealthTable>(shared->endpoint_count), table);
  CHECK(service.resolved().get() == table.get());
  service.start();
  REQUIRE(wait_until([&] { return table->generation() >= 1; }));
  geo::Address out[2];
  REQUIRE(table->read(0, geo::Family::v4, out) == 1);
  CHECK(out[0].to_string() == "127.0.0.1");
}

TEST_CASE("the first answer is probed at once, not an interval later") {
  Responder dns;  // NXDOMAIN until the test adds the name
  HttpBackend backend;
  auto monitor = fast_monitor(MonitorProtocol::http, backend.port(), 20s);
  monitor.tolerated_failures = 3;
  auto config = config_with(dns);
  add_profile(config, "web", {fqdn_endpoint("origin", monitor)});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_results(0, 1));  // the first tick (within 1s) found the lookup failed
  CHECK(probing.report(0).reason == "resolve failed: NXDOMAIN");
  dns.set(name, Rule::addresses({"127.0.0.1"}));  // the resolver retries within 2s
  REQUIRE(probing.wait_status(0, Status::Online, 5s));
  CHECK(backend.requests() == 1);
}
