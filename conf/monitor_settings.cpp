// Parses `monitor:` mappings and applies Azure Traffic Manager's monitor defaults.
#include "conf/monitor_settings.h"

#include <charconv>

#include <fmt/format.h>

namespace meridian::conf {
namespace {

template <typename T>
void take(std::optional<T>& into, const std::optional<T>& from) {
  if (from) into = from;
}

model::StatusRange read_status_range(const YamlReader& reader, const YAML::Node& node) {
  const auto text = reader.string(node, "expected_status entry");
  const auto dash = text.find('-');
  auto number = [&](std::string_view part) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (error != std::errc{} || end != part.data() + part.size() || part.empty() || value < 100 ||
        value > 599)
      reader.fail(node, fmt::format("expected_status \"{}\" is not a status code or range "
                                    "such as 200 or 200-299", text));
    return static_cast<uint16_t>(value);
  };
  const std::string_view view(text);
  model::StatusRange range;
  range.low = number(view.substr(0, dash));
  range.high = dash == std::string::npos ? range.low : number(view.substr(dash + 1));
  if (range.high < range.low)
    reader.fail(node, fmt::format("expected_status range \"{}\" is backwards", text));
  return range;
}

}  // namespace

MonitorSettings MonitorSettings::merged_with(const MonitorSettings& over) const {
  MonitorSettings result = *this;
  take(result.protocol, over.protocol);
  take(result.port, over.port);
  take(result.path, over.path);
  take(result.headers, over.headers);
  take(result.interval, over.interval);
  take(result.timeout, over.timeout);
  take(result.tolerated_failures, over.tolerated_failures);
  take(result.healthy_threshold, over.healthy_threshold);
  take(result.expected_status, over.expected_status);
  take(result.tls_verify, over.tls_verify);
  if (over.interval || over.timeout) result.line = over.line;
  return result;
}

MonitorSettings read_monitor(const YamlReader& reader, const YAML::Node& node) {
  const auto f = reader.check_keys(node,
                    {"protocol", "port", "path", "headers", "interval", "timeout",
                     "tolerated_failures", "healthy_threshold", "expected_status", "tls_verify"},
                    "monitor");
  MonitorSettings settings;
  settings.line = YamlReader::line_of(node);
  if (const auto& n = f["protocol"]) {
    const auto text = reader.string(n, "monitor protocol");
    if (text == "http") settings.protocol = model::MonitorProtocol::http;
    else if (text == "https") settings.protocol = model::MonitorProtocol::https;
    else if (text == "tcp") settings.protocol = model::MonitorProtocol::tcp;
    else if (text == "none") settings.protocol = model::MonitorProtocol::none;
    else reader.fail(n, fmt::format("monitor protocol \"{}\" is not http, https, tcp or none", text));
  }
  if (const auto& n = f["port"]) settings.port = reader.integer(n, "monitor port", 1, 65535);
  if (const auto& n = f["path"]) {
    settings.path = reader.string(n, "monitor path");
    if (!settings.path->starts_with('/')) reader.fail(n, "monitor path must start with /");
  }
  if (const auto& n = f["headers"]) {
    reader.require_map(n, "monitor headers");
    settings.headers.emplace();
    for (const auto& entry : n)
      settings.headers->emplace_back(reader.string(entry.first, "header name"),
                                     reader.string(entry.second, "header value"));
  }
  if (const auto& n = f["interval"]) {
    settings.interval = reader.duration(n, "monitor interval");
    if (*settings.interval < std::chrono::milliseconds(50))
      reader.fail(n, "monitor interval must be at least 50ms");
  }
  if (const auto& n = f["timeout"]) {
    settings.timeout = reader.duration(n, "monitor timeout");
    if (settings.timeout->count() == 0) reader.fail(n, "monitor timeout must be above zero");
  }
  if (const auto& n = f["tolerated_failures"])
    settings.tolerated_failures = reader.integer(n, "tolerated_failures", 0, 9);
  if (const auto& n = f["healthy_threshold"])
    settings.healthy_threshold = reader.integer(n, "healthy_threshold", 1, 10);
  if (const auto& n = f["expected_status"]) {
    reader.require_sequence(n, "expected_status");
    if (n.size() == 0) reader.fail(n, "expected_status is empty");
    settings.expected_status.emplace();
    for (const auto& entry : n) settings.expected_status->push_back(read_status_range(reader, entry));
  }
  if (const auto& n = f["tls_verify"]) settings.tls_verify = reader.boolean(n, "tls_verify");
  return settings;
}

model::Monitor resolve_monitor(const YamlReader& reader, const MonitorSettings& settings) {
  model::Monitor monitor;
  if (settings.protocol) monitor.protocol = *settings.protocol;
  monitor.port = settings.port.value_or(monitor.protocol == model::MonitorProtocol::https ? 443 : 80);
  if (settings.path) monitor.path = *settings.path;
  if (settings.headers) monitor.headers = *settings.headers;
  if (settings.interval) monitor.interval = *settings.interval;
  // Azure: 10s, but always below the interval (9s at a 10s interval).
  monitor.timeout = settings.timeout.value_or(
      std::min<model::Duration>(std::chrono::seconds(10), monitor.interval * 9 / 10));
  if (monitor.timeout >= monitor.interval)
    throw ConfigError(reader.file(), settings.line,
                      fmt::format("monitor timeout {}ms must be below its interval {}ms",
                                  monitor.timeout.count(), monitor.interval.count()));
  if (settings.tolerated_failures) monitor.tolerated_failures = *settings.tolerated_failures;
  if (settings.healthy_threshold) monitor.healthy_threshold = *settings.healthy_threshold;
  if (settings.expected_status) monitor.expected_status = *settings.expected_status;
  if (settings.tls_verify) monitor.tls_verify = *settings.tls_verify;
  return monitor;
}

}  // namespace meridian::conf
