// What the control API's system tests share: the two-endpoint config whose answer only overrides
// move, and polling for a state with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace meridian::test {

// web.example.test, priority: primary 127.0.0.11, then secondary 127.0.0.12, both always_serve
// (no probes), beside the zone's static names. {ZONES} as Server expects it.
inline constexpr const char* two_endpoints = R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    ttl: 5
    endpoints:
      - {name: primary, target: 127.0.0.11, always_serve: true}
      - {name: secondary, target: 127.0.0.12, always_serve: true}
)";

// Polls `done` until it holds or `deadline` passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace, not synchronisation
  }
}

}  // namespace meridian::test
