// A DNS worker: its own UDP and TCP sockets on every listen address. TCP runs on one libuv loop
// thread; each UDP socket has a receiver thread of its own (server/udp_receiver.h).
#pragma once

#include <uv.h>

#include <memory>
#include <thread>
#include <vector>

#include "routing/routing.h"
#include "server/client_connections.h"
#include "server/responder.h"
#include "server/snapshot.h"
#include "server/snapshot_reader.h"
#include "server/udp_receiver.h"

namespace meridian::server {

// The counter slots of `workers` workers with `listen_addresses` UDP sockets each.
inline CounterSlots counter_slots(unsigned workers, size_t listen_addresses) {
  return {workers, workers * static_cast<unsigned>(listen_addresses)};
}

class Worker {
 public:
  // Takes ownership of the socket descriptors.
  // `index` of `count` workers: each takes its share of server.tcp_max_connections. `clients`
  // counts connections by client address over every worker (tcp_max_connections_per_client).
  // UDP answers are charged to `limiter` (shared by all workers; TCP answers are not limited).
  Worker(unsigned index, unsigned count, const SnapshotStore& store, ClientConnections& clients,
         std::vector<int> udp_fds, std::vector<int> tcp_fds, RateLimiter& limiter);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Stops the UDP receivers, asks the loop to close its handles and waits for the thread; safe
  // to call twice.
  void stop();

  // Calls visit(counters) for the TCP loop's and each UDP receiver's counters.
  template <typename Visit>
  void visit_counters(Visit&& visit) const {
    visit(counters_);
    for (const auto& receiver : udp_) visit(receiver->counters());
  }

 private:
  struct TcpListener;
  struct TcpConnection;

  void run();
  // The snapshot to answer from: refreshed when the store has published a newer one.
  const Snapshot& snapshot();
  void on_connection(TcpListener& listener);
  void start_reading(TcpConnection& connection);
  void on_tcp_data(TcpConnection& connection, ssize_t nread, const uv_buf_t* buf);
  // Answers the whole messages received so far, until the connection's unsent answers reach
  // tcp_queue_limit: then it stops reading until the client has taken them (on_written), and
  // returns true.
  bool answer_pending(TcpConnection& connection);
  void on_written(TcpConnection& connection);
  void send_tcp(TcpConnection& connection);
  // Times the message the connection has begun and not finished (tcp_message_timeout): from
  // its first byte, however many more trickle in. `new_message`: the bytes held now begin a
  // message after one just answered.
  void watch_message(TcpConnection& connection, bool new_message);
  // Ends a connection at a limit the client could not know about (RFC 7766 6.2.3): no more
  // queries are answered; those answered go out, then a FIN; the connection is closed when the
  // client closes its side, or at the idle timeout.
  void end_connection(TcpConnection& connection);
  void close_connection(TcpConnection& connection);

  // Over the worker's share of tcp_max_connections, closes the connection quiet the longest
  // (never `added`, the one just accepted).
  void make_room_for_connection(const TcpConnection& added);

  unsigned count_;
  ClientConnections& clients_;
  std::vector<int> tcp_fds_;
  SnapshotReader snapshot_;
  routing::Random random_;
  Counters counters_;
  std::vector<uint8_t> response_;
  std::vector<uint8_t> tcp_read_;
  // Framed answers to one read of one connection, written together by send_tcp().
  static constexpr size_t tcp_flush_bytes = 64 * 1024;
  std::vector<uint8_t> tcp_out_;
  // A client that sends queries and does not read the answers gets no more than this many bytes
  // of them queued in memory (beyond what the kernel's socket buffers hold): the server stops
  // reading its queries instead (RFC 7766 10: bound what one client can make the server hold).
  static constexpr size_t tcp_queue_limit = 256 * 1024;
  // Queued answers that make no progress for this many idle timeouts close the connection: a
  // client that never reads would otherwise hold it, and its buffers, forever.
  static constexpr unsigned tcp_stalled_timeouts = 6;

  uv_loop_t loop_{};
  uv_async_t stop_signal_{};
  uv_timer_t refresh_{};  // lets an idle loop drop a replaced snapshot
  std::vector<std::unique_ptr<UdpReceiver>> udp_;
  std::vector<std::unique_ptr<TcpListener>> tcp_;
  std::vector<TcpConnection*> connections_;
  std::thread thread_;
};

}  // namespace meridian::server
