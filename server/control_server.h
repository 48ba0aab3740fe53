// The control API's HTTP listener (cpp-httplib): one acceptor thread and a pool of two request
// threads, apart from the DNS workers. It only turns HTTP into ControlRequests and back; the
// routes are in server/control_api.h.
//
// Who may do what: with a token configured, every call that changes something needs
// `Authorization: Bearer <token>`, and so does every call from a client that is not on loopback;
// without one (only allowed on a loopback address), every loopback client may do everything.
// A loopback client counts as one only when its Host header names a loopback address or
// localhost and its Origin, if any, is this server: a page of another site open in the
// operator's browser (a form post, a DNS-rebound name) gets 401.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "geo/net.h"
#include "server/control_api.h"

namespace httplib {
class Server;
}

namespace meridian::server {

class ControlServer {
 public:
  // Binds `address` (port 0: a free one) or throws std::runtime_error; serves nothing until
  // start(). An empty `token` is allowed only on a loopback address (std::invalid_argument).
  ControlServer(const ControlApi& api, const geo::SocketAddress& address, std::string token);
  ~ControlServer();  // stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const geo::SocketAddress& address() const { return bound_; }
  void start();
  // Stops accepting and lets requests in flight finish, waiting half a second at most (then the
  // remaining threads, idle, end with the process). Safe to call twice.
  void stop();

 private:
  const ControlApi& api_;
  const std::string token_;
  geo::SocketAddress bound_;
  std::unique_ptr<httplib::Server> http_;
  // Shared with the request handler, which may outlive this object (stop()).
  struct State {
    std::atomic<bool> stopping{false};
    std::atomic<int> in_flight{0};
  };
  std::shared_ptr<State> state_;
  std::future<void> finished_;  // ready once the listening thread is done
  std::thread thread_;
};

bool is_loopback(const geo::Address& address);

}  // namespace meridian::server
