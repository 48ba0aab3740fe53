// /metrics: Prometheus text exposition format 0.0.4, every metric listed in the README
// ("Operating Meridian"). Counters are summed at scrape time from per-thread slots
// (server/counters.h): a scrape reads relaxed atomics and never waits for, or slows, a query.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/reload.h"
#include "server/worker.h"

namespace meridian::server {

void write_metrics(std::string& out, const Running& running,
                   const std::vector<std::unique_ptr<Worker>>& workers);

// A label value escaped as the exposition format wants (backslash, quote, newline).
std::string escape_label(std::string_view value);

}  // namespace meridian::server
