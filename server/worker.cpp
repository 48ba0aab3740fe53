// The DNS worker's event loop: UDP datagrams via recvmmsg, TCP with RFC 7766 framing,
// pipelining and an idle timeout.
#include "server/worker.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace meridian::server {
namespace {

// Batches answered per readable event before the loop turns to TCP and timers again.
constexpr size_t udp_batches_per_wakeup = 8;

uint64_t seed_for(unsigned index) {
  std::random_device device;
  return (uint64_t(device()) << 32 | device()) ^ index;
}

}  // namespace

struct Worker::UdpSocket {
  Worker* worker = nullptr;
  int fd = -1;
  uv_poll_t poll{};
  UdpBatch batch;
};

struct Worker::TcpListener {
  Worker* worker;
  uv_tcp_t handle{};
};

struct Worker::TcpConnection {
  Worker* worker = nullptr;
  uv_tcp_t handle{};
  uv_timer_t idle{};
  std::vector<uint8_t> pending;  // bytes received, not yet a whole message
  geo::Address peer;
  int open_handles = 2;
  bool closing = false;
};

Worker::Worker(unsigned index, const SnapshotStore& store, std::vector<int> udp_fds,
               std::vector<int> tcp_fds)
    : index_(index), store_(store), udp_fds_(std::move(udp_fds)), tcp_fds_(std::move(tcp_fds)),
      random_(seed_for(index)), response_(max_response), tcp_read_(64 * 1024) {
  uv_loop_init(&loop_);
  loop_.data = this;
}

Worker::~Worker() {
  stop();
  uv_loop_close(&loop_);
  for (auto& socket : udp_) close(socket->fd);  // uv_poll watches a descriptor it does not own
}

void Worker::start() {
  snapshot_generation_ = store_.generation();
  snapshot_ = store_.current();
  uv_async_init(&loop_, &stop_signal_, [](uv_async_t* async) {
    auto* self = static_cast<Worker*>(async->loop->data);
    for (auto& socket : self->udp_) uv_close(reinterpret_cast<uv_handle_t*>(&socket->poll), nullptr);
    for (auto& listener : self->tcp_) uv_close(reinterpret_cast<uv_handle_t*>(&listener->handle), nullptr);
    for (auto* connection : std::vector<TcpConnection*>(self->connections_)) self->close_connection(*connection);
    uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
  });

  for (int fd : udp_fds_) {
    auto socket = std::make_unique<UdpSocket>();
    socket->worker = this;
    socket->fd = fd;
    uv_poll_init(&loop_, &socket->poll, fd);
    socket->poll.data = socket.get();
    uv_poll_start(&socket->poll, UV_READABLE, [](uv_poll_t* poll, int status, int) {
      if (status < 0) return;
      auto* self = static_cast<UdpSocket*>(poll->data);
      self->worker->on_udp_readable(*self);
    });
    udp_.push_back(std::move(socket));
  }
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
  udp_fds_.clear();
  tcp_fds_.clear();
  thread_ = std::thread([this] { run(); });
}

void Worker::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Worker::stop() {
  if (!thread_.joinable()) return;
  uv_async_send(&stop_signal_);
  thread_.join();
}

const Snapshot& Worker::snapshot() {
  const uint64_t generation = store_.generation();
  if (generation != snapshot_generation_) {
    snapshot_ = store_.current();
    snapshot_generation_ = generation;
  }
  return *snapshot_;
}

void Worker::on_udp_readable(UdpSocket& socket) {
  const Responder responder{snapshot(), random_, counters_};
  counters_.dropped += socket.batch.drain(
      socket.fd, udp_batches_per_wakeup,
      [&](std::span<const uint8_t> query, const geo::Address& source, std::span<uint8_t> out) {
        return responder.respond(query, source, false, out);
      });
}

void Worker::on_connection(TcpListener& listener) {
  auto* connection = new TcpConnection;
  connection->worker = this;
  uv_tcp_init(&loop_, &connection->handle);
  uv_timer_init(&loop_, &connection->idle);
  connection->handle.data = connection;
  connection->idle.data = connection;
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

  const auto idle = snapshot().config().server.tcp_idle_timeout.count();
  uv_timer_start(&connection->idle, [](uv_timer_t* timer) {
    auto* self = static_cast<TcpConnection*>(timer->data);
    self->worker->close_connection(*self);
  }, idle, 0);
  // Answers go out as soon as they are written: Nagle would hold back the second of two
  // pipelined answers for an ACK (RFC 7766 recommends disabling it).
  uv_tcp_nodelay(&connection->handle, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&connection->handle),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        // One read buffer per worker: libuv calls the read callback right after this, and
        // on_tcp_data copies what it needs before the next read can happen.
        auto* self = static_cast<TcpConnection*>(handle->data);
        *buf = uv_buf_init(reinterpret_cast<char*>(self->worker->tcp_read_.data()), self->worker->tcp_read_.size());
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<TcpConnection*>(stream->data);
        self->worker->on_tcp_data(*self, nread, buf);
      });
}

void Worker::on_tcp_data(TcpConnection& connection, ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    close_connection(connection);
    return;
  }
  if (connection.closing) return;
  connection.pending.insert(connection.pending.end(), buf->base, buf->base + nread);
  uv_timer_again(&connection.idle);

  // RFC 7766 8: each message has a two-byte length; several may arrive back to back.
  size_t offset = 0;
  while (connection.pending.size() - offset >= 2) {
    const size_t length = size_t(connection.pending[offset]) << 8 | connection.pending[offset + 1];
    if (connection.pending.size() - offset - 2 < length) break;
    Responder responder{snapshot(), random_, counters_};
    std::span<const uint8_t> message(connection.pending.data() + offset + 2, length);
    offset += 2 + length;
    const size_t size = responder.respond(message, connection.peer, true, response_);
    if (size == 0) continue;
    auto* write = new uv_write_t;
    auto* framed = new std::vector<uint8_t>;
    framed->reserve(size + 2);
    framed->push_back(static_cast<uint8_t>(size >> 8));
    framed->push_back(static_cast<uint8_t>(size & 0xff));
    framed->insert(framed->end(), response_.begin(), response_.begin() + size);
    write->data = framed;
    uv_buf_t out = uv_buf_init(reinterpret_cast<char*>(framed->data()), framed->size());
    uv_write(write, reinterpret_cast<uv_stream_t*>(&connection.handle), &out, 1, [](uv_write_t* request, int) {
      delete static_cast<std::vector<uint8_t>*>(request->data);
      delete request;
    });
  }
  connection.pending.erase(connection.pending.begin(), connection.pending.begin() + offset);
}

void Worker::close_connection(TcpConnection& connection) {
  if (connection.closing) return;
  connection.closing = true;
  connections_.erase(std::remove(connections_.begin(), connections_.end(), &connection), connections_.end());
  auto on_closed = [](uv_handle_t* handle) {
    auto* self = static_cast<TcpConnection*>(handle->data);
    if (--self->open_handles == 0) delete self;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.idle), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&connection.handle), on_closed);
}

}  // namespace meridian::server
