// server.user, server.group and server.allow_root: the account the server runs as once bound.
#pragma once

#include "conf/model.h"
#include "conf/yaml_reader.h"

namespace meridian::conf {

// Looks the user and group up in this host's account database (getpwnam, getgrnam; a number
// is taken as an ID): a name the host does not know is a ConfigError at its line, found by
// `meridian check` rather than at the drop.
void read_accounts(const YamlReader& reader, const Fields& server_fields, model::ServerSettings& server);

}  // namespace meridian::conf
