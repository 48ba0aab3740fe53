// One uv_tcp_connect per check, raced against a uv_timer; whichever ends first decides.
#include "probes/tcp_checker.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

#include "probes/outcome.h"
#include "probes/target.h"

namespace meridian::probes {

// The connect request outlives the attempt when the attempt ends first: closing the socket
// makes libuv call it back with UV_ECANCELED, and that callback frees it (its data is cleared
// so it knows the attempt is gone).
struct TcpChecker::Attempt {
  TcpChecker* owner = nullptr;
  Callback done;
  model::Duration timeout{};
  std::optional<Result> early;  // a connect that failed before starting, reported via the timer
  UvPtr<uv_timer_t> timer;
  UvPtr<uv_tcp_t> tcp;
  uv_connect_t* connect = nullptr;

  ~Attempt() {
    if (connect != nullptr) connect->data = nullptr;
  }
};

namespace {

sockaddr_storage socket_address(const geo::Address& address, uint16_t port) {
  sockaddr_storage storage{};
  if (address.family == geo::Family::v4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.bytes.data(), 4);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
  }
  return storage;
}

}  // namespace

TcpChecker::TcpChecker(uv_loop_t* loop, std::vector<geo::Address> sources)
    : loop_(loop), sources_(std::move(sources)) {}
TcpChecker::~TcpChecker() = default;

void TcpChecker::check(const geo::Address& address, uint16_t port, model::Duration timeout, Callback done) {
  auto owned = std::make_unique<Attempt>();
  Attempt* attempt = owned.get();
  attempt->owner = this;
  attempt->done = std::move(done);
  attempt->timeout = timeout;
  attempt->timer = make_timer(loop_, attempt);
  attempt->tcp = make_tcp(loop_, attempt);
  attempts_.emplace(attempt, std::move(owned));

  auto on_timer = [](uv_timer_t* timer) {
    auto* self = static_cast<Attempt*>(timer->data);
    Result result = self->early ? *self->early : timeout_result(self->timeout);
    self->owner->finish(self, std::move(result));
  };

  if (auto source = probe_source(sources_, address.family)) {
    sockaddr_storage local = socket_address(*source, 0);  // port 0: the kernel picks one, as unbound
    int bound = uv_tcp_bind(attempt->tcp.get(), reinterpret_cast<const sockaddr*>(&local), 0);
    if (bound < 0) {
      attempt->early = bind_failure(*source, bound);
      uv_timer_start(attempt->timer.get(), on_timer, 0, 0);
      return;
    }
  }

  auto request = std::make_unique<uv_connect_t>();
  request->data = attempt;
  sockaddr_storage target = socket_address(address, port);
  int status = uv_tcp_connect(request.get(), attempt->tcp.get(), reinterpret_cast<const sockaddr*>(&target),
                              [](uv_connect_t* finished, int connect_status) {
                                auto* self = static_cast<Attempt*>(finished->data);
                                delete finished;
                                if (self == nullptr) return;  // the attempt ended first
                                self->connect = nullptr;
                                self->owner->finish(self, judge_tcp(connect_status));
                              });
  if (status < 0) {
    attempt->early = judge_tcp(status);
    uv_timer_start(attempt->timer.get(), on_timer, 0, 0);
    return;
  }
  attempt->connect = request.release();
  uv_timer_start(attempt->timer.get(), on_timer, uint64_t(std::max<int64_t>(1, timeout.count())), 0);
}

void TcpChecker::finish(Attempt* attempt, Result result) {
  auto found = attempts_.find(attempt);
  if (found == attempts_.end()) return;
  Callback done = std::move(attempt->done);
  attempts_.erase(found);  // closes the timer and the socket
  done(std::move(result));
}

}  // namespace meridian::probes
