// HTTP and HTTPS checks through libcurl's multi interface, driven by the probe thread's libuv
// loop (curl_multi_socket_action with uv_poll and uv_timer): any number of transfers at once,
// no extra thread, no blocking call.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/model.h"
#include "geo/net.h"
#include "probes/curl_handle.h"
#include "probes/result.h"
#include "probes/uv_handle.h"

namespace meridian::probes {

class HttpChecker {
 public:
  using Callback = std::function<void(Result)>;

  // Bodies are read and discarded up to this size, then the transfer is cut: the status is
  // all that matters.
  static constexpr size_t body_limit = 64 * 1024;

  // Probes leave from the source in `sources` of their target's family (server.probe_source).
  HttpChecker(uv_loop_t* loop, std::vector<geo::Address> sources);
  // Cancels the transfers in flight without calling them back.
  ~HttpChecker();
  HttpChecker(const HttpChecker&) = delete;
  HttpChecker& operator=(const HttpChecker&) = delete;

  // One GET of monitor.path at address:monitor.port (asking for `fqdn` when given, see
  // http_request.h). `done` runs once on the loop thread; only when curl refuses the transfer
  // outright does it run before check() returns.
  void check(const geo::Address& address, const model::Monitor& monitor, Callback done, std::string_view fqdn = {});
  size_t in_flight() const { return transfers_.size(); }

 private:
  struct Transfer;
  struct Socket;

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void update_socket(curl_socket_t fd, int what, Socket* socket);
  void drive(curl_socket_t fd, int events);
  void finish_done_transfers();

  uv_loop_t* loop_;
  std::vector<geo::Address> sources_;
  CurlMultiPtr multi_;
  UvPtr<uv_timer_t> timer_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::unique_ptr<Socket>> sockets_;
};

}  // namespace meridian::probes
