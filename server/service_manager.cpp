// sd_notify(3) from libsystemd: it finds $NOTIFY_SOCKET (a path or an abstract socket) and
// sends one datagram; a failure is logged once and never stops the server.
#include "server/service_manager.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <chrono>
#include <cstring>

namespace meridian::server {
namespace {

void send(const std::string& state) {
  const int sent = sd_notify(0, state.c_str());
  static std::atomic<bool> warned{false};
  if (sent < 0 && !warned.exchange(true))
    spdlog::warn("server: could not notify the service manager: {}", std::strerror(-sent));
}

}  // namespace

void notify_ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
}

void notify_reloading() {
  // MONOTONIC_USEC lets a manager that understands Type=notify-reload match READY to this reload.
  // steady_clock is CLOCK_MONOTONIC on Linux, the clock systemd means.
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  send("RELOADING=1\nMONOTONIC_USEC=" +
       std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()));
}

void notify_stopping() {
  send("STOPPING=1");
}

}  // namespace meridian::server
