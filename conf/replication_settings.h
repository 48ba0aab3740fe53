// The `replication:` section: replicas sharing verdicts and overrides through etcd.
#pragma once

#include "conf/model.h"
#include "conf/yaml_reader.h"

namespace meridian::conf {

// Throws ConfigError (FILE:LINE: reason) for an unknown key, a missing site or etcd list, a URL
// that is not http:// or https://, or a setting out of range.
model::ReplicationSettings read_replication(const YamlReader& reader, const YAML::Node& node);

}  // namespace meridian::conf
