// Owning wrappers for libuv, shared by resolver/ and probes/ (which sits above it): a handle is
// closed with uv_close and freed only in its close callback (libuv may still touch it until
// then); the loop closes itself once drained.
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

// The handle is initialised; destroying the pointer closes it (the loop must run afterwards
// for the memory to be freed).
template <typename Handle>
using UvPtr = std::unique_ptr<Handle, UvCloser<Handle>>;

inline void uv_check(int status, const char* what) {
  if (status < 0) throw std::runtime_error(std::string(what) + ": " + uv_strerror(status));
}

inline UvPtr<uv_timer_t> make_timer(uv_loop_t* loop, void* data) {
  auto timer = std::make_unique<uv_timer_t>();
  uv_check(uv_timer_init(loop, timer.get()), "uv_timer_init");
  timer->data = data;
  return UvPtr<uv_timer_t>(timer.release());
}

inline UvPtr<uv_async_t> make_async(uv_loop_t* loop, uv_async_cb callback, void* data) {
  auto handle = std::make_unique<uv_async_t>();
  uv_check(uv_async_init(loop, handle.get(), callback), "uv_async_init");
  handle->data = data;
  return UvPtr<uv_async_t>(handle.release());
}

// Empty when libuv refuses the fd.
inline UvPtr<uv_poll_t> make_poll(uv_loop_t* loop, uv_os_sock_t socket, void* data) {
  auto handle = std::make_unique<uv_poll_t>();
  if (uv_poll_init_socket(loop, handle.get(), socket) < 0) return nullptr;
  handle->data = data;
  return UvPtr<uv_poll_t>(handle.release());
}

inline UvPtr<uv_tcp_t> make_tcp(uv_loop_t* loop, void* data) {
  auto handle = std::make_unique<uv_tcp_t>();
  uv_check(uv_tcp_init(loop, handle.get()), "uv_tcp_init");
  handle->data = data;
  return UvPtr<uv_tcp_t>(handle.release());
}

// Destroy every handle owner first: the deleter closes stragglers (without freeing them: their
// owners are gone or leaked already), runs the pending close callbacks, then closes the loop.
struct UvLoopDeleter {
  void operator()(uv_loop_t* loop) const {
    uv_walk(
        loop,
        [](uv_handle_t* handle, void*) {
          if (!uv_is_closing(handle)) uv_close(handle, nullptr);
        },
        nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    delete loop;
  }
};
using UvLoopPtr = std::unique_ptr<uv_loop_t, UvLoopDeleter>;

inline UvLoopPtr make_loop() {
  auto loop = std::make_unique<uv_loop_t>();
  uv_check(uv_loop_init(loop.get()), "uv_loop_init");
  return UvLoopPtr(loop.release());
}

}  // namespace meridian::resolver
