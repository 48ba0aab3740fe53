// Names of the admin overrides, as the control API, the state file and the logs spell them.
#include "probes/health_table.h"

namespace meridian::probes {

const char* to_string(Override value) {
  switch (value) {
    case Override::drain: return "drain";
    case Override::force_up: return "force-up";
    case Override::none: break;
  }
  return "none";
}

}  // namespace meridian::probes
