// Owning wrappers for the libuv handles the resolver uses (a timer per target, a poll per c-ares
// socket): closed with uv_close and freed only in the close callback, when libuv is done with them.
//
// A twin of probes/uv_handle.h: resolver/ sits below probes/ and cannot include it.
#pragma once

#include <uv.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace meridian::resolver {

template <typename Handle>
struct UvCloser {
  void operator()(Handle* handle) const {
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
  }
};

// An initialised handle; destroying the pointer closes it (the loop must run for the memory
// to be freed).
template <typename Handle>
using UvPtr = std::unique_ptr<Handle, UvCloser<Handle>>;

inline UvPtr<uv_timer_t> make_timer(uv_loop_t* loop, void* data) {
  auto timer = std::make_unique<uv_timer_t>();
  if (int status = uv_timer_init(loop, timer.get()); status < 0)
    throw std::runtime_error(std::string("uv_timer_init: ") + uv_strerror(status));
  timer->data = data;
  return UvPtr<uv_timer_t>(timer.release());
}

// Empty when libuv refuses the socket.
inline UvPtr<uv_poll_t> make_poll(uv_loop_t* loop, uv_os_sock_t socket, void* data) {
  auto poll = std::make_unique<uv_poll_t>();
  if (uv_poll_init_socket(loop, poll.get(), socket) < 0) return nullptr;
  poll->data = data;
  return UvPtr<uv_poll_t>(poll.release());
}

}  // namespace meridian::resolver
