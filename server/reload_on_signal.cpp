// The SIGHUP handler: queues a reload on libuv's thread pool, one at a time; and after any reload,
// collects the replaced snapshot.
#include "server/reload_on_signal.h"

#include "server/service_manager.h"

#include <spdlog/spdlog.h>

#include <csignal>

namespace meridian::server {

ReloadOnSignal::ReloadOnSignal(uv_loop_t* loop, Reloader& reloader) : reloader_(reloader), loop_(loop) {
  uv_signal_init(loop_, &signal_);
  uv_timer_init(loop_, &collect_);
  uv_async_init(loop_, &reloaded_elsewhere_,
                [](uv_async_t* async) { static_cast<ReloadOnSignal*>(async->data)->start_collecting(); });
  reloaded_elsewhere_.data = this;
  signal_.data = this;
  work_.data = this;
  collect_.data = this;
  uv_signal_start(
      &signal_, [](uv_signal_t* handle, int) { static_cast<ReloadOnSignal*>(handle->data)->on_signal(); },
      SIGHUP);
}

void ReloadOnSignal::close() {
  if (closed_) return;
  closed_ = true;
  pending_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&signal_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&collect_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&reloaded_elsewhere_), nullptr);
}

void ReloadOnSignal::reloaded() {
  uv_async_send(&reloaded_elsewhere_);
}

void ReloadOnSignal::start_collecting() {
  if (closed_) return;
  // Workers move to the new snapshot at their next batch: soon under traffic, at their next
  // query when idle, so look again every second until the old one is gone.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&collect_)))
    uv_timer_start(
        &collect_, [](uv_timer_t* timer) { static_cast<ReloadOnSignal*>(timer->data)->on_collect(); }, 100,
        1000);
}

void ReloadOnSignal::on_signal() {
  if (running_) {
    if (!pending_) spdlog::info("server: SIGHUP received during a reload; reloading again after it");
    pending_ = true;
    return;
  }
  spdlog::info("server: SIGHUP received; reloading");
  begin();
}

void ReloadOnSignal::begin() {
  running_ = true;
  notify_reloading();
  uv_queue_work(
      loop_, &work_, [](uv_work_t* work) { static_cast<ReloadOnSignal*>(work->data)->reloader_.reload(); },
      [](uv_work_t* work, int) { static_cast<ReloadOnSignal*>(work->data)->on_done(); });
}

void ReloadOnSignal::on_done() {
  running_ = false;
  if (closed_) return;
  notify_ready("reloaded");  // whether or not the new config was good, the server answers
  start_collecting();
  if (!pending_) return;
  pending_ = false;
  begin();
}

void ReloadOnSignal::on_collect() {
  if (reloader_.collect() != 0) return;
  uv_timer_stop(&collect_);
  spdlog::info("server: replaced snapshots released");
}

}  // namespace meridian::server
