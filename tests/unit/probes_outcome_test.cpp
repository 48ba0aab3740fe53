// How check observations become results and reasons: HTTP status ranges, curl and uv errors.
#include <doctest/doctest.h>
#include <uv.h>

#include <cerrno>

#include "probes/outcome.h"

using namespace meridian;
using namespace std::chrono_literals;
using probes::HttpOutcome;
using probes::judge_http;

namespace {

model::Monitor monitor_expecting(std::vector<model::StatusRange> expected) {
  model::Monitor monitor;
  monitor.expected_status = std::move(expected);
  return monitor;
}

}  // namespace

TEST_CASE("durations print as whole seconds or milliseconds") {
  CHECK(probes::format_duration(10s) == "10s");
  CHECK(probes::format_duration(150ms) == "150ms");
  CHECK(probes::format_duration(1500ms) == "1500ms");
  CHECK(probes::format_duration(0ms) == "0ms");
}

TEST_CASE("expected status ranges are inclusive at both ends") {
  std::vector<model::StatusRange> ranges{{200, 299}, {302, 302}};
  CHECK(probes::status_expected(200, ranges));
  CHECK(probes::status_expected(299, ranges));
  CHECK(probes::status_expected(302, ranges));
  CHECK_FALSE(probes::status_expected(199, ranges));
  CHECK_FALSE(probes::status_expected(300, ranges));
  CHECK_FALSE(probes::status_expected(301, ranges));
}

TEST_CASE("an expected status passes and an unexpected one fails, both named HTTP <code>") {
  model::Monitor defaults;  // expects ["200"]
  auto passed = judge_http(HttpOutcome{CURLE_OK, 200, 0}, defaults);
  CHECK(passed.ok);
  CHECK(passed.reason == "HTTP 200");
  auto failed = judge_http(HttpOutcome{CURLE_OK, 503, 0}, defaults);
  CHECK_FALSE(failed.ok);
  CHECK(failed.reason == "HTTP 503");
  CHECK_FALSE(judge_http(HttpOutcome{CURLE_OK, 204, 0}, defaults).ok);
  CHECK(judge_http(HttpOutcome{CURLE_OK, 204, 0}, monitor_expecting({{200, 299}})).ok);
}

TEST_CASE("a redirect fails unless its code is expected") {
  CHECK_FALSE(judge_http(HttpOutcome{CURLE_OK, 302, 0}, model::Monitor{}).ok);
  CHECK(judge_http(HttpOutcome{CURLE_OK, 302, 0}, monitor_expecting({{300, 399}})).ok);
}

TEST_CASE("once a status arrived, what happens to the body does not matter") {
  model::Monitor defaults;
  CHECK(judge_http(HttpOutcome{CURLE_WRITE_ERROR, 200, 0}, defaults).ok);  // cut at the limit
  CHECK(judge_http(HttpOutcome{CURLE_OPERATION_TIMEDOUT, 200, 0}, defaults).ok);
  CHECK(judge_http(HttpOutcome{CURLE_RECV_ERROR, 200, 0}, defaults).ok);
  CHECK_FALSE(judge_http(HttpOutcome{CURLE_WRITE_ERROR, 500, 0}, defaults).ok);
}

TEST_CASE("transport failures without a status get short reasons") {
  model::Monitor monitor;
  monitor.timeout = 10s;
  CHECK(judge_http(HttpOutcome{CURLE_OPERATION_TIMEDOUT, 0, 0}, monitor).reason == "timeout after 10s");
  CHECK(judge_http(HttpOutcome{CURLE_COULDNT_CONNECT, 0, ECONNREFUSED}, monitor).reason == "connect refused");
  CHECK(judge_http(HttpOutcome{CURLE_COULDNT_CONNECT, 0, EHOSTUNREACH}, monitor).reason ==
        "host unreachable");
  CHECK(judge_http(HttpOutcome{CURLE_SSL_CONNECT_ERROR, 0, 0}, monitor).reason == "TLS handshake failed");
  CHECK(judge_http(HttpOutcome{CURLE_PEER_FAILED_VERIFICATION, 0, 0}, monitor).reason ==
        "TLS certificate verification failed");
  CHECK(judge_http(HttpOutcome{CURLE_GOT_NOTHING, 0, 0}, monitor).reason == "empty reply");
  for (auto code : {CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR,
                    CURLE_GOT_NOTHING, CURLE_OK, CURLE_ABORTED_BY_CALLBACK})
    CHECK_FALSE(judge_http(HttpOutcome{code, 0, 0}, monitor).ok);
}

TEST_CASE("TCP connects: success, refused, other errors, timeouts") {
  CHECK(probes::judge_tcp(0).ok);
  CHECK(probes::judge_tcp(0).reason == "TCP connected");
  CHECK_FALSE(probes::judge_tcp(UV_ECONNREFUSED).ok);
  CHECK(probes::judge_tcp(UV_ECONNREFUSED).reason == "connect refused");
  CHECK(probes::judge_tcp(UV_ENETUNREACH).reason == "network unreachable");
  CHECK(probes::judge_tcp(UV_EACCES).reason.starts_with("connect failed: "));
  auto timeout = probes::timeout_result(250ms);
  CHECK_FALSE(timeout.ok);
  CHECK(timeout.reason == "timeout after 250ms");
}

TEST_CASE("a probe source that cannot be bound is named in the reason, from curl and from libuv") {
  const auto source = *geo::Address::parse("192.0.2.1");
  const auto http =
      judge_http(HttpOutcome{CURLE_INTERFACE_FAILED, 0, EADDRNOTAVAIL}, model::Monitor{}, source);
  CHECK_FALSE(http.ok);
  CHECK(http.reason == "cannot bind probe source 192.0.2.1: address not available");
  CHECK(probes::bind_failure(source, UV_EADDRNOTAVAIL).reason == http.reason);
  CHECK(probes::bind_failure(source, 0).reason == "cannot bind probe source 192.0.2.1");
}
