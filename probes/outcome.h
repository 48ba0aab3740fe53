// Turns what a check observed (curl code, HTTP status, uv error) into a Result with a short,
// stable reason an operator can read in a log line.
#pragma once

#include <curl/curl.h>

#include <string>
#include <vector>

#include "conf/model.h"
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
// Redirects are not followed, so a 302 is judged like any other status.
Result judge_http(const HttpOutcome& outcome, const model::Monitor& monitor);

// `status` is the libuv connect status (0 or a negative UV_E* code).
Result judge_tcp(int status);

Result timeout_result(model::Duration timeout);

}  // namespace meridian::probes
