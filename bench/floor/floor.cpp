// meridian-floor: a DNS "server" with no DNS logic (flip the QR bit, send it back), so the
// benchmark can show what the kernel's UDP and TCP paths alone cost on this machine.
//
// It answers the way a real server's I/O loop would, and no cheaper: one thread, epoll,
// recvmmsg/sendmmsg in batches of 64 on UDP, length-framed messages on TCP (pipelined, one
// write per read). Anything it does is work every server must also do; everything a server
// costs above it is that server's own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "socket_address.h"

namespace {

// 16 datagrams per call, as gdnsd and Meridian take them: the kernel's side costs less per
// datagram than in calls of 64 (peak 616-657k q/s against 554-571k; total CPU at 450k q/s
// 1.65-1.71 against 1.77-1.81 µs), and the floor should be the cheapest way to answer.
constexpr unsigned batch = 16;
constexpr size_t slot_size = 4096;  // a query is small; anything longer is cut and still echoed

volatile sig_atomic_t stopping = 0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "error floor: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

int open_socket(const sockaddr_storage& address, socklen_t length, int type) {
  const int fd = socket(address.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // Room for bursts: the floor should lose a query only when its core is full.
  const int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) die("bind");
  if (type == SOCK_STREAM && listen(fd, 1024) != 0) die("listen");
  return fd;
}

// One UDP socket: read up to a batch of datagrams, flip QR in each, send them all back in one call.
struct UdpEcho {
  int fd;
  std::vector<uint8_t> buffers = std::vector<uint8_t>(batch * slot_size);
  mmsghdr messages[batch]{};
  iovec vectors[batch]{};
  sockaddr_storage peers[batch]{};

  explicit UdpEcho(int socket_fd) : fd(socket_fd) {}

  void drain() {
    for (;;) {
      for (unsigned i = 0; i < batch; ++i) {
        vectors[i] = {buffers.data() + i * slot_size, slot_size};
        messages[i].msg_hdr = {};
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &peers[i];
        messages[i].msg_hdr.msg_namelen = sizeof peers[i];
      }
      const int received = recvmmsg(fd, messages, batch, MSG_DONTWAIT, nullptr);
      if (received <= 0) return;
      unsigned answers = 0;
      for (int i = 0; i < received; ++i) {
        const unsigned length = messages[i].msg_len;
        auto* data = static_cast<uint8_t*>(vectors[i].iov_base);
        if (length < 12 || (data[2] & 0x80) != 0) continue;  // not a query: drop, as servers do
        data[2] |= 0x80;
        vectors[i].iov_len = length;
        if (answers != unsigned(i)) {
          vectors[answers] = vectors[i];
          peers[answers] = peers[i];
          messages[answers].msg_hdr.msg_namelen = messages[i].msg_hdr.msg_namelen;
        }
        messages[answers].msg_hdr.msg_iov = &vectors[answers];
        messages[answers].msg_hdr.msg_name = &peers[answers];
        ++answers;
      }
      // A full send buffer drops the rest, as a server would.
      for (unsigned sent = 0; sent < answers;) {
        const int count = sendmmsg(fd, messages + sent, answers - sent, MSG_DONTWAIT);
        if (count <= 0) break;
        sent += unsigned(count);
      }
      if (unsigned(received) < batch) return;
    }
  }
};

// One TCP connection: echo each length-framed message with QR set, pipelined.
struct TcpEcho {
  int fd;
  std::vector<uint8_t> in;
  std::vector<uint8_t> out;
  size_t out_done = 0;

  // False when the connection is finished.
  bool on_readable() {
    uint8_t chunk[65536];
    for (;;) {
      const ssize_t count = read(fd, chunk, sizeof chunk);
      if (count == 0) return false;
      if (count < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return false;
      }
      in.insert(in.end(), chunk, chunk + count);
      if (size_t(count) < sizeof chunk) break;
    }
    size_t offset = 0;
    while (in.size() - offset >= 2) {
      const size_t length = size_t(in[offset]) << 8 | in[offset + 1];
      if (in.size() - offset - 2 < length) break;
      const size_t start = out.size();
      out.insert(out.end(), in.begin() + long(offset), in.begin() + long(offset + 2 + length));
      if (length >= 12) out[start + 4] |= 0x80;
      offset += 2 + length;
    }
    in.erase(in.begin(), in.begin() + long(offset));
    return flush();
  }

  bool flush() {
    while (out_done < out.size()) {
      const ssize_t count = write(fd, out.data() + out_done, out.size() - out_done);
      if (count < 0) {
        if (errno == EAGAIN || errno == EINTR) return true;  // EPOLLOUT finishes it
        return false;
      }
      out_done += size_t(count);
    }
    out.clear();
    out_done = 0;
    return true;
  }
};

void usage() {
  std::fprintf(stderr,
               "usage: meridian-floor --listen ADDR:PORT [--listen ADDR:PORT]...\n"
               "  Answers every DNS query on UDP and TCP with the query itself, QR bit set.\n"
               "  Logs \"info floor: ready\" once it answers; stops on SIGINT or SIGTERM.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> listens;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listens.emplace_back(argv[++i]);
    } else {
      usage();
      return arg == "--help" || arg == "-h" ? 0 : 1;
    }
  }
  if (listens.empty()) {
    usage();
    return 1;
  }

  struct sigaction action{};
  action.sa_handler = [](int) { stopping = 1; };
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) die("epoll_create1");
  std::vector<UdpEcho> udp;
  std::vector<int> listeners;
  udp.reserve(listens.size());
  for (const auto& text : listens) {
    sockaddr_storage address;
    socklen_t length = 0;
    if (!bench::parse_address(text, address, length)) {
      std::fprintf(stderr, "error floor: --listen \"%s\" is not ADDRESS:PORT\n", text.c_str());
      return 1;
    }
    udp.emplace_back(open_socket(address, length, SOCK_DGRAM));
    listeners.push_back(open_socket(address, length, SOCK_STREAM));
  }
  // epoll data: index into udp (tag 1), listener fd (tag 2), connection fd (tag 3).
  auto tag = [](uint64_t kind, uint64_t value) { return kind << 32 | value; };
  for (size_t i = 0; i < udp.size(); ++i) {
    epoll_event event{EPOLLIN, {.u64 = tag(1, i)}};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, udp[i].fd, &event);
  }
  for (int fd : listeners) {
    epoll_event event{EPOLLIN, {.u64 = tag(2, uint64_t(fd))}};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
  std::unordered_map<int, TcpEcho> connections;
  auto close_connection = [&](int fd) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    connections.erase(fd);
  };

  for (const auto& text : listens) std::fprintf(stderr, "info floor: listening address=%s\n", text.c_str());
  std::fprintf(stderr, "info floor: ready\n");

  epoll_event events[64];
  while (!stopping) {
    const int count = epoll_wait(epoll_fd, events, 64, 500);
    for (int i = 0; i < count; ++i) {
      const uint64_t kind = events[i].data.u64 >> 32;
      const auto value = static_cast<uint32_t>(events[i].data.u64);
      if (kind == 1) {
        udp[value].drain();
      } else if (kind == 2) {
        for (;;) {
          const int fd = accept4(int(value), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          const int on = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
          connections.emplace(fd, TcpEcho{fd, {}, {}, 0});
          epoll_event event{EPOLLIN | EPOLLOUT | EPOLLET, {.u64 = tag(3, uint64_t(fd))}};
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
        }
      } else {
        const int fd = int(value);
        auto found = connections.find(fd);
        if (found == connections.end()) continue;
        bool open = true;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) open = found->second.on_readable();
        if (open && (events[i].events & EPOLLOUT)) open = found->second.flush();
        if (!open) close_connection(fd);
      }
    }
  }
  for (auto& [fd, connection] : std::unordered_map<int, TcpEcho>(connections)) close_connection(fd);
  std::fprintf(stderr, "info floor: stopped\n");
  return 0;
}
