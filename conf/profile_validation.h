// Checks on traffic profiles that need the whole config (routing rules, nesting, zones).
#pragma once

#include "conf/model.h"

namespace meridian::conf {

// Called by the loader after every profile and zone is parsed. Throws ConfigError
// ("FILE:LINE: reason") at the first rule a profile breaks; may fill in derived fields
// (child_index).
void validate_profiles(model::Config& config);

}  // namespace meridian::conf
