// What the replication system tests share: a lone replica's config and its /v1/status view.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"
#include "http_client.h"

namespace meridian::test {

// One replica of one endpoint at `backend_port`, on the etcd at `etcd_url`, with `extra`
// (indented replication lines: credentials, TLS) added to its replication section.
inline std::string lone_replica(const std::string& site, const std::string& etcd_url, const std::string& extra,
                         uint16_t backend_port) {
  return fill(R"(
replication:
  site: SITE
  etcd: [ETCD]
  lease_ttl: 2s
  timeout: 500ms
EXTRA
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    monitor: {protocol: http, path: /healthz, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PORT}}
)",
              {{"SITE", site}, {"ETCD", etcd_url}, {"EXTRA", extra}, {"PORT", std::to_string(backend_port)}});
}

inline nlohmann::json replication_of(Server& server) {
  const auto reply = http_get(server.control_port(), "/v1/status");
  REQUIRE(reply.status == 200);
  return nlohmann::json::parse(reply.body)["replication"];
}

}  // namespace meridian::test
