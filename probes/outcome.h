// Turns what a check observed (curl code, HTTP status, uv error) into a Result with a short,
// stable reason an operator can read in a log line.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "probes/result.h"

namespace meridian::probes {

// "10s" for whole seconds, else "1500ms".
std::string format_duration(model::Duration duration);

bool status_expected(long http_status, const std::vector<model::StatusRange>& expected);

// What one HTTP(S) transfer ended with.
struct HttpOutcome {
  CURLcode code = CURLE_OK;
  long http_status = 0;  // CURLINFO_RESPONSE_CODE: 0 when no status line arrived
  long os_errno = 0;     // CURLINFO_OS_ERRNO
};

// The status is all that matters: once a status line arrived, the verdict is whether it is
// expected, whatever happened to the body afterwards (cut at our size limit, timed out, reset).
// Redirects are not followed, so a 302 is judged like any other status. `source` is the probe
// source the transfer was to bind (CURLOPT_INTERFACE), named when that failed.
Result judge_http(const HttpOutcome& outcome, const model::Monitor& monitor,
                  const std::optional<geo::Address>& source = std::nullopt);

// `status` is the libuv connect status (0 or a negative UV_E* code).
Result judge_tcp(int status);

Result timeout_result(model::Duration timeout);

// The probe source could not be bound (not an address of this host, say): a failed connect.
// `status` is a libuv error code (negative), or 0 when the cause is unknown.
Result bind_failure(const geo::Address& source, int status);

}  // namespace meridian::probes
