// Reads a latency table (CSV: client_cidr,location,rtt_ms) for performance routing.
#pragma once

#include <memory>
#include <string>

#include "conf/model.h"

namespace meridian::conf {

// Throws ConfigError naming the CSV file and line.
std::shared_ptr<const model::LatencyTable> read_latency_table(const std::string& path);

}  // namespace meridian::conf
