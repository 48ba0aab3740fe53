// server.probe_source: HTTP and TCP probes leave from the configured address of their target's
// family, as the backend on 127.0.0.1 sees it; a source that cannot be bound fails the probe.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/unit/probes_fixture.h"

using namespace meridian;
using namespace probes_test;
using model::MonitorProtocol;
using model::Status;

namespace {

model::Config probed_from(const std::vector<std::string>& sources, MonitorProtocol protocol, uint16_t port) {
  model::Config config;
  for (const auto& source : sources) config.server.probe_source.push_back(*geo::Address::parse(source));
  add_profile(config, "web", {address_endpoint("a", fast_monitor(protocol, port))});
  return config;
}

// Every connection the backend accepted came from `source` (and there was at least one). TCP
// probes succeed on the handshake, before the backend's accept: wait for the accept itself.
bool all_from(const HttpBackend& backend, const std::string& source) {
  if (!wait_until([&] { return !backend.peers().empty(); })) return false;
  for (const auto& peer : backend.peers())
    if (peer != source) return false;
  return true;
}

// 192.0.2.1 (TEST-NET-1) is not an address of this host unless someone made it one, or the
// kernel binds any address: then the failure cannot be shown here.
bool can_bind(const char* text) {
  sockaddr_in address = loopback_address(0);
  inet_pton(AF_INET, text, &address.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return bound;
}

}  // namespace

TEST_CASE("without probe_source, probes come from the kernel's choice, 127.0.0.1") {
  for (auto protocol : {MonitorProtocol::http, MonitorProtocol::tcp}) {
    CAPTURE(model::to_string(protocol));
    HttpBackend backend;
    Probing probing(probed_from({}, protocol, backend.port()));
    REQUIRE(probing.wait_status(0, Status::Online));
    CHECK(all_from(backend, "127.0.0.1"));
  }
}

TEST_CASE("HTTP probes leave from probe_source") {
  HttpBackend backend;
  Probing probing(probed_from({"127.0.0.2"}, MonitorProtocol::http, backend.port()));
  REQUIRE(probing.wait_status(0, Status::Online));
  REQUIRE(probing.wait_results(0, 2));
  CHECK(all_from(backend, "127.0.0.2"));
}

TEST_CASE("TCP probes leave from probe_source") {
  HttpBackend backend;
  Probing probing(probed_from({"127.0.0.2"}, MonitorProtocol::tcp, backend.port()));
  REQUIRE(probing.wait_status(0, Status::Online));
  REQUIRE(probing.wait_results(0, 2));
  CHECK(all_from(backend, "127.0.0.2"));
}

TEST_CASE("a probe_source of the other family leaves an IPv4 target's probes as they were") {
  // 2001:db8::1 is never bound: binding it to an IPv4 socket would fail the probe.
  for (auto protocol : {MonitorProtocol::http, MonitorProtocol::tcp}) {
    CAPTURE(model::to_string(protocol));
    HttpBackend backend;
    Probing probing(probed_from({"2001:db8::1"}, protocol, backend.port()));
    REQUIRE(probing.wait_status(0, Status::Online));
    CHECK(all_from(backend, "127.0.0.1"));
  }
}

TEST_CASE("a probe_source that is not local fails the probe like a connect, saying why") {
  if (can_bind("192.0.2.1")) {
    MESSAGE("skipped: 192.0.2.1 can be bound on this host");
    return;
  }
  for (auto protocol : {MonitorProtocol::http, MonitorProtocol::tcp}) {
    CAPTURE(model::to_string(protocol));
    HttpBackend backend;
    Probing probing(probed_from({"192.0.2.1"}, protocol, backend.port()));
    REQUIRE(probing.wait_status(0, Status::Degraded));
    CHECK(probing.report().reason == "cannot bind probe source 192.0.2.1: address not available");
    CHECK(backend.peers().empty());
  }
}

TEST_CASE("a reload applies a new probe_source") {
  HttpBackend backend;
  auto before = std::make_shared<const model::Config>(probed_from({}, MonitorProtocol::http, backend.port()));
  auto health = std::make_shared<probes::HealthTable>(before->endpoint_count);
  probes::ProbeService first(before, health);
  first.start();
  REQUIRE(wait_until([&] { return first.report(0).status == Status::Online; }));
  CHECK(all_from(backend, "127.0.0.1"));

  auto after = std::make_shared<const model::Config>(
      probed_from({"127.0.0.2"}, MonitorProtocol::http, backend.port()));
  auto next_health = std::make_shared<probes::HealthTable>(after->endpoint_count);
  probes::ProbeService second(after, next_health, nullptr, first);
  second.start();
  first.stop();
  CHECK(wait_until([&] {
    const auto peers = backend.peers();
    return std::count(peers.begin(), peers.end(), "127.0.0.2") >= 2;
  }));
}
