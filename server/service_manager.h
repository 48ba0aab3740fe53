// Tells systemd (Type=notify) where the server is in its life: ready once it answers, reloading
// while a SIGHUP reload runs, stopping on the way out. Without $NOTIFY_SOCKET each call does
// nothing, so `serve` behaves the same outside systemd.
#pragma once

#include <string>

namespace meridian::server {

void notify_ready(const std::string& status);
void notify_reloading();
void notify_stopping();

}  // namespace meridian::server
