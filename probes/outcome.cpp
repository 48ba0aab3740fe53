// Reasons for check results: HTTP status ranges, curl and libuv errors, timeouts.
#include "probes/outcome.h"

#include <uv.h>

#include <cerrno>
#include <cstring>

namespace meridian::probes {

std::string format_duration(model::Duration duration) {
  auto ms = duration.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

bool status_expected(long http_status, const std::vector<model::StatusRange>& expected) {
  for (const auto& range : expected)
    if (http_status >= range.low && http_status <= range.high) return true;
  return false;
}

Result timeout_result(model::Duration timeout) {
  return {false, "timeout after " + format_duration(timeout)};
}

Result bind_failure(const geo::Address& source, int status) {
  std::string reason = "cannot bind probe source " + source.to_string();
  if (status < 0) reason += std::string(": ") + uv_strerror(status);
  return {false, std::move(reason)};
}

namespace {

std::string connect_reason(long os_errno) {
  switch (os_errno) {
    case ECONNREFUSED: return "connect refused";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    case 0: return "connect failed";
    default: return std::string("connect failed: ") + std::strerror(int(os_errno));
  }
}

}  // namespace

Result judge_http(const HttpOutcome& outcome, const model::Monitor& monitor,
                  const std::optional<geo::Address>& source) {
  if (outcome.http_status > 0) {
    bool ok = status_expected(outcome.http_status, monitor.expected_status);
    return {ok, "HTTP " + std::to_string(outcome.http_status)};
  }
  switch (outcome.code) {
    case CURLE_OPERATION_TIMEDOUT: return timeout_result(monitor.timeout);
    case CURLE_COULDNT_CONNECT: return {false, connect_reason(outcome.os_errno)};
    case CURLE_INTERFACE_FAILED:
      if (source) return bind_failure(*source, uv_translate_sys_error(int(outcome.os_errno)));
      return {false, curl_easy_strerror(outcome.code)};
    case CURLE_SSL_CONNECT_ERROR: return {false, "TLS handshake failed"};
    case CURLE_PEER_FAILED_VERIFICATION: return {false, "TLS certificate verification failed"};
    case CURLE_SSL_CACERT_BADFILE: return {false, "TLS CA certificates unreadable"};
    case CURLE_GOT_NOTHING: return {false, "empty reply"};
    case CURLE_RECV_ERROR: return {false, "receive failed"};
    case CURLE_SEND_ERROR: return {false, "send failed"};
    case CURLE_WEIRD_SERVER_REPLY: return {false, "malformed HTTP reply"};
    case CURLE_URL_MALFORMAT: return {false, "malformed URL"};
    case CURLE_OK: return {false, "no HTTP status"};
    default: return {false, curl_easy_strerror(outcome.code)};
  }
}

Result judge_tcp(int status) {
  switch (status) {
    case 0: return {true, "TCP connected"};
    case UV_ECONNREFUSED: return {false, "connect refused"};
    case UV_EHOSTUNREACH: return {false, "host unreachable"};
    case UV_ENETUNREACH: return {false, "network unreachable"};
    case UV_ETIMEDOUT: return {false, "connect timed out"};
    default: return {false, std::string("connect failed: ") + uv_strerror(status)};
  }
}

}  // namespace meridian::probes
