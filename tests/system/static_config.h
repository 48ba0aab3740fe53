// The config most system tests serve: the example.test and other.test fixture zones.
#pragma once

namespace meridian::test {

inline constexpr const char* static_config = R"(
server:
  workers: 2
  nsid: replica-7
  tcp_idle_timeout: 500ms
zones:
  - origin: example.test
    file: {ZONES}/example.test.zone
  - origin: other.test
    file: {ZONES}/other.test.zone
)";

}  // namespace meridian::test
