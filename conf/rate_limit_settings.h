// The `rrl:` section: response rate limiting on UDP.
#pragma once

#include "conf/model.h"
#include "conf/yaml_reader.h"

namespace meridian::conf {

// Throws ConfigError (FILE:LINE: reason) for an unknown key or a value out of range.
model::RateLimitSettings read_rate_limit(const YamlReader& reader, const YAML::Node& node);

}  // namespace meridian::conf
