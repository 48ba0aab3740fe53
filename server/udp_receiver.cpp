#include "server/udp_receiver.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <optional>

namespace meridian::server {

// The batch responder keeps a parsed query for every datagram one receive can take.
static_assert(BatchResponder::capacity >= UdpBatch::batch);

UdpReceiver::UdpReceiver(uint64_t seed, const SnapshotStore& store, int fd, unsigned slot, RateLimiter& limiter)
    : fd_(fd), store_(store), random_(seed), rate_limit_(limiter) {
  counters_.slot = slot;
  const int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0) fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  // An idle receiver still wakes once in a while to let go of a replaced snapshot, so a reload's
  // old generation is freed even on a socket that gets no queries.
  const timeval wake{.tv_sec = idle_wake_seconds, .tv_usec = 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wake, sizeof wake);
}

UdpReceiver::~UdpReceiver() {
  stop();
  close(fd_);
}

void UdpReceiver::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "udp-receiver");
    run();
  });
}

void UdpReceiver::run() {
  SnapshotReader snapshot(store_);
  while (!stopping_.load(std::memory_order_relaxed)) {
    // After an idle wake-up this drops a replaced snapshot. Only the batch width comes from it:
    // a reload may land while the receive blocks.
    const size_t width = BatchResponder::width(snapshot.current());
    // The snapshot is taken per batch, after the receive: the thread may have slept through a
    // reload.
    struct Handler {
      UdpReceiver& self;
      SnapshotReader& reader;
      std::optional<Responder> responder;  // one per batch: it finds the thread's counters once
      const model::RateLimitSettings* rrl = nullptr;
      uint32_t tick = 0;  // the batch's time for the rate limit
      void prepare(std::span<const std::span<const uint8_t>> queries, std::span<const geo::Address> sources) {
        const Snapshot& snapshot = reader.current();
        responder.emplace(Responder{snapshot, self.random_, self.counters_});  // braces: clang 14
        self.answers_.prepare(snapshot, queries, sources);
        rrl = &snapshot.config().rrl;
        if (rrl->enabled) tick = RateLimiter::now();
      }
      size_t respond(size_t index, const geo::Address& source, std::span<uint8_t> out) {
        const Response response = self.answers_.respond(*responder, index, source, out);
        if (response.size == 0 || !rrl->enabled) return response.size;
        return self.rate_limit_.apply(*rrl, tick, self.answers_.query(index), response, source, out,
                                      self.counters_);
      }
    };
    counters_.dropped.bump(batch_.serve(fd_, width, Handler{*this, snapshot, {}}));
  }
}

void UdpReceiver::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  // On Linux this fails with ENOTCONN for an unconnected UDP socket but still marks it shut
  // for reading and wakes the blocked recvmmsg, which from then on returns at once.
  shutdown(fd_, SHUT_RD);
  thread_.join();
}

}  // namespace meridian::server
