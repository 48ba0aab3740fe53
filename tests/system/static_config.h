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

// other.test, as a second zone next to a test's own: a name server and a host with addresses.
inline constexpr const char* other_test_zone = R"($ORIGIN other.test.
$TTL 600
@       IN SOA ns hostmaster 1 7200 3600 1209600 60
        IN NS  ns
ns      IN A   192.0.2.250
www     IN A   192.0.2.30
)";

}  // namespace meridian::test
