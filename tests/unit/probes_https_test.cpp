// HTTPS probes against `openssl s_server` on 127.0.0.1 with a self-signed certificate.
#include <doctest/doctest.h>

#include "tests/unit/probes_fixture.h"

using namespace meridian;
using namespace probes_test;
using namespace std::chrono_literals;
using model::MonitorProtocol;
using model::Status;

TEST_CASE("a self-signed certificate passes with tls_verify false and fails with true") {
  TlsBackend backend;
  // A generous timeout: s_server does one handshake at a time, slowly on a loaded machine.
  auto lenient = fast_monitor(MonitorProtocol::https, backend.port(), 1s);
  lenient.tls_verify = false;
  auto strict = lenient;
  strict.tls_verify = true;
  auto named = strict;  // verifying against the Host header's name changes nothing here
  named.headers = {{"Host", "localhost"}};
  model::Config config;
  add_profile(config, "web",
              {address_endpoint("lenient", lenient), address_endpoint("strict", strict),
               address_endpoint("named", named)});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Online));
  REQUIRE(probing.wait_status(1, Status::Degraded));
  REQUIRE(probing.wait_status(2, Status::Degraded));
  CHECK(probing.report(0).reason == "HTTP 200");
  CHECK(probing.report(1).reason == "TLS certificate verification failed");
  CHECK(probing.report(2).reason == "TLS certificate verification failed");
}

TEST_CASE("an https probe of a plain HTTP backend fails its TLS handshake") {
  HttpBackend backend;
  model::Config config;
  add_profile(config, "web", {address_endpoint("a", fast_monitor(MonitorProtocol::https, backend.port()))});
  Probing probing(std::move(config));
  REQUIRE(probing.wait_status(0, Status::Degraded));
  CHECK(probing.report().reason == "TLS handshake failed");
}
