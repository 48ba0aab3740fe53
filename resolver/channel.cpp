// c-ares on libuv: socket state callbacks start and stop uv_polls, readiness and the timer
// call ares_process_fd, and the timer follows ares_timeout after every call into c-ares.
#include "resolver/channel.h"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

namespace meridian::resolver {

struct Channel::Socket {
  Channel* owner = nullptr;
  ares_socket_t fd = ARES_SOCKET_BAD;
  UvPtr<uv_poll_t> poll;
};

namespace {

// ares_library_init is a no-op on Linux in the versions we build with, but documented as
// required before the first channel; it is never cleaned up (it lives as long as the process).
void library_once() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS) throw std::runtime_error(std::string("ares_library_init: ") + ares_strerror(status));
}

// Owns the callback of one query until c-ares calls it back (always exactly once).
struct Pending {
  Channel::Callback done;
};

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* reply, int length) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  if (status == ARES_EDESTRUCTION) return;  // the channel is going away: nobody to tell
  std::span<const uint8_t> bytes;
  if (reply != nullptr && length > 0) bytes = {reply, size_t(length)};
  pending->done(status, bytes);
}

void set_servers(ares_channel channel, const std::vector<geo::SocketAddress>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    auto& node = nodes[i];
    const auto& server = servers[i];
    std::memset(&node, 0, sizeof node);
    node.next = i + 1 < servers.size() ? &nodes[i + 1] : nullptr;
    if (server.address.family == geo::Family::v4) {
      node.family = AF_INET;
      std::memcpy(&node.addr.addr4, server.address.bytes.data(), 4);
    } else {
      node.family = AF_INET6;
      std::memcpy(&node.addr.addr6, server.address.bytes.data(), 16);
    }
    node.udp_port = server.port;
    node.tcp_port = server.port;
  }
  int status = ares_set_servers_ports(channel, nodes.data());
  if (status != ARES_SUCCESS) throw std::runtime_error(std::string("ares_set_servers_ports: ") + ares_strerror(status));
}

}  // namespace

Channel::Channel(uv_loop_t* loop, const Settings& settings) : loop_(loop), timer_(make_timer(loop, this)) {
  library_once();
  ares_options options{};
  options.sock_state_cb = &Channel::on_socket_state;
  options.sock_state_cb_data = this;
  options.timeout = int(std::max<int64_t>(1, settings.timeout.count()));  // ms, with ARES_OPT_TIMEOUTMS
  options.tries = int(std::max(1u, settings.tries));
  // c-ares moves on to the next server on SERVFAIL, REFUSED or NOTIMP, and once every server
  // has failed it reports only ARES_ECONNREFUSED. With one configured server there is nowhere
  // to move on to, so it hands the reply back instead and the failure keeps its rcode.
  options.flags = settings.servers.size() == 1 ? ARES_FLAG_NOCHECKRESP : 0;
  ares_channel channel = nullptr;
  int status = ares_init_options(&channel, &options,
                                 ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
  if (status != ARES_SUCCESS) throw std::runtime_error(std::string("ares_init_options: ") + ares_strerror(status));
  channel_.reset(channel);
  if (!settings.servers.empty()) set_servers(channel_.get(), settings.servers);
}

Channel::~Channel() {
  // ares_destroy drops the pending queries (on_reply ignores ARES_EDESTRUCTION) and reports
  // its sockets closed through on_socket_state, which needs the socket map.
  channel_.reset();
  sockets_.clear();
  timer_.reset();
}

void Channel::query(const std::string& name, int type, Callback done) {
  auto pending = std::make_unique<Pending>(Pending{std::move(done)});
  ares_query(channel_.get(), name.c_str(), ns_c_in, type, &on_reply, pending.release());
  arm_timer();
}

void Channel::on_socket_state(void* self, ares_socket_t fd, int readable, int writable) {
  static_cast<Channel*>(self)->watch(fd, readable != 0, writable != 0);
}

void Channel::watch(ares_socket_t fd, bool readable, bool writable) {
  if (!readable && !writable) {
    // c-ares reports a socket's end before closing it, so the fd is still ours to unwatch.
    sockets_.erase(fd);
    return;
  }
  auto found = sockets_.find(fd);
  if (found == sockets_.end()) {
    auto socket = std::make_unique<Socket>();
    socket->owner = this;
    socket->fd = fd;
    socket->poll = make_poll(loop_, fd, socket.get());
    if (!socket->poll) return;  // the query then ends in its timeout
    found = sockets_.emplace(fd, std::move(socket)).first;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(found->second->poll.get(), events, [](uv_poll_t* poll, int status, int ready) {
    auto* socket = static_cast<Socket*>(poll->data);
    // Read before process(): c-ares may close the socket and so free `socket` inside it.
    Channel* owner = socket->owner;
    ares_socket_t fd = socket->fd;
    // An error is handed to c-ares as readiness: its read or write then fails and it moves on.
    bool read = status < 0 || (ready & UV_READABLE) != 0;
    bool write = status < 0 || (ready & UV_WRITABLE) != 0;
    owner->process(read ? fd : ARES_SOCKET_BAD, write ? fd : ARES_SOCKET_BAD);
  });
}

void Channel::process(ares_socket_t read_fd, ares_socket_t write_fd) {
  ares_process_fd(channel_.get(), read_fd, write_fd);
  arm_timer();
}

void Channel::arm_timer() {
  timeval wait{};
  if (ares_timeout(channel_.get(), nullptr, &wait) == nullptr) {
    uv_timer_stop(timer_.get());  // nothing in flight
    return;
  }
  uint64_t ms = uint64_t(wait.tv_sec) * 1000 + uint64_t(wait.tv_usec + 999) / 1000;
  uv_timer_start(
      timer_.get(),
      [](uv_timer_t* timer) { static_cast<Channel*>(timer->data)->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD); }, ms,
      0);
}

}  // namespace meridian::resolver
