// The system tests' HTTP backend: a poll loop on one thread, one short response per request.
#include "http_backend.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

namespace meridian::test {

HttpBackend::HttpBackend(const std::string& address, int status) : address_(address), status_(status) { start(); }

HttpBackend::~HttpBackend() { stop(); }

void HttpBackend::start() {
  if (running_) return;
  // CLOEXEC: a meridian started later by fork+exec must not inherit (and hold open) the listener.
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  const int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port_);
  REQUIRE(inet_pton(AF_INET, address_.c_str(), &in.sin_addr) == 1);
  const int bound = bind(listener, reinterpret_cast<sockaddr*>(&in), sizeof in);
  const int error = errno;
  REQUIRE_MESSAGE(bound == 0, "bind " << address_ << ":" << port_ << ": " << std::string(std::strerror(error)));
  REQUIRE(listen(listener, 64) == 0);
  socklen_t length = sizeof in;
  getsockname(listener, reinterpret_cast<sockaddr*>(&in), &length);
  port_ = ntohs(in.sin_port);
  REQUIRE(pipe2(wake_, O_CLOEXEC) == 0);
  running_ = true;
  thread_ = std::thread([this, listener] { serve(listener); });
}

void HttpBackend::stop() {
  if (!running_) return;
  running_ = false;
  (void)!write(wake_[1], "x", 1);
  thread_.join();
  close(wake_[0]);
  close(wake_[1]);
}

void HttpBackend::set_status_from(const std::string& source, int status) {
  std::lock_guard lock(by_source_mutex_);
  by_source_[source] = status;
}

int HttpBackend::status_for(int client) {
  sockaddr_in peer{};
  socklen_t length = sizeof peer;
  char text[INET_ADDRSTRLEN] = "";
  if (getpeername(client, reinterpret_cast<sockaddr*>(&peer), &length) == 0)
    inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
  std::lock_guard lock(by_source_mutex_);
  const auto found = by_source_.find(text);
  return found != by_source_.end() ? found->second : status_.load();
}

void HttpBackend::serve(int listener) {
  std::vector<int> clients;
  while (running_) {
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listener, POLLIN, 0}};
    for (int client : clients) fds.push_back({client, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) <= 0) continue;
    if (fds[0].revents) break;
    std::vector<int> still_open;
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!fds[i].revents) {
        still_open.push_back(fds[i].fd);
        continue;
      }
      char buffer[4096];
      const ssize_t n = recv(fds[i].fd, buffer, sizeof buffer, 0);
      // Probes send one small GET and wait: answer as soon as the header block has arrived.
      if (n > 0 && std::string(buffer, n).find("\r\n\r\n") == std::string::npos) {
        still_open.push_back(fds[i].fd);
        continue;
      }
      if (n > 0) {
        ++requests_;
        const std::string response = "HTTP/1.1 " + std::to_string(status_for(fds[i].fd)) +
                                     " Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        (void)!send(fds[i].fd, response.data(), response.size(), MSG_NOSIGNAL);
      }
      close(fds[i].fd);
    }
    clients = std::move(still_open);
    if (fds[1].revents & POLLIN) {
      const int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) clients.push_back(client);
    }
  }
  for (int client : clients) close(client);
  close(listener);
}

}  // namespace meridian::test
