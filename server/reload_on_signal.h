// SIGHUP -> Reloader::reload(), run on libuv's thread pool so that the main loop keeps handling
// signals (SIGTERM during a long reload) and no DNS worker ever waits for it.
//
// One reload at a time: SIGHUPs that arrive while one runs are coalesced into one more reload
// after it, which reads the file as it is by then. After a reload, a timer on the main loop
// frees the replaced snapshot once the workers have let go of it (Reloader::collect()).
#pragma once

#include <uv.h>

#include "server/reload.h"

namespace meridian::server {

class ReloadOnSignal {
 public:
  // Starts watching SIGHUP on `loop` (the main thread's). `reloader` must outlive the loop run.
  ReloadOnSignal(uv_loop_t* loop, Reloader& reloader);
  ReloadOnSignal(const ReloadOnSignal&) = delete;
  ReloadOnSignal& operator=(const ReloadOnSignal&) = delete;

  // Stops watching and collecting; no reload starts after this. One under way finishes: run
  // the loop until it has no more handles or requests before destroying this object.
  void close();
  // A reload ran on another thread (POST /v1/reload): collect what it replaced, as after a
  // SIGHUP. Thread-safe; does nothing once closed.
  void reloaded();

 private:
  void on_signal();
  void on_done();
  void begin();
  void on_collect();
  void start_collecting();

  Reloader& reloader_;
  uv_loop_t* loop_;
  uv_signal_t signal_{};
  uv_work_t work_{};
  uv_timer_t collect_{};
  uv_async_t reloaded_elsewhere_{};
  bool running_ = false;  // a reload is on the thread pool
  bool pending_ = false;  // SIGHUP came during it
  bool closed_ = false;
};

}  // namespace meridian::server
