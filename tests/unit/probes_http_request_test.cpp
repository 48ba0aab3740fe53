// What an HTTP(S) probe requests: URL, connection pinning to the endpoint, header lines.
#include <doctest/doctest.h>

#include "probes/http_request.h"

using namespace meridian;
using probes::build_http_request;
using probes::host_of_header;

namespace {

geo::Address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  geo::Address address;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

geo::Address v6_loopback() {
  geo::Address address;
  address.family = geo::Family::v6;
  address.bytes[15] = 1;
  return address;
}

}  // namespace

TEST_CASE("without a Host header the URL names the endpoint's address") {
  model::Monitor monitor;
  monitor.port = 8080;
  monitor.path = "/healthz";
  auto request = build_http_request(v4(192, 0, 2, 10), monitor);
  CHECK(request.url == "http://192.0.2.10:8080/healthz");
  CHECK(request.connect_to.empty());
  CHECK(request.headers.empty());
}

TEST_CASE("IPv6 addresses are bracketed and https uses its scheme") {
  model::Monitor monitor;
  monitor.protocol = model::MonitorProtocol::https;
  monitor.port = 443;
  auto request = build_http_request(v6_loopback(), monitor);
  CHECK(request.url == "https://[::1]:443/");
}

TEST_CASE("a Host header names the URL's host and pins the connection to the address") {
  model::Monitor monitor;
  monitor.protocol = model::MonitorProtocol::https;
  monitor.port = 8443;
  monitor.path = "/status";
  monitor.headers = {{"host", "www.example.com"}, {"X-Probe", "meridian"}};
  auto request = build_http_request(v4(127, 0, 0, 1), monitor);
  CHECK(request.url == "https://www.example.com:8443/status");
  CHECK(request.connect_to == "::127.0.0.1:8443");
  CHECK(request.headers == std::vector<std::string>{"host: www.example.com", "X-Probe: meridian"});
}

TEST_CASE("a path without a leading slash gets one") {
  model::Monitor monitor;
  monitor.path = "health";
  CHECK(build_http_request(v4(127, 0, 0, 1), monitor).url == "http://127.0.0.1:80/health");
}

TEST_CASE("unsafe headers are dropped and empty values use curl's spelling") {
  model::Monitor monitor;
  monitor.headers = {{"X-Bad", "a\r\nInjected: 1"}, {"X-Empty", ""}, {"", "x"}};
  auto request = build_http_request(v4(127, 0, 0, 1), monitor);
  CHECK(request.headers == std::vector<std::string>{"X-Empty;"});
}

TEST_CASE("the host of a Host header value") {
  CHECK(host_of_header("www.example.com") == "www.example.com");
  CHECK(host_of_header("www.example.com:8080") == "www.example.com");
  CHECK(host_of_header("[2001:db8::1]:443") == "[2001:db8::1]");
  CHECK_FALSE(host_of_header("").has_value());
  CHECK_FALSE(host_of_header("bad host").has_value());
  CHECK_FALSE(host_of_header("a/b").has_value());
  CHECK_FALSE(host_of_header("host:port").has_value());
  CHECK_FALSE(host_of_header("[nothex]").has_value());
}

TEST_CASE("a Host header that is not a host name is sent but not used in the URL") {
  model::Monitor monitor;
  monitor.headers = {{"Host", "not a host"}};
  auto request = build_http_request(v4(127, 0, 0, 1), monitor);
  CHECK(request.url == "http://127.0.0.1:80/");
  CHECK(request.connect_to.empty());
  CHECK(request.headers == std::vector<std::string>{"Host: not a host"});
}

TEST_CASE("an FQDN target's name is the URL's host, pinned to the resolved address") {
  model::Monitor monitor;
  monitor.protocol = model::MonitorProtocol::https;
  monitor.port = 443;
  auto request = build_http_request(v6_loopback(), monitor, "app.cdn.example.net");
  CHECK(request.url == "https://app.cdn.example.net:443/");
  CHECK(request.connect_to == "::[::1]:443");
  CHECK(request.headers.empty());  // curl sends Host from the URL
}

TEST_CASE("a Host header wins over an FQDN target's name") {
  model::Monitor monitor;
  monitor.headers = {{"Host", "www.example.com"}};
  auto request = build_http_request(v4(192, 0, 2, 10), monitor, "app.cdn.example.net");
  CHECK(request.url == "http://www.example.com:80/");
  CHECK(request.connect_to == "::192.0.2.10:80");
}
