// The control API over HTTP: cpp-httplib's server, our authorisation, our routes.
#include "server/control_server.h"

#include <httplib.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string_view>

namespace meridian::server {

namespace {

// Constant time in the token's length: the comparison does not tell how much of a guess was right.
bool same_token(const std::string& given, const std::string& expected) {
  if (given.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < given.size(); ++i) difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return difference == 0;
}

bool from_loopback(const httplib::Request& request) {
  auto text = request.remote_addr;
  if (text.starts_with("::ffff:")) text = text.substr(7);  // IPv4 over an IPv6 socket
  const auto address = geo::Address::parse(text);
  return address && is_loopback(*address);
}

// RFC 6750 2.1 / RFC 9110 11.1: the scheme name is case-insensitive.
bool is_bearer(const std::string& authorization) {
  static constexpr std::string_view scheme = "bearer ";
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
  return true;
}

// The Host header names a loopback address or localhost (a DNS-rebinding page sends its own
// name). Without one (HTTP/1.0) there is nothing to check.
bool names_this_host(const httplib::Request& request) {
  if (!request.has_header("Host")) return true;
  std::string host = request.get_header_value("Host");
  if (host.starts_with("[")) {
    const auto close = host.find(']');
    if (close == std::string::npos) return false;
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.find(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost") return true;
  const auto address = geo::Address::parse(host);
  return address && is_loopback(*address);
}

// A browser names the page a request comes from in Origin (always on a cross-site POST): it must
// be this server itself.
bool same_origin(const httplib::Request& request) {
  if (!request.has_header("Origin")) return true;
  return request.get_header_value("Origin") == "http://" + request.get_header_value("Host");
}

}  // namespace

bool is_loopback(const geo::Address& address) {
  if (address.family == geo::Family::v4) return address.bytes[0] == 127;
  static const geo::Address ipv6_loopback = *geo::Address::parse("::1");
  return address == ipv6_loopback;
}

ControlServer::ControlServer(const ControlApi& api, const geo::SocketAddress& address, std::string token)
    : api_(api),
      token_(std::move(token)),
      bound_(address),
      http_(std::make_unique<httplib::Server>()),
      state_(std::make_shared<State>()) {
  if (token_.empty() && !is_loopback(address.address))
    throw std::invalid_argument(fmt::format(
        "control address {} is not loopback: set server.control_token_file, or listen on 127.0.0.1 or [::1]",
        address.to_string()));
  // httplib's default sets SO_REUSEPORT, which would let a second server share our port unseen.
  http_->set_socket_options([](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // One request per connection, and little patience with a slow or silent client: httplib's
  // stop() waits for every connection's thread (see stop()). Callers are local tools and a page
  // polling every 2 s; a new connection each time costs them nothing.
  http_->set_keep_alive_max_count(1);
  http_->set_keep_alive_timeout(1);
  http_->set_read_timeout(0, 500000);
  http_->set_write_timeout(1, 0);
  http_->set_payload_max_length(64 * 1024);

  auto handle = [this, state = state_](const httplib::Request& request, httplib::Response& response) {
    // Counted first, then the flag read (stop() does the reverse): one of the two sees the other.
    ++state->in_flight;
    if (state->stopping.load()) {  // an idle connection stop() left: `this` may be gone
      --state->in_flight;
      response.status = 503;
      response.set_content("{\"error\": \"the server is stopping\"}\n", "application/json");
      return;
    }
    struct Done {
      std::atomic<int>& in_flight;
      ~Done() { --in_flight; }
    } done{state->in_flight};
    ControlRequest call;
    call.method = request.method;
    call.path = request.path;
    call.force = request.has_param("force") && request.get_param_value("force") == "true";
    const auto authorization = request.get_header_value("Authorization");
    const bool has_token = !token_.empty() && authorization.size() > 7 && is_bearer(authorization) &&
                           same_token(authorization.substr(7), token_);
    // A loopback client is trusted only when it is not a browser page of another site: a form
    // or a DNS-rebound name would otherwise drain endpoints through the operator's browser.
    const bool trusted = from_loopback(request) && names_this_host(request) && same_origin(request);
    call.may_read = trusted || has_token;
    call.may_change = token_.empty() ? trusted : has_token;
    const auto reply = api_.handle(call);
    response.status = reply.status;
    if (!reply.allow.empty()) response.set_header("Allow", reply.allow);
    if (reply.status == 401) response.set_header("WWW-Authenticate", "Bearer");
    response.set_header("Cache-Control", "no-store");
    response.set_content(reply.body, reply.content_type.c_str());
  };
  // httplib's own refusals come with no body; give them a JSON reason like ours. The common one:
  // httplib 0.11 rejects a POST with no Content-Length (as `curl -X POST` sends) with a 400.
  http_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours
        std::string reason = fmt::format("HTTP {}", response.status);
        if (response.status == 400 && request.method == "POST" && !request.has_header("Content-Length"))
          reason = "a POST needs a Content-Length (send an empty body: curl -d '' ...)";
        response.set_content(fmt::format("{{\"error\": \"{}\"}}\n", reason), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  // Every method reaches our routes, so a wrong one gets 405 with Allow rather than httplib's 404.
  const httplib::Server::Handler handler = handle;
  http_->Get(".*", handler).Post(".*", handler).Put(".*", handler).Patch(".*", handler);
  http_->Delete(".*", handler).Options(".*", handler);

  const std::string host = address.address.to_string();
  if (address.port == 0) {
    const int port = http_->bind_to_any_port(host);
    if (port < 0) throw std::runtime_error(fmt::format("control: cannot bind {}", address.to_string()));
    bound_.port = static_cast<uint16_t>(port);
  } else if (!http_->bind_to_port(host, address.port)) {
    throw std::runtime_error(
        fmt::format("control: cannot bind {}: {}", address.to_string(), std::strerror(errno)));
  }
}

ControlServer::~ControlServer() {
  stop();
}

void ControlServer::start() {
  std::promise<void> done;
  finished_ = done.get_future();
  thread_ = std::thread([this, done = std::move(done)]() mutable {
    pthread_setname_np(pthread_self(), "control");
    http_->listen_after_bind();  // returns once every request thread has finished
    done.set_value();
  });
  // httplib's stop() does nothing before its loop runs, and a SIGTERM may come that early: wait
  // for it (it starts in microseconds; httplib 0.11 has no event to wait on).
  while (!http_->is_running() &&
         finished_.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
  }
}

void ControlServer::stop() {
  if (!thread_.joinable()) return;
  state_->stopping.store(true);
  http_->stop();  // closes the listening socket: nothing new is accepted
  // Requests in flight finish; but httplib also waits out each idle connection's keep-alive
  // timeout (a second, and 0.11 has no shorter), and SIGTERM must be done within one. Past
  // half a second the threads are left to the process's exit, with the server they use
  // (deliberately never freed) answering 503 to anything that still arrives.
  if (finished_.wait_for(std::chrono::milliseconds(500)) == std::future_status::ready) {
    thread_.join();
    return;
  }
  // What is in flight is answered first (a reload may take seconds), idle connections are not.
  while (state_->in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  spdlog::info("control: stopped; idle connections left to close with the process");
  thread_.detach();
  (void)http_.release();
}

}  // namespace meridian::server
