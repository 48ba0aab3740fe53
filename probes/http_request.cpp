// Builds the URL, connect-to pinning and header lines of an HTTP(S) probe.
#include "probes/http_request.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <cctype>

namespace meridian::probes {

std::string url_host(const geo::Address& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.family == geo::Family::v4) {
    inet_ntop(AF_INET, address.bytes.data(), text, sizeof text);
    return text;
  }
  inet_ntop(AF_INET6, address.bytes.data(), text, sizeof text);
  return std::string("[") + text + "]";
}

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool host_name_char(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
}

bool safe_header(std::string_view name, std::string_view value) {
  auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  return !name.empty() && name.find(':') == std::string_view::npos &&
         std::none_of(name.begin(), name.end(), bad) && std::none_of(value.begin(), value.end(), bad);
}

}  // namespace

std::optional<std::string> host_of_header(std::string_view value) {
  std::string_view host, rest;
  if (!value.empty() && value.front() == '[') {
    auto close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = value.substr(0, close + 1);
    rest = value.substr(close + 1);
    auto inside = host.substr(1, host.size() - 2);
    bool ok = !inside.empty() && std::all_of(inside.begin(), inside.end(), [](unsigned char c) {
      return std::isxdigit(c) != 0 || c == ':' || c == '.';
    });
    if (!ok) return std::nullopt;
  } else {
    auto colon = value.find(':');
    host = value.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : value.substr(colon);
    if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), host_name_char))
      return std::nullopt;
  }
  if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
  return std::string(host);
}

HttpRequest build_http_request(const geo::Address& address, const model::Monitor& monitor, std::string_view fqdn) {
  HttpRequest request;
  std::optional<std::string> named_host;
  for (const auto& [name, value] : monitor.headers) {
    if (!safe_header(name, value)) continue;
    if (strcasecmp(name.c_str(), "Host") == 0 && !named_host) named_host = host_of_header(value);
    // "Name;" is curl's spelling of a header sent with an empty value.
    request.headers.push_back(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!named_host && !fqdn.empty()) named_host = host_of_header(fqdn);
  std::string port = std::to_string(monitor.port);
  std::string address_host = url_host(address);
  const char* scheme = monitor.protocol == model::MonitorProtocol::https ? "https://" : "http://";
  std::string path = monitor.path.empty() || monitor.path.front() != '/' ? "/" + monitor.path : monitor.path;
  request.url = scheme + (named_host ? *named_host : address_host) + ":" + port + path;
  if (named_host) request.connect_to = "::" + address_host + ":" + port;
  return request;
}

}  // namespace meridian::probes
