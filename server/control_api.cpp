// The control API's routes: which request gets which reply (README, "Operating Meridian").
#include "server/control_api.h"

#include <fmt/format.h>
#include <malloc.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "server/status_page.h"

namespace meridian::server {

namespace {

using nlohmann::json;

ControlReply json_reply(int status, const json& body) {
  return {status,
          "application/json",
          body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          {}};
}

ControlReply error_reply(int status, const std::string& message) {
  return json_reply(status, {{"error", message}});
}

ControlReply text_reply(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body), {}};
}

int http_status(OverrideResult::Outcome outcome) {
  switch (outcome) {
    case OverrideResult::Outcome::ok: return 200;
    case OverrideResult::Outcome::no_profile:
    case OverrideResult::Outcome::no_endpoint: return 404;
    case OverrideResult::Outcome::refused: return 409;
    case OverrideResult::Outcome::failed: break;
  }
  return 500;
}

}  // namespace

ControlApi::ControlApi(Reloader& reloader, MetricsWriter metrics, std::function<void()> after_reload)
    : reloader_(reloader),
      metrics_(std::move(metrics)),
      after_reload_(std::move(after_reload)),
      started_(Clock::now()) {}

ControlReply ControlApi::handle(const ControlRequest& request) const {
  static const std::regex override_route(R"(^/v1/profiles/([^/]+)/endpoints/([^/]+)/([^/]+)$)");
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  auto method_not_allowed = [](const char* allow) {
    auto reply = error_reply(405, fmt::format("method not allowed; use {}", allow));
    reply.allow = allow;
    return reply;
  };
  auto unauthorized = [] {
    return error_reply(401, "this call needs the control token: Authorization: Bearer <token>");
  };

  const std::string& path = request.path;
  if (path == "/" || path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/v1/status") {
    if (!get) return method_not_allowed("GET");
    // Liveness and readiness are open to every caller: a kubelet or load balancer probes from
    // off loopback without the token. They say ok/ready and nothing more; the reason a server
    // is not ready names endpoints, so only a caller that may read gets it.
    if (path == "/healthz") return text_reply(200, "ok\n");
    if (path == "/readyz") {
      auto reply = ready();
      if (reply.status != 200 && !request.may_read) reply.body = "not ready\n";
      return reply;
    }
    if (!request.may_read) return unauthorized();
    if (path == "/") return {200, "text/html; charset=utf-8", std::string(status_page_html()), {}};
    auto reply = path == "/metrics" ? metrics() : status();
    // A large config's reply is built from tens of MB of short-lived strings and JSON nodes
    // (10,000 profiles: an 80 MB status); give them back rather than keep them in the control
    // threads' malloc arenas (RSS went from 190 to 890 MB after a few scrapes).
    if (reply.body.size() > (1u << 20)) malloc_trim(0);
    return reply;
  }
  if (path == "/v1/reload") {
    if (!post) return method_not_allowed("POST");
    if (!request.may_change) return unauthorized();
    return reload();
  }
  std::smatch match;
  if (std::regex_match(path, match, override_route)) {
    if (!post) return method_not_allowed("POST");
    if (!request.may_change) return unauthorized();
    return change_override(match[1], match[2], match[3], request.force);
  }
  return error_reply(404, fmt::format("no route {}", path));
}

ControlReply ControlApi::status() const {
  return {200, "application/json", status_json(reloader_.running(), started_), {}};
}

ControlReply ControlApi::ready() const {
  // Once ready, ready for good: a reload that adds an endpoint not yet probed must not take a
  // serving replica out of its load balancer (Kubernetes acts on every 503).
  if (ready_.load()) return text_reply(200, "ready\n");
  std::string why;
  if (is_ready(reloader_.running(), &why)) {
    ready_.store(true);
    return text_reply(200, "ready\n");
  }
  return text_reply(503, "not ready: " + why + "\n");
}

ControlReply ControlApi::metrics() const {
  std::string out;
  metrics_(out, reloader_.running());
  return {200, "text/plain; version=0.0.4; charset=utf-8", std::move(out), {}};
}

ControlReply ControlApi::reload() const {
  const auto result = reloader_.reload();
  json body = {{"ok", result.ok}, {"generation", result.generation}, {"took_ms", result.took.count()}};
  if (!result.ok) {
    body["error"] = result.error;
    return json_reply(422, body);
  }
  if (after_reload_) after_reload_();
  body["zones"] = result.zones;
  body["profiles"] = result.profiles;
  body["endpoints"] = result.endpoints;
  body["kept_status"] = result.kept_status;
  body["restart_needed"] = result.restart_needed;
  return json_reply(200, body);
}

ControlReply ControlApi::change_override(const std::string& profile, const std::string& endpoint,
                                         const std::string& action_name, bool force) const {
  const auto action = parse_override_action(action_name);
  if (!action)
    return error_reply(404, fmt::format("no action {}: use drain, enable, force-up or auto", action_name));
  const auto result = reloader_.change_override(profile, endpoint, *action, force);
  json body = {{"profile", profile},
               {"endpoint", endpoint},
               {"override", probes::to_string(result.value)},
               {"status", model::to_string(result.status)},
               {"changed", result.changed}};
  if (result.outcome != OverrideResult::Outcome::ok) body["error"] = result.error;
  return json_reply(http_status(result.outcome), body);
}

}  // namespace meridian::server
