// Who the server runs as. Started as root it binds its sockets, then becomes server.user and
// server.group before any query is read or any probe is sent; started as an ordinary user with
// CAP_NET_BIND_SERVICE (systemd's AmbientCapabilities) it binds port 53 and then gives the
// capability up. Root stays root only when the operator says so (server.allow_root, --allow-root).
#pragma once

#include <stdexcept>
#include <string>

#include "conf/model.h"

namespace meridian::server {

struct PrivilegeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Before anything is bound: throws PrivilegeError when the server must not start as it is
// (root without a user to become and without allow_root; a user it cannot become).
// `config_file` is for messages. `allow_root`: the --allow-root flag.
void check_start_privileges(const model::ServerSettings& server, const std::string& config_file,
                            bool allow_root);

// After every socket is bound, before any other thread starts: becomes the configured user
// (supplementary groups, gid, uid; all three IDs of each) and checks that root cannot be taken
// back; keeps no capability either way. Returns what the log should say; throws
// PrivilegeError when a step fails (the server must then stop: it would run as root).
std::string drop_privileges(const model::ServerSettings& server);

}  // namespace meridian::server
