// loadgen/udp.cpp: the UDP driver: several connected sockets, sendmmsg (with UDP GSO for runs
// of equal-length queries, so the generator spends less of its core than the server does) and
// recvmmsg, paced every tick.
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "loadgen/driver.h"
#include "loadgen/usage.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace loadgen {

void book_answer(const Workload& workload, const InFlight::Slot& slot, std::span<const uint8_t> response,
                 uint64_t now, WindowStats& stats, unsigned& wrong_printed, unsigned max_wrong_printed) {
  stats.latency->record(now - slot.sent_ns);
  const auto& query = workload.queries[slot.query];
  const Expectation* expectation = workload.expectation(slot.query);
  const Verdict verdict = check_response(query, response, expectation);
  if (verdict == Verdict::right) {
    ++stats.right;
    return;
  }
  ++stats.wrong;
  if (wrong_printed >= max_wrong_printed) return;
  ++wrong_printed;
  fmt::print(stderr, "warning loadgen: {} answer to query #{} expected=\"{}\" got=\"{}\"\n", verdict_name(verdict),
             slot.query, expectation ? expectation->to_string() : "a response", describe_response(response));
}

namespace {

constexpr size_t max_batch = 64;  // also the kernel's limit of GSO segments per send
constexpr size_t receive_slot = 2048;

class UdpDriver final : public Driver {
 public:
  UdpDriver(const DriverOptions& options, const Workload& workload) : options_(options), workload_(workload) {
    options_.batch = unsigned(std::clamp<size_t>(options_.batch, 1, max_batch));
    for (unsigned i = 0; i < std::max(1u, options_.sockets); ++i) {
      Socket socket;
      socket.fd = ::socket(options_.server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (socket.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
      const int buffer = 4 << 20;
      setsockopt(socket.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
      setsockopt(socket.fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
      if (connect(socket.fd, reinterpret_cast<const sockaddr*>(&options_.server), options_.server_length) != 0)
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
      socket.send_buffer.resize(max_batch * workload_.largest_query);
      socket.receive_buffer.resize(max_batch * receive_slot);
      sockets_.push_back(std::move(socket));
    }
    for (const auto& socket : sockets_) poll_fds_.push_back({socket.fd, POLLIN, 0});
  }

  ~UdpDriver() override {
    for (const auto& socket : sockets_) close(socket.fd);
  }

  std::string description() const override {
    return fmt::format("udp sockets={} batch={} tick={}us gso={}", sockets_.size(), options_.batch,
                       options_.tick_us, options_.gso ? "on" : "off");
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
    // Falling further behind than this is not caught up in a burst: those queries are skipped.
    const uint64_t max_backlog = std::max<uint64_t>(options_.batch * sockets_.size(), uint64_t(rate * 0.005));
    uint64_t accounted = 0;  // sent + skipped
    uint64_t last_send = 0;

    for (;;) {
      const uint64_t now = monotonic_ns();
      if (now >= end) break;
      const uint64_t due = std::min(offered, uint64_t(double(now - begin) * rate / 1e9));
      if (due > accounted + max_backlog) accounted = due - max_backlog;
      bool worked = false;
      if (due > accounted && (now - last_send >= tick_ns || due - accounted >= options_.batch)) {
        uint64_t to_send = due - accounted;
        while (to_send > 0) {
          const unsigned count = unsigned(std::min<uint64_t>(to_send, options_.batch));
          send_batch(sockets_[next_socket_], count, now, stats);
          next_socket_ = (next_socket_ + 1) % sockets_.size();
          accounted += count;
          to_send -= count;
        }
        last_send = now;
        tick_ns = jittered(mean_tick_ns);
        worked = true;
      }
      worked = receive_all(stats) || worked;
      if (!worked) {
        const uint64_t next_due = begin + uint64_t(double(accounted + 1) * 1e9 / rate);
        const uint64_t wake = std::max(next_due, last_send + tick_ns);
        const uint64_t wait = std::min<uint64_t>(wake > now ? wake - now : 0, 1'000'000);
        wait_readable(wait);
      }
    }
    stats.offered = std::max(stats.offered, accounted);
    if (on_send_end) on_send_end();
    const uint64_t drain_end = monotonic_ns() + uint64_t(drain_seconds * 1e9);
    while (outstanding() > 0 && monotonic_ns() < drain_end) {
      if (!receive_all(stats)) wait_readable(1'000'000);
    }
    for (auto& socket : sockets_) stats.lost += socket.flight.expire_all();
    return stats;
  }

 private:
  struct Socket {
    int fd = -1;
    InFlight flight;
    std::vector<uint8_t> send_buffer;
    std::vector<uint8_t> receive_buffer;
  };

  uint64_t outstanding() const {
    uint64_t total = 0;
    for (const auto& socket : sockets_) total += socket.flight.outstanding();
    return total;
  }

  void wait_readable(uint64_t nanoseconds) {
    timespec timeout{time_t(nanoseconds / 1'000'000'000u), long(nanoseconds % 1'000'000'000u)};
    ppoll(poll_fds_.data(), poll_fds_.size(), &timeout, nullptr);
  }

  void send_batch(Socket& socket, unsigned count, uint64_t now, WindowStats& stats) {
    uint16_t ids[max_batch];
    size_t lengths[max_batch];
    uint8_t* cursor = socket.send_buffer.data();
    for (unsigned i = 0; i < count; ++i) {
      const uint32_t query = uint32_t(next_query_);
      next_query_ = (next_query_ + 1) % workload_.queries.size();
      const auto& wire = workload_.queries[query];
      ids[i] = socket.flight.claim(query, now, window_, stats);
      std::memcpy(cursor, wire.data(), wire.size());
      cursor[0] = uint8_t(ids[i] >> 8);
      cursor[1] = uint8_t(ids[i]);
      lengths[i] = wire.size();
      cursor += wire.size();
    }
    // Group runs of equal length into one GSO send each; the server still gets one datagram
    // per query, exactly as if they had been sent one by one.
    mmsghdr messages[max_batch]{};
    iovec vectors[max_batch];
    alignas(cmsghdr) char controls[max_batch][CMSG_SPACE(sizeof(uint16_t))];
    unsigned first_query[max_batch + 1];
    unsigned message_count = 0;
    uint8_t* start = socket.send_buffer.data();
    for (unsigned i = 0; i < count;) {
      unsigned run = 1;
      while (options_.gso && i + run < count && lengths[i + run] == lengths[i]) ++run;
      first_query[message_count] = i;
      vectors[message_count] = {start, lengths[i] * run};
      msghdr& header = messages[message_count].msg_hdr;
      header.msg_iov = &vectors[message_count];
      header.msg_iovlen = 1;
      if (run > 1) {
        header.msg_control = controls[message_count];
        header.msg_controllen = sizeof controls[message_count];
        cmsghdr* control = CMSG_FIRSTHDR(&header);
        control->cmsg_level = SOL_UDP;
        control->cmsg_type = UDP_SEGMENT;
        control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const uint16_t segment = uint16_t(lengths[i]);
        std::memcpy(CMSG_DATA(control), &segment, sizeof segment);
      }
      start += lengths[i] * run;
      i += run;
      ++message_count;
    }
    first_query[message_count] = count;
    unsigned done = 0;
    while (done < message_count) {
      const int result = sendmmsg(socket.fd, messages + done, message_count - done, 0);
      if (result <= 0) {
        if (result < 0 && errno == EINTR) continue;
        if (result < 0 && errno == EIO && options_.gso) {
          // No GSO on this path: fall back to one datagram per query from now on.
          fmt::print(stderr, "warning loadgen: UDP GSO refused ({}), sending without it\n", std::strerror(errno));
          options_.gso = false;
        }
        break;
      }
      done += unsigned(result);
    }
    const unsigned sent = first_query[done];
    stats.sent += sent;
    for (unsigned i = sent; i < count; ++i) socket.flight.release(ids[i]);
  }

  bool receive_all(WindowStats& stats) {
    // One poll says which sockets have answers, instead of a recvmmsg on each that mostly
    // comes back empty: the generator's core is the scarce one.
    timespec zero{0, 0};
    if (ppoll(poll_fds_.data(), poll_fds_.size(), &zero, nullptr) <= 0) return false;
    bool any = false;
    for (size_t index = 0; index < sockets_.size(); ++index) {
      if (!(poll_fds_[index].revents & POLLIN)) continue;
      Socket& socket = sockets_[index];
      for (;;) {
        mmsghdr messages[max_batch]{};
        iovec vectors[max_batch];
        for (size_t i = 0; i < max_batch; ++i) {
          vectors[i] = {socket.receive_buffer.data() + i * receive_slot, receive_slot};
          messages[i].msg_hdr.msg_iov = &vectors[i];
          messages[i].msg_hdr.msg_iovlen = 1;
        }
        const int count = recvmmsg(socket.fd, messages, max_batch, MSG_DONTWAIT, nullptr);
        if (count <= 0) break;
        any = true;
        const uint64_t now = monotonic_ns();
        for (int i = 0; i < count; ++i) {
          std::span<const uint8_t> response(static_cast<const uint8_t*>(vectors[i].iov_base), messages[i].msg_len);
          if (response.size() < 12) {
            ++stats.stray;
            continue;
          }
          const uint16_t id = uint16_t(response[0] << 8 | response[1]);
          const InFlight::Slot* slot = socket.flight.take(id, window_);
          if (!slot) {
            ++stats.stray;
            continue;
          }
          book_answer(workload_, *slot, response, now, stats, wrong_printed_, options_.max_wrong_printed);
        }
        if (size_t(count) < max_batch) break;
      }
    }
    return any;
  }

  DriverOptions options_;
  const Workload& workload_;
  std::vector<Socket> sockets_;
  std::vector<pollfd> poll_fds_;
  size_t next_socket_ = 0;
  size_t next_query_ = 0;
  uint32_t window_ = 0;
  unsigned wrong_printed_ = 0;
};

}  // namespace

std::unique_ptr<Driver> make_udp_driver(const DriverOptions& options, const Workload& workload) {
  return std::make_unique<UdpDriver>(options, workload);
}

}  // namespace loadgen
