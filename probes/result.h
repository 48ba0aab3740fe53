// The outcome of one health check, as every checker reports it and the verdict consumes it.
#pragma once

#include <string>

namespace meridian::probes {

struct Result {
  bool ok = false;
  std::string reason;  // "HTTP 200", "HTTP 503", "connect refused", "timeout after 10s", ...
};

}  // namespace meridian::probes
