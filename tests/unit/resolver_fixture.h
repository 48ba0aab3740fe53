// A Resolver running on its own libuv loop thread, as the probe thread runs it, with the
// updates it reported and helpers to wait for them; and a log capture for its log lines.
#pragma once

#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "resolver/resolver.h"
#include "tests/unit/captured_log.h"
#include "tests/unit/resolver_responder.h"

namespace resolver_test {

using namespace meridian;
using Clock = std::chrono::steady_clock;

// Polls `done` until it holds or `limit` passes: tests wait on events, never a fixed sleep.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline geo::Address address(const std::string& text) {
  auto parsed = geo::Address::parse(text);
  if (!parsed) throw std::invalid_argument("bad address " + text);
  return *parsed;
}

inline std::vector<std::string> texts(const std::vector<geo::Address>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

// What the table holds for an endpoint, as text, IPv4 first.
inline std::vector<std::string> published(const resolver::ResolvedTable& table, model::EndpointId id) {
  geo::Address out[resolver::ResolvedTable::max_addresses];
  size_t count = table.read(id, out);
  return texts(std::vector<geo::Address>(out, out + count));
}

// Options for tests: the responder as the only server, quick timeouts and retries.
inline resolver::Options test_options(const Responder& responder) {
  resolver::Options options;
  options.servers = {*geo::SocketAddress::parse(responder.server())};
  options.query_timeout = std::chrono::milliseconds(200);
  options.tries = 1;
  options.timing.retry_first = std::chrono::milliseconds(100);
  options.timing.retry_max = std::chrono::milliseconds(400);
  return options;
}

struct Seen {
  resolver::Update update;  // addresses point into `addresses`
  std::vector<geo::Address> addresses;
};

class RunningResolver {
 public:
  RunningResolver(resolver::Options options, std::vector<resolver::Target> targets, size_t table_size = 4)
      : table(std::make_shared<resolver::ResolvedTable>(table_size)) {
    thread_ = std::thread([this, options = std::move(options), targets = std::move(targets)]() mutable {
      run(std::move(options), std::move(targets));
    });
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return started_; });
    if (failure_) {
      lock.unlock();
      thread_.join();
      std::rethrow_exception(failure_);
    }
  }
  ~RunningResolver() { stop(); }
  RunningResolver(const RunningResolver&) = delete;
  RunningResolver& operator=(const RunningResolver&) = delete;

  // Destroys the resolver on its thread and joins it; no update comes afterwards.
  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&stop_);
    thread_.join();
  }

  std::vector<Seen> updates() const {
    std::lock_guard lock(mutex_);
    std::vector<Seen> copy = seen_;
    for (auto& entry : copy) entry.update.addresses = entry.addresses;
    return copy;
  }
  size_t update_count() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  Seen last() const { return updates().back(); }
  bool wait_updates(size_t count, std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    return wait_until([&] { return update_count() >= count; }, limit);
  }
  uint64_t lookups() const { return lookups_.load(); }

  std::shared_ptr<resolver::ResolvedTable> table;

 private:
  void run(resolver::Options options, std::vector<resolver::Target> targets) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_async_init(&loop, &stop_, [](uv_async_t* async) {
      auto* self = static_cast<RunningResolver*>(async->data);
      self->resolver_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
    });
    stop_.data = this;
    try {
      resolver_ = std::make_unique<resolver::Resolver>(&loop, std::move(options), std::move(targets), table,
                                                       [this](const resolver::Update& update) { record(update); });
      resolver_->start();
    } catch (...) {
      resolver_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&stop_), nullptr);
      uv_run(&loop, UV_RUN_DEFAULT);
      uv_loop_close(&loop);
      std::lock_guard lock(mutex_);
      failure_ = std::current_exception();
      started_ = true;
      ready_.notify_all();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      started_ = true;
    }
    ready_.notify_all();
    uv_run(&loop, UV_RUN_DEFAULT);
    int closed = uv_loop_close(&loop);
    if (closed != 0) std::terminate();  // a handle the resolver failed to close
  }

  void record(const resolver::Update& update) {
    Seen seen{update, std::vector<geo::Address>(update.addresses.begin(), update.addresses.end())};
    seen.update.addresses = {};
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(seen));
    lookups_.store(resolver_->lookups());
  }

  std::thread thread_;
  uv_async_t stop_{};
  std::unique_ptr<resolver::Resolver> resolver_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  bool started_ = false;
  std::exception_ptr failure_;
  std::vector<Seen> seen_;
  std::atomic<uint64_t> lookups_{0};
};

using meridian::testing::CapturedLog;

}  // namespace resolver_test
