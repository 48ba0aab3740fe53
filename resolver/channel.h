// An owned c-ares channel driven by a libuv loop: c-ares reports which sockets to watch
// (ARES_OPT_SOCK_STATE_CB), a uv_poll per socket and one uv_timer (armed from ares_timeout)
// tell it when to go on (ares_process_fd). No thread, no blocking call.
#pragma once

#include <ares.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "resolver/uv_handle.h"

namespace meridian::resolver {

struct AresChannelDeleter {
  void operator()(ares_channeldata* channel) const { ares_destroy(channel); }
};
using AresChannelPtr = std::unique_ptr<ares_channeldata, AresChannelDeleter>;

class Channel {
 public:
  // `status` is ARES_SUCCESS or an ARES_E* code; `reply` the raw response (empty without one).
  using Callback = std::function<void(int status, std::span<const uint8_t> reply)>;

  struct Settings {
    std::vector<geo::SocketAddress> servers;  // empty: /etc/resolv.conf
    model::Duration timeout = std::chrono::seconds(2);
    unsigned tries = 2;
  };

  // Throws std::runtime_error when c-ares refuses the settings.
  Channel(uv_loop_t* loop, const Settings& settings);
  // Cancels queries in flight without calling them back.
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // One query for `name` (as given: no search domains) of `type` (1 = A, 28 = AAAA), class IN.
  // `done` runs once on the loop thread; it may run before query() returns when c-ares fails
  // at once. A callback may start new queries but must not destroy the channel.
  void query(const std::string& name, int type, Callback done);

 private:
  struct Socket;
  static void on_socket_state(void* self, ares_socket_t fd, int readable, int writable);
  void watch(ares_socket_t fd, bool readable, bool writable);
  void process(ares_socket_t read_fd, ares_socket_t write_fd);
  void arm_timer();

  uv_loop_t* loop_;
  UvPtr<uv_timer_t> timer_;
  std::unordered_map<ares_socket_t, std::unique_ptr<Socket>> sockets_;
  AresChannelPtr channel_;  // last: destroyed first, while the socket map is alive for its callbacks
};

}  // namespace meridian::resolver
