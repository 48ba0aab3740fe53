// loadgen/tcp.cpp: the TCP driver: several long-lived connections, queries pipelined on each
// with RFC 7766 two-byte framing, one write per connection per tick.
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "loadgen/driver.h"
#include "loadgen/usage.h"

namespace loadgen {
namespace {

class TcpDriver final : public Driver {
 public:
  TcpDriver(const DriverOptions& options, const Workload& workload) : options_(options), workload_(workload) {
    options_.tcp_batch = std::max(1u, options_.tcp_batch);
    connections_.resize(std::max(1u, options_.sockets));
    for (auto& connection : connections_) open(connection);
  }

  ~TcpDriver() override {
    for (const auto& connection : connections_)
      if (connection.fd >= 0) close(connection.fd);
  }

  std::string description() const override {
    return fmt::format("tcp connections={} pipelined, {} quer{} per write, at most {} in flight each, tick={}us",
                       connections_.size(), options_.tcp_batch, options_.tcp_batch == 1 ? "y" : "ies",
                       options_.tcp_inflight, options_.tick_us);
  }

  WindowStats run(double rate, double seconds, double drain_seconds,
                  const std::function<void()>& on_send_end) override {
    WindowStats stats;
    stats.rate = rate;
    stats.seconds = seconds;
    ++window_;
    const uint64_t begin = monotonic_ns();
    const uint64_t end = begin + uint64_t(seconds * 1e9);
    const uint64_t offered = uint64_t(std::llround(rate * seconds));
    stats.offered = offered;
    const uint64_t mean_tick_ns = uint64_t(options_.tick_us) * 1000;
    uint64_t tick_ns = mean_tick_ns;
    const uint64_t max_backlog = std::max<uint64_t>(64 * connections_.size(), uint64_t(rate * 0.005));
    uint64_t accounted = 0;
    uint64_t last_send = 0;

    for (;;) {
      const uint64_t now = monotonic_ns();
      if (now >= end) break;
      const uint64_t due = std::min(offered, uint64_t(double(now - begin) * rate / 1e9));
      if (due > accounted + max_backlog) accounted = due - max_backlog;
      bool worked = false;
      if (due > accounted && now - last_send >= tick_ns) {
        // Spread what is due over the connections that have room; what finds no room is skipped
        // (the server is not keeping up), and shows as sent < offered.
        uint64_t to_send = due - accounted;
        const uint64_t share = (to_send + connections_.size() - 1) / connections_.size();
        for (size_t tried = 0; tried < connections_.size() && to_send > 0; ++tried) {
          Connection& connection = connections_[next_connection_];
          next_connection_ = (next_connection_ + 1) % connections_.size();
          const uint64_t room = options_.tcp_inflight - std::min<uint64_t>(options_.tcp_inflight,
                                                                            connection.flight.outstanding());
          const uint64_t count = std::min({to_send, share, room});
          for (uint64_t i = 0; i < count; ++i) {
            enqueue(connection, now, stats);
            // A client writes each query as it comes (--tcp-batch 1), not a tick's worth at once.
            if ((i + 1) % options_.tcp_batch == 0) flush(connection);
          }
          to_send -= count;
          flush(connection);
        }
        accounted = due;  // what found no room is skipped
        last_send = now;
        tick_ns = jittered(mean_tick_ns);
        worked = true;
      }
      worked = receive_all(stats) || worked;
      if (!worked) {
        const uint64_t next_due = begin + uint64_t(double(accounted + 1) * 1e9 / rate);
        const uint64_t wake = std::max(next_due, last_send + tick_ns);
        wait(std::min<uint64_t>(wake > now ? wake - now : 0, 1'000'000));
      }
    }
    if (on_send_end) on_send_end();
    const uint64_t drain_end = monotonic_ns() + uint64_t(drain_seconds * 1e9);
    while (outstanding() > 0 && monotonic_ns() < drain_end) {
      if (!receive_all(stats)) wait(1'000'000);
    }
    for (auto& connection : connections_) stats.lost += connection.flight.expire_all();
    stats.reconnects = reconnects_;
    reconnects_ = 0;
    return stats;
  }

 private:
  struct Connection {
    int fd = -1;
    InFlight flight;
    std::vector<uint8_t> out;
    size_t out_done = 0;
    std::vector<uint8_t> in;
    size_t in_used = 0;
  };

  void open(Connection& connection) {
    if (connection.fd >= 0) close(connection.fd);
    connection.fd = socket(options_.server.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connection.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const int on = 1;
    setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // A blocking connect: loopback answers at once, and a server that refuses is a setup error.
    if (connect(connection.fd, reinterpret_cast<const sockaddr*>(&options_.server), options_.server_length) != 0)
      throw std::runtime_error(std::string("tcp connect: ") + std::strerror(errno));
    fcntl(connection.fd, F_SETFL, fcntl(connection.fd, F_GETFL) | O_NONBLOCK);
    connection.out.clear();
    connection.out_done = 0;
    connection.in.resize(256 * 1024);
    connection.in_used = 0;
  }

  // The server closed or broke the connection: what was in flight on it is lost; reconnect.
  void reopen(Connection& connection, WindowStats& stats) {
    stats.lost += connection.flight.expire_all();
    ++reconnects_;
    open(connection);
  }

  uint64_t outstanding() const {
    uint64_t total = 0;
    for (const auto& connection : connections_) total += connection.flight.outstanding();
    return total;
  }

  void enqueue(Connection& connection, uint64_t now, WindowStats& stats) {
    const uint32_t query = uint32_t(next_query_);
    next_query_ = (next_query_ + 1) % workload_.queries.size();
    const auto& wire = workload_.queries[query];
    const uint16_t id = connection.flight.claim(query, now, window_, stats);
    connection.out.push_back(uint8_t(wire.size() >> 8));
    connection.out.push_back(uint8_t(wire.size()));
    const size_t at = connection.out.size();
    connection.out.insert(connection.out.end(), wire.begin(), wire.end());
    connection.out[at] = uint8_t(id >> 8);
    connection.out[at + 1] = uint8_t(id);
    ++stats.sent;
  }

  void flush(Connection& connection) {
    while (connection.out_done < connection.out.size()) {
      const ssize_t count =
          write(connection.fd, connection.out.data() + connection.out_done, connection.out.size() - connection.out_done);
      if (count < 0) return;  // EAGAIN: finished when the socket is writable again
      connection.out_done += size_t(count);
    }
    connection.out.clear();
    connection.out_done = 0;
  }

  void wait(uint64_t nanoseconds) {
    pollfd fds[256];
    const size_t count = std::min<size_t>(connections_.size(), 256);
    for (size_t i = 0; i < count; ++i)
      fds[i] = {connections_[i].fd, short(POLLIN | (connections_[i].out.empty() ? 0 : POLLOUT)), 0};
    timespec timeout{time_t(nanoseconds / 1'000'000'000u), long(nanoseconds % 1'000'000'000u)};
    ppoll(fds, count, &timeout, nullptr);
  }

  bool receive_all(WindowStats& stats) {
    bool any = false;
    for (auto& connection : connections_) {
      if (!connection.out.empty()) flush(connection);
      for (;;) {
        if (connection.in_used == connection.in.size()) connection.in.resize(connection.in.size() * 2);
        const ssize_t count = read(connection.fd, connection.in.data() + connection.in_used,
                                   connection.in.size() - connection.in_used);
        if (count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR)) {
          reopen(connection, stats);
          break;
        }
        if (count < 0) break;
        any = true;
        connection.in_used += size_t(count);
        const uint64_t now = monotonic_ns();
        size_t offset = 0;
        while (connection.in_used - offset >= 2) {
          const size_t length = size_t(connection.in[offset]) << 8 | connection.in[offset + 1];
          if (connection.in_used - offset - 2 < length) break;
          std::span<const uint8_t> response(connection.in.data() + offset + 2, length);
          offset += 2 + length;
          if (length < 12) {
            ++stats.stray;
            continue;
          }
          const uint16_t id = uint16_t(response[0] << 8 | response[1]);
          const InFlight::Slot* slot = connection.flight.take(id, window_);
          if (!slot) {
            ++stats.stray;
            continue;
          }
          book_answer(workload_, *slot, response, now, stats, wrong_printed_, options_.max_wrong_printed);
        }
        std::memmove(connection.in.data(), connection.in.data() + offset, connection.in_used - offset);
        connection.in_used -= offset;
      }
    }
    return any;
  }

  DriverOptions options_;
  const Workload& workload_;
  std::vector<Connection> connections_;
  size_t next_connection_ = 0;
  size_t next_query_ = 0;
  uint32_t window_ = 0;
  uint64_t reconnects_ = 0;
  unsigned wrong_printed_ = 0;
};

}  // namespace

std::unique_ptr<Driver> make_tcp_driver(const DriverOptions& options, const Workload& workload) {
  return std::make_unique<TcpDriver>(options, workload);
}

}  // namespace loadgen
