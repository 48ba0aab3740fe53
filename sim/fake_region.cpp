// sim/fake_region.cpp: FakeRegions, loopback HTTP and TCP backends on one libuv loop that fail on cue.
#include "sim/fake_region.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resolver/uv_handle.h"

namespace meridian::sim {

using resolver::UvPtr;
using Clock = std::chrono::steady_clock;

const char* to_string(Behaviour behaviour) {
  switch (behaviour) {
    case Behaviour::healthy: return "healthy";
    case Behaviour::fail: return "fail";
    case Behaviour::hang: return "hang";
    case Behaviour::degrade: return "degrade";
    case Behaviour::slow: return "slow";
  }
  return "?";
}

namespace {

// A probe's request is a few hundred bytes; anything this long is not one.
constexpr size_t max_request_size = 8192;

bool is_loopback(const geo::Address& address) {
  if (address.family == geo::Family::v4) return address.bytes[0] == 127;
  return address ==
         geo::Address{.family = geo::Family::v6, .bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
}

sockaddr_storage socket_address_of(const geo::Address& address, uint16_t port) {
  sockaddr_storage storage{};
  if (address.family == geo::Family::v4) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&v4.sin_addr, address.bytes.data(), 4);
  } else {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&v6.sin6_addr, address.bytes.data(), 16);
  }
  return storage;
}

std::runtime_error cannot_listen(const std::string& name, const geo::Address& address, uint16_t port,
                                 const std::string& reason) {
  return std::runtime_error("region " + name + " cannot listen on " +
                            geo::SocketAddress{address, port}.to_string() + ": " + reason);
}

std::string http_response(int status, std::string_view reason) {
  const std::string body = std::string(reason) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// A uv_write_t and its bytes, freed by its callback: the connection may be gone by then (its
// handle's data is then null), the request never is.
struct Write {
  uv_write_t request{};
  std::string bytes;
};

}  // namespace

struct FakeRegions::Impl {
  struct Region;

  // One accepted HTTP connection. Its handles point back at it through `data`, which is cleared
  // when it goes, so a callback libuv still delivers (a cancelled write) finds nothing.
  struct Connection {
    enum class State { reading, waiting, hung, answering };
    Region* region = nullptr;
    UvPtr<uv_tcp_t> socket;
    UvPtr<uv_timer_t> timer;  // the answer's latency or delay
    State state = State::reading;
    std::string request;
    std::string method, target;
    Clock::time_point arrived;  // when the request was read in full
    std::array<char, 4096> buffer;

    ~Connection() {
      if (socket) socket->data = nullptr;
      if (timer) timer->data = nullptr;
    }
  };

  struct Region {
    std::string name;
    geo::Address address;
    uint16_t port = 0;  // the bound one: a recovery binds it again
    model::MonitorProtocol protocol = model::MonitorProtocol::http;
    std::string path;
    model::Duration latency{0};
    std::atomic<uint64_t> requests{0};
    // The loop thread's alone once started.
    Behaviour behaviour = Behaviour::healthy;
    model::Duration delay{0};
    UvPtr<uv_tcp_t> listener;  // null while failing
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;
  };

  struct Change {
    size_t region = 0;
    Behaviour behaviour = Behaviour::healthy;
    model::Duration delay{0};
    uint64_t ticket = 0;
  };

  resolver::UvLoopPtr loop = resolver::make_loop();  // first, so it goes last
  std::vector<std::unique_ptr<Region>> regions;      // pointers: handles hold their addresses
  UvPtr<uv_async_t> wake;
  std::thread thread;

  // set()'s hand-off to the loop: changes queued under the mutex, then the loop's answer.
  std::mutex mutex;
  std::condition_variable applied;
  std::vector<Change> changes;
  uint64_t last_ticket = 0;
  uint64_t applied_ticket = 0;
  std::map<uint64_t, std::string> errors;  // by ticket: a recovery that could not bind
  bool stopping = false;

  Impl() { wake = resolver::make_async(loop.get(), on_wake, this); }

  Region& region_at(size_t index) const {
    if (index >= regions.size()) throw std::out_of_range("no fake region " + std::to_string(index));
    return *regions[index];
  }

  // Binds and listens; the first time with port 0 learns the port the kernel chose. libuv sets
  // SO_REUSEADDR, so a recovery binds again though the connections it reset sit in TIME_WAIT.
  void listen(Region& region) {
    auto listener = resolver::make_tcp(loop.get(), &region);
    const sockaddr_storage address = socket_address_of(region.address, region.port);
    int status = uv_tcp_bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), 0);
    // libuv may hold a bind error back until listen.
    if (status == 0) status = uv_listen(reinterpret_cast<uv_stream_t*>(listener.get()), 128, on_connection);
    if (status < 0) throw cannot_listen(region.name, region.address, region.port, std::strerror(-status));
    if (region.port == 0) {
      sockaddr_storage bound{};
      int size = sizeof bound;
      resolver::uv_check(uv_tcp_getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &size),
                         "uv_tcp_getsockname");
      region.port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                                     : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
    }
    region.listener = std::move(listener);
  }

  // RST instead of FIN: what a client of a crashed backend sees.
  static void reset(Region& region, Connection* connection) {
    uv_tcp_t* socket = connection->socket.release();
    socket->data = nullptr;
    auto free_socket = [](uv_handle_t* closed) { delete reinterpret_cast<uv_tcp_t*>(closed); };
    if (uv_tcp_close_reset(socket, free_socket) != 0)
      uv_close(reinterpret_cast<uv_handle_t*>(socket), free_socket);
    region.connections.erase(connection);
  }

  static void close(Connection* connection) { connection->region->connections.erase(connection); }

  void apply(Region& region, Behaviour behaviour, model::Duration delay) {
    // TCP has nothing to answer: only refusing differs from accepting.
    if (region.protocol == model::MonitorProtocol::tcp && behaviour != Behaviour::fail)
      behaviour = Behaviour::healthy;
    if (behaviour == region.behaviour && delay == region.delay) return;
    if (behaviour == Behaviour::fail) {
      region.behaviour = behaviour;
      region.listener.reset();  // closing it refuses new connects and resets its backlog
      while (!region.connections.empty()) reset(region, region.connections.begin()->first);
      return;
    }
    if (!region.listener) listen(region);  // throws before the change: the region stays failed
    region.behaviour = behaviour;
    region.delay = delay;
    std::vector<Connection*> open;
    for (const auto& [connection, owner] : region.connections) open.push_back(connection);
    for (Connection* connection : open) {
      if (connection->state == Connection::State::hung)
        close(connection);
      else if (connection->state == Connection::State::waiting)
        decide(connection);
    }
  }

  // A request read in full: hold it, or answer it when its wait from arrival is over.
  static void decide(Connection* connection) {
    const Region& region = *connection->region;
    uv_timer_stop(connection->timer.get());
    if (region.behaviour == Behaviour::hang) {
      connection->state = Connection::State::hung;
      return;
    }
    const model::Duration wait = region.behaviour == Behaviour::slow ? region.delay : region.latency;
    const Clock::time_point due = connection->arrived + wait;
    const Clock::time_point now = Clock::now();
    if (now >= due) return answer(connection);
    connection->state = Connection::State::waiting;
    // Rounded up, and checked again when it fires: never an answer before its time.
    const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(due - now);
    uv_timer_start(connection->timer.get(), on_timer, static_cast<uint64_t>(remaining.count()), 0);
  }

  static void answer(Connection* connection) {
    const Region& region = *connection->region;
    std::string response;
    if (region.behaviour == Behaviour::degrade)
      response = http_response(503, "Service Unavailable");
    else if (connection->method != "GET")
      response = http_response(405, "Method Not Allowed");
    else if (connection->target != region.path)
      response = http_response(404, "Not Found");
    else
      response = http_response(200, "OK");
    send(connection, std::move(response));
  }

  // Writes the response, then shuts the sending side and closes (Connection: close).
  static void send(Connection* connection, std::string response) {
    connection->state = Connection::State::answering;
    auto write = std::make_unique<Write>();
    write->bytes = std::move(response);
    write->request.data = write.get();
    const uv_buf_t buffer = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
    if (uv_write(&write->request, reinterpret_cast<uv_stream_t*>(connection->socket.get()), &buffer, 1,
                 on_written) != 0)
      return close(connection);
    write.release();  // on_written frees it
  }

  static void on_written(uv_write_t* request, int status) {
    auto* connection = static_cast<Connection*>(request->handle->data);
    delete static_cast<Write*>(request->data);
    if (!connection) return;
    if (status < 0) return close(connection);
    auto shutdown = std::make_unique<uv_shutdown_t>();
    if (uv_shutdown(shutdown.get(), reinterpret_cast<uv_stream_t*>(connection->socket.get()), on_shut_down) !=
        0)
      return close(connection);
    shutdown.release();  // on_shut_down frees it
  }

  static void on_shut_down(uv_shutdown_t* request, int) {
    auto* connection = static_cast<Connection*>(request->handle->data);
    delete request;
    if (connection) close(connection);
  }

  static void on_timer(uv_timer_t* timer) {
    if (auto* connection = static_cast<Connection*>(timer->data)) decide(connection);
  }

  static void on_connection(uv_stream_t* listener, int status) {
    auto& region = *static_cast<Region*>(listener->data);
    if (status < 0) return;
    auto connection = std::make_unique<Connection>();
    connection->region = &region;
    connection->socket = resolver::make_tcp(listener->loop, connection.get());
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(connection->socket.get())) != 0) return;
    if (region.protocol == model::MonitorProtocol::tcp) {
      region.requests.fetch_add(1);
      return;  // the connect succeeded; closing it is all a TCP region does
    }
    connection->timer = resolver::make_timer(listener->loop, connection.get());
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(connection->socket.get()), on_allocate, on_read) != 0)
      return;
    Connection* key = connection.get();
    region.connections.emplace(key, std::move(connection));
  }

  static void on_allocate(uv_handle_t* handle, size_t, uv_buf_t* buffer) {
    auto* connection = static_cast<Connection*>(handle->data);
    *buffer = uv_buf_init(connection->buffer.data(), connection->buffer.size());
  }

  static void on_read(uv_stream_t* stream, ssize_t size, const uv_buf_t* buffer) {
    auto* connection = static_cast<Connection*>(stream->data);
    if (!connection) return;
    if (size < 0) return close(connection);  // the client went away (or its end of the request)
    // After the headers, whatever else comes is read and dropped: an unread byte would turn
    // the close into a reset that could cost the client its answer.
    if (connection->state != Connection::State::reading) return;
    connection->request.append(buffer->base, static_cast<size_t>(size));
    const size_t end = connection->request.find("\r\n\r\n");
    if (end == std::string::npos && connection->request.size() <= max_request_size) return;
    connection->region->requests.fetch_add(1);
    if (end == std::string::npos || end + 4 > max_request_size)
      return send(connection, http_response(400, "Bad Request"));
    // "GET /health HTTP/1.1"
    const std::string_view line =
        std::string_view(connection->request).substr(0, connection->request.find("\r\n"));
    const size_t method_end = line.find(' ');
    const size_t target_end = line.find(' ', method_end == line.npos ? line.npos : method_end + 1);
    if (method_end == line.npos || target_end == line.npos)
      return send(connection, http_response(400, "Bad Request"));
    connection->method = line.substr(0, method_end);
    connection->target = line.substr(method_end + 1, target_end - method_end - 1);
    connection->arrived = Clock::now();
    decide(connection);
  }

  static void on_wake(uv_async_t* handle) {
    auto& impl = *static_cast<Impl*>(handle->data);
    std::vector<Change> todo;
    bool stop = false;
    {
      std::lock_guard lock(impl.mutex);
      todo.swap(impl.changes);
      stop = impl.stopping;
    }
    std::map<uint64_t, std::string> errors;
    if (!stop) {
      for (const Change& change : todo) try {
          impl.apply(*impl.regions[change.region], change.behaviour, change.delay);
        } catch (const std::exception& error) {
          errors.emplace(change.ticket, error.what());
        }
    }
    if (!todo.empty()) {
      std::lock_guard lock(impl.mutex);
      impl.applied_ticket = todo.back().ticket;
      impl.errors.merge(errors);
    }
    impl.applied.notify_all();
    if (stop) impl.close_all();  // uv_run returns once these have closed
  }

  void close_all() {
    for (const auto& region : regions) {
      region->connections.clear();
      region->listener.reset();
    }
    wake.reset();
  }
};

FakeRegions::FakeRegions() : impl_(std::make_unique<Impl>()) {}

FakeRegions::~FakeRegions() {
  if (impl_->thread.joinable()) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->stopping = true;
    }
    uv_async_send(impl_->wake.get());
    impl_->thread.join();
  } else {
    impl_->close_all();  // the loop's deleter then runs it once to free them
  }
}

size_t FakeRegions::add(std::string name, const geo::Address& address, uint16_t port,
                        model::MonitorProtocol protocol, std::string path, model::Duration latency) {
  if (impl_->thread.joinable()) throw std::logic_error("FakeRegions::add after start");
  if (protocol != model::MonitorProtocol::http && protocol != model::MonitorProtocol::tcp)
    throw cannot_listen(name, address, port,
                        std::string("no fake region speaks ") + model::to_string(protocol));
  // The simulator's backends are for this machine's probes only.
  if (!is_loopback(address)) throw cannot_listen(name, address, port, "not a loopback address");
  auto region = std::make_unique<Impl::Region>();
  region->name = std::move(name);
  region->address = address;
  region->port = port;
  region->protocol = protocol;
  region->path = path.empty() || path.front() != '/' ? "/" + path : std::move(path);
  region->latency = latency;
  impl_->listen(*region);
  impl_->regions.push_back(std::move(region));
  return impl_->regions.size() - 1;
}

void FakeRegions::start() {
  if (impl_->thread.joinable()) throw std::logic_error("FakeRegions::start twice");
  impl_->thread = std::thread([loop = impl_->loop.get()] { uv_run(loop, UV_RUN_DEFAULT); });
}

void FakeRegions::set(size_t index, Behaviour behaviour, model::Duration delay) {
  Impl::Region& region = impl_->region_at(index);
  if (!impl_->thread.joinable()) return impl_->apply(region, behaviour, delay);  // no loop runs yet
  uint64_t ticket = 0;
  {
    std::lock_guard lock(impl_->mutex);
    ticket = ++impl_->last_ticket;
    impl_->changes.push_back({.region = index, .behaviour = behaviour, .delay = delay, .ticket = ticket});
  }
  uv_async_send(impl_->wake.get());
  std::unique_lock lock(impl_->mutex);
  impl_->applied.wait(lock, [&] { return impl_->applied_ticket >= ticket || impl_->stopping; });
  if (auto error = impl_->errors.extract(ticket)) throw std::runtime_error(error.mapped());
}

uint16_t FakeRegions::port(size_t region) const {
  return impl_->region_at(region).port;
}

uint64_t FakeRegions::requests(size_t region) const {
  return impl_->region_at(region).requests.load();
}

}  // namespace meridian::sim
