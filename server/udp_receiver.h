// One UDP socket's thread: blocked in recvmmsg until queries arrive, then answers the batch and
// sends it with one sendmmsg. No event loop in between: gdnsd's design, and what bench/ showed
// cheapest (an epoll wake-up per batch cost a system call and a libuv loop turn per query at
// moderate load).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "routing/routing.h"
#include "server/batch_responder.h"
#include "server/rate_limiter.h"
#include "server/responder.h"
#include "server/snapshot.h"
#include "server/snapshot_reader.h"
#include "server/udp_batch.h"

namespace meridian::server {

class UdpReceiver {
 public:
  static constexpr int idle_wake_seconds = 1;

  // Takes ownership of `fd`, a bound UDP socket (made blocking here). `seed` seeds the thread's
  // random numbers (weighted routing); `slot` is its counters' slot in every snapshot. Answers
  // are charged to `limiter`, shared by every receiver (rrl: in the config).
  UdpReceiver(uint64_t seed, const SnapshotStore& store, int fd, unsigned slot, RateLimiter& limiter);
  ~UdpReceiver();  // stop(), then closes the socket
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  void start();
  // Wakes the thread (shutdown(2) on the socket ends its blocking receive) and joins it.
  void stop();

  // Written by the receiver's thread only, read by any (server/counters.h).
  const Counters& counters() const { return counters_; }

 private:
  void run();

  int fd_;
  const SnapshotStore& store_;
  routing::Random random_;
  Counters counters_;
  UdpBatch batch_;
  BatchResponder answers_;
  ResponseRateLimit rate_limit_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace meridian::server
