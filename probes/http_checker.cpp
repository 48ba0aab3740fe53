// libcurl multi on libuv: curl tells us which sockets to watch and when to wake it, uv_poll and
// uv_timer tell curl when that happened, and finished transfers are judged by outcome.h.
#include "probes/http_checker.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "probes/http_request.h"
#include "probes/outcome.h"
#include "probes/target.h"

namespace meridian::probes {

struct HttpChecker::Transfer {
  CurlEasyPtr easy;
  CurlListPtr headers;
  CurlListPtr connect_to;
  model::Monitor monitor;              // for judging: expected statuses, timeout
  std::optional<geo::Address> source;  // server.probe_source bound, named if that fails
  Callback done;
  size_t body_bytes = 0;
};

struct HttpChecker::Socket {
  HttpChecker* owner = nullptr;
  curl_socket_t fd = CURL_SOCKET_BAD;
  UvPtr<uv_poll_t> poll;
};

namespace {

constexpr const char* user_agent = "Meridian-Monitor/0.1";

size_t discard_body(char*, size_t size, size_t count, void* transfer_bytes) {
  auto& bytes = *static_cast<size_t*>(transfer_bytes);
  bytes += size * count;
  // Returning less than given makes curl stop with CURLE_WRITE_ERROR; the status line is in.
  return bytes > HttpChecker::body_limit ? 0 : size * count;
}

CurlListPtr make_list(const std::vector<std::string>& lines) {
  curl_slist* list = nullptr;
  for (const auto& line : lines) {
    curl_slist* grown = curl_slist_append(list, line.c_str());
    if (grown == nullptr) break;
    list = grown;
  }
  return CurlListPtr(list);
}

}  // namespace

HttpChecker::HttpChecker(uv_loop_t* loop, std::vector<geo::Address> sources)
    : loop_(loop), sources_(std::move(sources)), multi_(curl_multi_init()), timer_(make_timer(loop, this)) {
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &HttpChecker::on_socket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &HttpChecker::on_timer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
}

HttpChecker::~HttpChecker() {
  for (auto& [easy, transfer] : transfers_) curl_multi_remove_handle(multi_.get(), easy);
  transfers_.clear();
  // Cleanup may still report sockets through on_socket, so the maps must be alive for it.
  multi_.reset();
  sockets_.clear();
}

void HttpChecker::check(const geo::Address& address, const model::Monitor& monitor, Callback done,
                        std::string_view fqdn) {
  HttpRequest request = build_http_request(address, monitor, fqdn);
  auto transfer = std::make_unique<Transfer>();
  transfer->easy.reset(curl_easy_init());
  transfer->monitor = monitor;
  transfer->done = std::move(done);
  if (!transfer->easy) return transfer->done(Result{false, "curl_easy_init failed"});

  CURL* easy = transfer->easy.get();
  transfer->headers = make_list(request.headers);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  if (!request.connect_to.empty()) {
    transfer->connect_to = make_list({request.connect_to});
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, transfer->connect_to.get());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers.get());
  transfer->source = probe_source(sources_, address.family);
  if (transfer->source) {
    // "host!": an address to bind, never taken for an interface name (curl copies the string).
    const std::string interface = "host!" + transfer->source->to_string();
    curl_easy_setopt(easy, CURLOPT_INTERFACE, interface.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  // 0 would mean no timeout at all to curl.
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, std::max(1L, long(monitor.timeout.count())));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // never detour through an environment proxy
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_1_1));
  // A fresh connection per probe: it checks what a new client would get, and keeps no idle
  // connection per endpoint open between probes.
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer->body_bytes);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, monitor.tls_verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, monitor.tls_verify ? 2L : 0L);

  if (curl_multi_add_handle(multi_.get(), easy) != CURLM_OK)
    return transfer->done(Result{false, "curl_multi_add_handle failed"});
  transfers_.emplace(easy, std::move(transfer));
}

int HttpChecker::on_socket(CURL*, curl_socket_t fd, int what, void* self, void* socket) {
  static_cast<HttpChecker*>(self)->update_socket(fd, what, static_cast<Socket*>(socket));
  return 0;
}

void HttpChecker::update_socket(curl_socket_t fd, int what, Socket* socket) {
  if (what == CURL_POLL_REMOVE) {
    // Curl reports a socket's removal before closing it, so the fd is still ours to unwatch.
    curl_multi_assign(multi_.get(), fd, nullptr);
    sockets_.erase(fd);
    return;
  }
  if (socket == nullptr) {
    auto owned = std::make_unique<Socket>();
    owned->owner = this;
    owned->fd = fd;
    owned->poll = make_poll(loop_, fd, owned.get());
    if (!owned->poll) return;  // the transfer then ends in its timeout
    socket = owned.get();
    sockets_[fd] = std::move(owned);
    curl_multi_assign(multi_.get(), fd, socket);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(socket->poll.get(), events, [](uv_poll_t* poll, int status, int ready) {
    auto* watched = static_cast<Socket*>(poll->data);
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (ready & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (ready & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    // `watched` may be freed inside drive() (curl removes the socket): read it first.
    watched->owner->drive(watched->fd, flags);
  });
}

int HttpChecker::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* checker = static_cast<HttpChecker*>(self);
  if (timeout_ms < 0) {
    uv_timer_stop(checker->timer_.get());
    return 0;
  }
  // Never call back into curl from inside its own callback: a 0 timeout runs on the next turn.
  uv_timer_start(
      checker->timer_.get(),
      [](uv_timer_t* timer) { static_cast<HttpChecker*>(timer->data)->drive(CURL_SOCKET_TIMEOUT, 0); },
      uint64_t(timeout_ms), 0);
  return 0;
}

void HttpChecker::drive(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), fd, events, &running);
  finish_done_transfers();
}

void HttpChecker::finish_done_transfers() {
  std::vector<std::pair<Callback, Result>> finished;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    auto found = transfers_.find(easy);
    if (found == transfers_.end()) continue;
    HttpOutcome outcome;
    outcome.code = message->data.result;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &outcome.http_status);
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &outcome.os_errno);
    Result result = judge_http(outcome, found->second->monitor, found->second->source);
    curl_multi_remove_handle(multi_.get(), easy);
    finished.emplace_back(std::move(found->second->done), std::move(result));
    transfers_.erase(found);
  }
  // Call back only once curl's bookkeeping is done: a callback may start the next check.
  for (auto& [done, result] : finished) done(std::move(result));
}

}  // namespace meridian::probes
