// `meridian ctl`: the control API from the command line, tables for people and --json for scripts.
#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "conf/config.h"
#include "server/server.h"

namespace meridian::server {

namespace {

using nlohmann::json;

std::string trimmed_file(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = fmt::format("--token-file {}: cannot read it", path);
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
}

// A path segment with everything but unreserved characters (RFC 3986 2.3) percent-encoded.
std::string percent_encoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string text_or(const json& value, const char* fallback = "-") {
  if (value.is_null()) return fallback;
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// Columns padded to their widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    fmt::print("{}\n", line);
  }
}

std::string answer_text(const json& answer) {
  if (answer.value("kind", "") == "nodata") return "NODATA";
  std::vector<std::string> parts;
  const auto& records = answer["records"];
  const auto& endpoints = answer["endpoints"];
  for (size_t i = 0; i < records.size(); ++i)
    parts.push_back(
        fmt::format("{} ({})", text_or(records[i]), i < endpoints.size() ? text_or(endpoints[i]) : "?"));
  std::string text = answer.value("kind", "") == "cname" ? "CNAME " : "";
  for (size_t i = 0; i < parts.size(); ++i) text += (i ? ", " : "") + parts[i];
  return text;
}

void print_status(const json& status) {
  const auto& config = status["config"];
  fmt::print("meridian {}  config {}  generation {}  loaded {}\n", text_or(status["version"]),
             text_or(config["file"]), text_or(config["generation"]), text_or(config["loaded_at"]));
  const auto& reload = status["last_reload"];
  if (!reload.is_null())
    fmt::print("last reload: {} at {}{}\n", reload.value("ok", false) ? "ok" : "FAILED",
               text_or(reload["at"]), reload["error"].is_null() ? "" : ": " + text_or(reload["error"]));
  fmt::print("ready: {}  health generation {}  state file {}\n\n",
             status.value("ready", false) ? "yes" : "no", text_or(status["health_generation"]),
             text_or(status["state_file"], "none (overrides kept in memory)"));
  const json& replication = status.value("replication", json());
  if (replication.is_object()) {
    std::string sites;
    for (const auto& site : replication["live_sites"]) sites += (sites.empty() ? "" : ", ") + text_or(site);
    fmt::print("replication: site {}  etcd {} {} since {}  live sites: {}\n\n", text_or(replication["site"]),
               text_or(replication["etcd"]), replication.value("connected", false) ? "connected" : "UNREACHABLE",
               text_or(replication["since"]), sites);
    if (replication.value("probes_stalled", false))
      fmt::print(
          "NOT VOTING: the probe loop has stalled; this site's verdicts are withdrawn until it runs "
          "again\n\n");
    else if (replication.value("connected", false) && !replication.value("voting", true))
      fmt::print("NOT VOTING: another replica (lease {}) holds site {}; every site name must be unique\n\n",
                 text_or(replication["site_held_by"]), text_or(replication["site"]));
  }
  std::vector<std::vector<std::string>> rows{
      {"PROFILE", "ENDPOINT", "TARGET", "STATUS", "PROBES", "OVERRIDE", "REASON", "LAST CHANGE"}};
  if (replication.is_object()) rows.front().insert(rows.front().begin() + 5, "SITES");
  for (const auto& profile : status["profiles"]) {
    for (const auto& endpoint : profile["endpoints"]) {
      std::string target = text_or(endpoint["target"]);
      if (!endpoint["child_profile"].is_null()) target = "profile " + text_or(endpoint["child_profile"]);
      const std::string value = text_or(endpoint["override"]);
      rows.push_back({text_or(profile["name"]), text_or(endpoint["name"]), target,
                      text_or(endpoint["status"]), text_or(endpoint["probe_status"]),
                      value == "none" ? "-" : value, text_or(endpoint["reason"], ""),
                      text_or(endpoint["last_change"])});
      if (replication.is_object()) {
        // The votes the combined verdict counted: "2 online, 1 degraded".
        const json& combined = endpoint.value("combined", json());
        const std::string votes = combined.is_object() ? fmt::format("{} online, {} degraded",
                                                                     combined.value("online", 0), combined.value("degraded", 0))
                                                       : "-";
        rows.back().insert(rows.back().begin() + 5, votes);
      }
    }
  }
  print_table(rows);
  fmt::print("\n");
  std::vector<std::vector<std::string>> answers{{"PROFILE", "NAME", "A", "AAAA"}};
  for (const auto& profile : status["profiles"])
    answers.push_back({text_or(profile["name"]), text_or(profile["fqdn"]),
                       answer_text(profile["answer"]["A"]), answer_text(profile["answer"]["AAAA"])});
  print_table(answers);
}

}  // namespace

int ctl(const CtlOptions& options) {
  std::string control = options.control;
  std::string token_file = options.token_file;
  if (!options.config_file.empty()) {
    try {
      const auto config = conf::load(options.config_file);
      if (control.empty() && config->server.control) control = config->server.control->to_string();
      if (token_file.empty()) token_file = config->server.control_token_file;
    } catch (const std::exception& error) {
      fmt::print(stderr, "{}\n", error.what());
      return 1;
    }
  }
  if (control.empty()) control = "127.0.0.1:8053";
  const auto address = geo::SocketAddress::parse(control);
  if (!address) {
    fmt::print(stderr, "--control \"{}\" is not ADDRESS:PORT\n", control);
    return 1;
  }
  std::string token;
  if (!token_file.empty()) {
    std::string error;
    token = trimmed_file(token_file, &error);
    if (!error.empty()) {
      fmt::print(stderr, "{}\n", error);
      return 1;
    }
  }

  std::string path;
  bool post = true;
  if (options.command == "status") {
    path = "/v1/status";
    post = false;
  } else if (options.command == "reload") {
    path = "/v1/reload";
  } else {
    const auto slash = options.target.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == options.target.size()) {
      fmt::print(stderr, "ctl {}: name the endpoint as PROFILE/ENDPOINT\n", options.command);
      return 1;
    }
    path = fmt::format("/v1/profiles/{}/endpoints/{}/{}", percent_encoded(options.target.substr(0, slash)),
                       percent_encoded(options.target.substr(slash + 1)), options.command);
    if (options.force) path += "?force=true";
  }

  httplib::Client client(address->address.to_string(), address->port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);  // a reload of a large config takes seconds
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto reply = post ? client.Post(path, headers, "", "application/json") : client.Get(path, headers);
  if (!reply) {
    fmt::print(stderr, "cannot reach the control API at {}: {}\n", address->to_string(),
               httplib::to_string(reply.error()));
    return 1;
  }
  json body;
  try {
    body = json::parse(reply->body);
  } catch (const json::exception&) {
    fmt::print(stderr, "HTTP {} from {}: {}\n", reply->status, address->to_string(), reply->body);
    return 1;
  }
  const bool ok = reply->status == 200;
  if (options.json) {
    fmt::print("{}\n", body.dump(2));
  } else if (!ok) {
    fmt::print(stderr, "error: {}\n", text_or(body["error"], reply->body.c_str()));
  } else if (options.command == "status") {
    print_status(body);
  } else if (options.command == "reload") {
    fmt::print("reloaded: generation {}, {} zones, {} profiles, {} endpoints, {} kept their status, {} ms\n",
               text_or(body["generation"]), text_or(body["zones"]), text_or(body["profiles"]),
               text_or(body["endpoints"]), text_or(body["kept_status"]), text_or(body["took_ms"]));
    for (const auto& setting : body["restart_needed"])
      fmt::print("{} changed: restart to apply\n", text_or(setting));
  } else {
    fmt::print("{}: override {}, status {}{}\n", options.target, text_or(body["override"]),
               text_or(body["status"]), body.value("changed", false) ? "" : " (unchanged)");
  }
  if (!ok && options.json) fmt::print(stderr, "error: {}\n", text_or(body["error"], reply->body.c_str()));
  return ok ? 0 : 1;
}

}  // namespace meridian::server
