// The DNS worker's event loop: TCP with RFC 7766 framing, pipelining, an idle timeout and limits
// per client and per connection. Its UDP sockets are served by receiver threads it starts and
// stops.
#include "server/worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace meridian::server {
namespace {

uint64_t seed_for(unsigned index) {
  std::random_device device;
  return (uint64_t(device()) << 32 | device()) ^ index;
}

}  // namespace

struct Worker::TcpListener {
  Worker* worker;
  uv_tcp_t handle{};
};

struct Worker::TcpConnection {
  Worker* worker = nullptr;
  uv_tcp_t handle{};
  uv_timer_t idle{};
  uv_timer_t message{};   // tcp_message_timeout of the message begun (watch_message)
  uv_timer_t lifetime{};  // tcp_max_connection_time, when set
  uv_shutdown_t shutdown{};
  std::vector<uint8_t> pending;  // bytes received, not yet answered
  geo::Address peer;
  int open_handles = 4;
  bool counted = false;  // in the server's ClientConnections
  bool closing = false;
  bool reading = false;
  bool finishing = false;         // the client has sent all it will: close once its answers are out
  bool ending = false;            // the server ends it at a limit (end_connection)
  bool shut_down = false;         // ending: every answer has gone to the kernel, and the FIN
  uint64_t messages = 0;          // messages received whole
  uint64_t queued_total = 0;      // bytes ever handed to uv_write
  uint64_t drained_at_check = 0;  // how many of them had gone out at the last idle check
  unsigned stalled_checks = 0;    // idle checks in a row with queued answers and none gone out
  // Loop time (ms) of its last whole message or written answer: bytes of a message still
  // unfinished do not count, so a client trickling them does not look busy.
  uint64_t active_at = 0;

  size_t unsent() const {
    return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&handle));
  }
};

Worker::Worker(unsigned index, unsigned count, const SnapshotStore& store, ClientConnections& clients,
               std::vector<int> udp_fds, std::vector<int> tcp_fds, RateLimiter& limiter)
    : count_(count),
      clients_(clients),
      tcp_fds_(std::move(tcp_fds)),
      snapshot_(store),
      random_(seed_for(index)),
      response_(max_response),
      tcp_read_(64 * 1024) {
  tcp_out_.reserve(tcp_flush_bytes + max_response + 2);
  uv_loop_init(&loop_);
  loop_.data = this;
  // Counter slots: TCP loops first, one per worker, then every worker's receivers (counter_slots()).
  counters_.slot = index;
  const auto receivers = static_cast<unsigned>(udp_fds.size());
  for (unsigned i = 0; i < receivers; ++i)
    udp_.push_back(
        std::make_unique<UdpReceiver>(seed_for(index), store, udp_fds[i], count + index * receivers + i, limiter));
}

Worker::~Worker() {
  stop();
  uv_loop_close(&loop_);
}

void Worker::start() {
  uv_async_init(&loop_, &stop_signal_, [](uv_async_t* async) {
    auto* self = static_cast<Worker*>(async->loop->data);
    for (auto& listener : self->tcp_) uv_close(reinterpret_cast<uv_handle_t*>(&listener->handle), nullptr);
    for (auto* connection : std::vector<TcpConnection*>(self->connections_))
      self->close_connection(*connection);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->refresh_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
  });
  uv_timer_init(&loop_, &refresh_);
  const uint64_t every = UdpReceiver::idle_wake_seconds * 1000;
  uv_timer_start(
      &refresh_, [](uv_timer_t* timer) { static_cast<Worker*>(timer->loop->data)->snapshot(); }, every,
      every);

  for (int fd : tcp_fds_) {
    auto listener = std::make_unique<TcpListener>();
    listener->worker = this;
    uv_tcp_init(&loop_, &listener->handle);
    listener->handle.data = listener.get();
    uv_tcp_open(&listener->handle, fd);
    uv_listen(reinterpret_cast<uv_stream_t*>(&listener->handle), 1024, [](uv_stream_t* server, int status) {
      if (status < 0) return;
      auto* self = static_cast<TcpListener*>(server->data);
      self->worker->on_connection(*self);
    });
    tcp_.push_back(std::move(listener));
  }
  tcp_fds_.clear();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "worker");
    run();
  });
  for (auto& receiver : udp_) receiver->start();
}

void Worker::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Worker::stop() {
  for (auto& receiver : udp_) receiver->stop();
  if (!thread_.joinable()) return;
  uv_async_send(&stop_signal_);
  thread_.join();
}

const Snapshot& Worker::snapshot() {
  return snapshot_.current();
}

void Worker::make_room_for_connection(const TcpConnection& added) {
  const unsigned total = snapshot().config().server.tcp_max_connections;
  const size_t share = std::max<size_t>(1, (total + count_ - 1) / count_);
  while (connections_.size() > share) {
    TcpConnection* quietest = nullptr;
    for (auto* connection : connections_)
      if (connection != &added && (!quietest || connection->active_at < quietest->active_at))
        quietest = connection;
    counters_.tcp_limited.max_connections.bump();
    close_connection(*quietest);  // takes it out of connections_
  }
}

void Worker::on_connection(TcpListener& listener) {
  auto* connection = new TcpConnection;
  connection->active_at = uv_now(&loop_);
  connection->worker = this;
  uv_tcp_init(&loop_, &connection->handle);
  uv_timer_init(&loop_, &connection->idle);
  uv_timer_init(&loop_, &connection->message);
  uv_timer_init(&loop_, &connection->lifetime);
  connection->handle.data = connection;
  connection->idle.data = connection;
  connection->message.data = connection;
  connection->lifetime.data = connection;
  counters_.tcp_opened.bump();
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener.handle),
                reinterpret_cast<uv_stream_t*>(&connection->handle)) != 0) {
    connections_.push_back(connection);
    close_connection(*connection);
    return;
  }
  sockaddr_storage peer{};
  int length = sizeof peer;
  uv_tcp_getpeername(&connection->handle, reinterpret_cast<sockaddr*>(&peer), &length);
  connection->peer = address_of(reinterpret_cast<sockaddr*>(&peer));
  connections_.push_back(connection);
  // Refused before it can take another connection's place (make_room_for_connection): the
  // client over its limit loses its newest, not someone else their oldest.
  connection->counted =
      clients_.try_add(connection->peer, snapshot().config().server.tcp_max_connections_per_client);
  if (!connection->counted) {
    counters_.tcp_limited.per_client.bump();
    close_connection(*connection);
    return;
  }
  make_room_for_connection(*connection);

  // Not kept past a call that may take a newer snapshot (and let the main thread free this one).
  const auto& server = snapshot().config().server;
  const auto idle = server.tcp_idle_timeout.count();
  // Repeating, so that uv_timer_again() on every read restarts the count (with a repeat of 0 it
  // does nothing, and a busy connection was closed `idle` after it opened).
  uv_timer_start(
      &connection->idle,
      [](uv_timer_t* timer) {
        auto* self = static_cast<TcpConnection*>(timer->data);
        const size_t unsent = self->unsent();
        if (unsent == 0) {
          self->worker->counters_.tcp_limited.idle_timeout.bump();
          self->worker->close_connection(*self);
          return;
        }
        // Answers still on their way (a client reading slowly) are not idleness, as long as some
        // leave: look again later.
        const uint64_t drained = self->queued_total - unsent;
        self->stalled_checks = drained > self->drained_at_check ? 0 : self->stalled_checks + 1;
        self->drained_at_check = drained;
        if (self->stalled_checks >= tcp_stalled_timeouts) {
          self->worker->counters_.tcp_limited.stalled.bump();
          self->worker->close_connection(*self);
        }
      },
      idle, idle);
  if (server.tcp_max_connection_time.count() > 0)
    uv_timer_start(
        &connection->lifetime,
        [](uv_timer_t* timer) {
          auto* self = static_cast<TcpConnection*>(timer->data);
          // Ended like at tcp_max_queries_per_connection; one already ending (a client that
          // does not close after the FIN) is closed now, counted by what began its end.
          if (self->ending) {
            self->worker->close_connection(*self);
            return;
          }
          self->worker->counters_.tcp_limited.max_time.bump();
          self->worker->end_connection(*self);
        },
        server.tcp_max_connection_time.count(), 0);
  // Answers go out as soon as they are written: Nagle would hold back the second of two
  // pipelined answers for an ACK (RFC 7766 recommends disabling it).
  uv_tcp_nodelay(&connection->handle, 1);
  start_reading(*connection);
}

void Worker::start_reading(TcpConnection& connection) {
  connection.reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&connection.handle),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        // One read buffer per worker: libuv calls the read callback right after this, and
        // on_tcp_data copies what it needs before the next read can happen.
        auto* self = static_cast<TcpConnection*>(handle->data);
        *buf = uv_buf_init(reinterpret_cast<char*>(self->worker->tcp_read_.data()),
                           self->worker->tcp_read_.size());
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<TcpConnection*>(stream->data);
        self->worker->on_tcp_data(*self, nread, buf);
      });
}

void Worker::on_tcp_data(TcpConnection& connection, ssize_t nread, const uv_buf_t* buf) {
  if (connection.closing) return;
  if (nread < 0) {
    // A client that half-closes after its queries still gets their answers (RFC 7766 6.2.4
    // leaves closing to whoever is done); one the server is ending has had them once shut down.
    const bool answered = connection.ending ? connection.shut_down : connection.unsent() == 0;
    if (nread != UV_EOF || answered) {
      close_connection(connection);
      return;
    }
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&connection.handle));
    connection.reading = false;
    connection.finishing = true;
    uv_timer_stop(&connection.message);
    return;
  }
  // Ending: what the client still sends is read only to see its close, and dropped.
  if (connection.ending) return;
  connection.pending.insert(connection.pending.end(), buf->base, buf->base + nread);
  uv_timer_again(&connection.idle);
  const uint64_t before = connection.messages;
  answer_pending(connection);
  watch_message(connection, connection.messages != before);
}

bool Worker::answer_pending(TcpConnection& connection) {
  bool held = false;
  bool last = false;  // tcp_max_queries_per_connection reached
  const unsigned max_queries = snapshot().config().server.tcp_max_queries_per_connection;
  // RFC 7766 8: each message has a two-byte length; several may arrive back to back.
  size_t offset = 0;
  while (connection.pending.size() - offset >= 2) {
    if (connection.unsent() + tcp_out_.size() >= tcp_queue_limit) {
      // The rest waits in `pending`, and the kernel holds back the client's further queries.
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&connection.handle));
      connection.reading = false;
      held = true;
      break;
    }
    const size_t length = size_t(connection.pending[offset]) << 8 | connection.pending[offset + 1];
    if (connection.pending.size() - offset - 2 < length) break;
    Responder responder{snapshot(), random_, counters_};
    std::span<const uint8_t> message(connection.pending.data() + offset + 2, length);
    offset += 2 + length;
    ++connection.messages;
    connection.active_at = uv_now(&loop_);
    last = max_queries != 0 && connection.messages >= max_queries;
    const size_t size = responder.respond(message, connection.peer, true, response_).size;
    if (size > 0) {
      tcp_out_.push_back(static_cast<uint8_t>(size >> 8));
      tcp_out_.push_back(static_cast<uint8_t>(size & 0xff));
      tcp_out_.insert(tcp_out_.end(), response_.begin(), response_.begin() + size);
      if (tcp_out_.size() >= tcp_flush_bytes) send_tcp(connection);
      if (connection.closing) return held;  // the write failed
    }
    if (last) break;
  }
  send_tcp(connection);
  connection.pending.erase(connection.pending.begin(), connection.pending.begin() + offset);
  if (last && !connection.closing) {
    counters_.tcp_limited.max_queries.bump();
    end_connection(connection);
  }
  return held;
}

void Worker::watch_message(TcpConnection& connection, bool new_message) {
  // Only while the client is the one to send: a connection held back (tcp_queue_limit) has whole
  // queries waiting on the server, not bytes owed by the client.
  if (connection.closing || connection.ending || !connection.reading || connection.pending.empty()) {
    uv_timer_stop(&connection.message);
    return;
  }
  // Started once per message, never restarted by its further bytes: a byte every second must
  // not keep a message (and its connection) alive.
  if (!new_message && uv_is_active(reinterpret_cast<uv_handle_t*>(&connection.message))) return;
  uv_timer_start(
      &connection.message,
      [](uv_timer_t* timer) {
        auto* self = static_cast<TcpConnection*>(timer->data);
        self->worker->counters_.tcp_limited.message_timeout.bump();
        self->worker->close_connection(*self);
      },
      snapshot().config().server.tcp_message_timeout.count(), 0);
}

void Worker::on_written(TcpConnection& connection) {
  if (connection.closing) return;
  connection.active_at = uv_now(&loop_);
  if (connection.ending) return;  // the shutdown's callback takes it from here
  if (connection.finishing) {
    if (connection.unsent() == 0) close_connection(connection);
    return;
  }
  // Reading resumes once the client has taken half of what was held: not after every write.
  if (connection.reading || connection.unsent() > tcp_queue_limit / 2) return;
  if (!answer_pending(connection) && !connection.closing && !connection.ending) {
    start_reading(connection);
    watch_message(connection, true);  // what is left began before the hold: timed from now
  }
}

void Worker::end_connection(TcpConnection& connection) {
  if (connection.closing || connection.ending) return;
  connection.ending = true;
  connection.pending.clear();
  uv_timer_stop(&connection.message);
  // Read on (and drop) until the client closes: closing with its queries unread would send a
  // reset, which can destroy answers still on their way to it.
  if (!connection.reading && !connection.finishing) start_reading(connection);
  connection.shutdown.data = &connection;
  // uv_shutdown waits for the queued answers, then sends the FIN.
  const int status = uv_shutdown(&connection.shutdown, reinterpret_cast<uv_stream_t*>(&connection.handle),
                                 [](uv_shutdown_t* request, int status) {
                                   auto* self = static_cast<TcpConnection*>(request->data);
                                   // On close, libuv cancels the shutdown before the handle's
                                   // close callback frees the connection.
                                   if (status == UV_ECANCELED || self->closing) return;
                                   self->shut_down = true;
                                   if (status < 0 || self->finishing) self->worker->close_connection(*self);
                                 });
  if (status < 0) close_connection(connection);
}

void Worker::send_tcp(TcpConnection& connection) {
  if (tcp_out_.empty()) return;
  if (connection.closing) {
    tcp_out_.clear();
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&connection.handle);
  // Straight into the socket when it has room and nothing is queued before it (uv_try_write
  // refuses while earlier writes wait, so answers keep their order): no allocation, one write
  // for every answer of a read.
  uv_buf_t whole = uv_buf_init(reinterpret_cast<char*>(tcp_out_.data()), tcp_out_.size());
  const int written = uv_try_write(stream, &whole, 1);
  if (written < 0 && written != UV_EAGAIN) {
    tcp_out_.clear();
    close_connection(connection);
    return;
  }
  const size_t sent = written > 0 ? size_t(written) : 0;
  if (sent < tcp_out_.size()) {
    // The client reads slower than we answer: queue a copy of the rest.
    auto* request = new uv_write_t;
    auto* rest = new std::vector<uint8_t>(tcp_out_.begin() + sent, tcp_out_.end());
    request->data = rest;
    uv_buf_t out = uv_buf_init(reinterpret_cast<char*>(rest->data()), rest->size());
    const int queued = uv_write(request, stream, &out, 1, [](uv_write_t* write, int status) {
      delete static_cast<std::vector<uint8_t>*>(write->data);
      auto* connection = static_cast<TcpConnection*>(write->handle->data);
      delete write;
      // On close, libuv cancels the queued writes before the handle's close callback frees the
      // connection, so it is still there to look at.
      if (status == 0)
        connection->worker->on_written(*connection);
      else if (status != UV_ECANCELED)
        connection->worker->close_connection(*connection);  // a reset: nothing more gets through
    });
    if (queued < 0) {  // no callback will come: the stream is already broken
      delete rest;
      delete request;
      tcp_out_.clear();
      close_connection(connection);
      return;
    }
    connection.queued_total += out.len;
  }
  tcp_out_.clear();
}

void Worker::close_connection(TcpConnection& connection) {
  if (connection.closing) return;
  connection.closing = true;
  counters_.tcp_closed.bump();
  if (connection.counted) clients_.remove(connection.peer);
  connections_.erase(std::remove(connections_.begin(), connections_.end(), &connection), connections_.end());
  auto on_closed = [](uv_handle_t* handle) {
    auto* self = static_cast<TcpConnection*>(handle->data);
    if (--self->open_handles == 0) delete self;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.idle), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.message), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.lifetime), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.handle), on_closed);
}

}  // namespace meridian::server
