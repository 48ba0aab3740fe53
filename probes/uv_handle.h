// probes/ uses resolver/'s owning wrappers for libuv handles: one copy for both modules.
#pragma once

#include "resolver/uv_handle.h"

namespace meridian::probes {

using resolver::make_async;
using resolver::make_loop;
using resolver::make_poll;
using resolver::make_tcp;
using resolver::make_timer;
using resolver::uv_check;
using resolver::UvCloser;
using resolver::UvLoopDeleter;
using resolver::UvLoopPtr;
using resolver::UvPtr;

}  // namespace meridian::probes
