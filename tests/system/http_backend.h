// A tiny HTTP backend for system tests: answers every request with a chosen status, counts
// requests, and can be stopped and started again on the same address and port.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace meridian::test {

class HttpBackend {
 public:
  // Listens on `address` (e.g. "127.0.0.11") on a free port.
  explicit HttpBackend(const std::string& address, int status = 200);
  ~HttpBackend();
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  uint16_t port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }
  void set_status(int status) { status_.store(status); }
  // Answers requests from `source` (a peer address, "127.0.0.21") with `status` instead: one
  // probe site that cannot reach the backend while the others can.
  void set_status_from(const std::string& source, int status);
  // Closes the listening socket: new connections are refused until start().
  void stop();
  void start();

 private:
  void serve(int listener);
  std::string address_;
  uint16_t port_ = 0;
  int status_for(int client);
  std::atomic<int> status_;
  std::mutex by_source_mutex_;
  std::map<std::string, int> by_source_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<bool> running_{false};
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace meridian::test
