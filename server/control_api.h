// The control API's requests and replies, without HTTP: server/control_server.h carries them
// over cpp-httplib; this part decides what each route answers, so tests and the server share it.
//
// Routes (README, "Operating Meridian"):
//   GET  /                       the status page (HTML)
//   GET  /healthz                200 while the process runs
//   GET  /readyz                 200 once the config is loaded and every probed endpoint has a
//                                first verdict; from then on 200 (reloads do not undo it)
//   GET  /metrics                Prometheus text exposition 0.0.4
//   GET  /v1/status              JSON: config, reloads, every profile and endpoint, recent changes
//   POST /v1/reload              reload as SIGHUP does; the reply carries the outcome
//   POST /v1/profiles/P/endpoints/E/{drain|enable|force-up|auto}[?force=true]
// Errors are JSON, {"error": "..."}: 401 without the token where one is needed, 404 for an
// unknown route, profile or endpoint, 405 for a method a route does not take, 409 for a refused
// override.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "server/reload.h"

namespace meridian::server {

struct ControlRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded, without the query
  bool force = false;  // ?force=true
  // Whether the caller may read (a loopback client, or the token) and change (the token, or
  // a loopback client when no token is configured).
  bool may_read = false;
  bool may_change = false;
};

struct ControlReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // for 405: the methods the route takes
};

// The counters /metrics reports that live outside the Reloader (DNS workers' counters).
using MetricsWriter = std::function<void(std::string& out, const Running& running)>;

class ControlApi {
 public:
  // `after_reload` runs on the request's thread after each successful POST /v1/reload.
  ControlApi(Reloader& reloader, MetricsWriter metrics, std::function<void()> after_reload = {});
  ControlReply handle(const ControlRequest& request) const;

 private:
  ControlReply status() const;
  ControlReply ready() const;
  ControlReply metrics() const;
  ControlReply reload() const;
  ControlReply change_override(const std::string& profile, const std::string& endpoint,
                               const std::string& action, bool force) const;

  Reloader& reloader_;
  MetricsWriter metrics_;
  std::function<void()> after_reload_;
  const Clock::time_point started_;
  mutable std::atomic<bool> ready_{false};  // /readyz said 200 once
};

// What /v1/status answers (nlohmann::json's dump), built from a consistent view.
std::string status_json(const Running& running, Clock::time_point started);
// Whether every enabled profile has a first verdict for each of its probed endpoints.
bool is_ready(const Running& running, std::string* why = nullptr);

}  // namespace meridian::server
