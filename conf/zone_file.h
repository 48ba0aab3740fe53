// Reads one RFC 1035 master file with ldns into a model::Zone.
#pragma once

#include <string>

#include "conf/model.h"

namespace meridian::conf {

// Fills zone.records from zone.file. Throws ConfigError naming the zone file and line for a
// syntax error, and the config's line (zone.line) for a zone without SOA or NS at its apex.
void read_zone_file(model::Zone& zone, const std::string& config_file);

}  // namespace meridian::conf
