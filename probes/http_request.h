// What an HTTP(S) probe asks for: URL, connection pinning and header lines, built from an
// endpoint's address and monitor without touching curl (so it is unit-tested on its own).
//
// No name is ever resolved here: the URL's host is the endpoint's address, or a host name with
// the connection pinned to the address by CURLOPT_CONNECT_TO. The host name is that of a
// configured Host header, else the endpoint's FQDN (for FQDN targets, probed at a resolved
// address): curl sends it as Host, TLS as SNI, and verification checks the certificate
// against it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"

namespace meridian::probes {

struct HttpRequest {
  std::string url;                   // "https://www.example.com:443/healthz"
  std::string connect_to;            // CURLOPT_CONNECT_TO entry, empty when the URL has the address
  std::vector<std::string> headers;  // "Name: value", configured order
};

// The address as a URL host: "192.0.2.1", "[2001:db8::1]".
std::string url_host(const geo::Address& address);

// The host part of a Host header value ("www.example.com:8080" -> "www.example.com"), when it
// is a plain host name or a bracketed IPv6 address that is safe to put in a URL.
std::optional<std::string> host_of_header(std::string_view value);

// `fqdn`: the endpoint's FQDN target, empty for address targets.
HttpRequest build_http_request(const geo::Address& address, const model::Monitor& monitor,
                               std::string_view fqdn = {});

}  // namespace meridian::probes
