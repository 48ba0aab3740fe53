// The real `meridian serve`, run as a child process for a real-time simulation: started on free
// loopback ports, its log read as it comes (where it listens, when its probes start, each
// verdict change), and stopped by its PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "geo/net.h"

namespace meridian::sim {

class ServerProcess {
 public:
  struct Transition {
    std::chrono::steady_clock::time_point at;  // when its log line arrived
    std::string endpoint;                      // "profile/endpoint"
    std::string from, to;
  };

  // Starts `binary serve --config CONFIG --listen 127.0.0.1:0 --control 127.0.0.1:0`, and waits
  // (up to `timeout`) until it listens and its probes have started. Throws std::runtime_error
  // with the log so far when it does not.
  ServerProcess(const std::string& binary, const std::string& config, std::chrono::seconds timeout);
  ~ServerProcess();  // SIGTERM, then SIGKILL after 5 s
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const geo::SocketAddress& dns() const { return dns_; }
  const geo::SocketAddress& control() const { return control_; }
  // When the server logged "probes: started": where its monitors' schedules begin.
  std::chrono::steady_clock::time_point probes_started() const { return probes_started_; }
  // The verdict changes logged so far.
  std::vector<Transition> transitions() const;
  std::string log() const;

 private:
  void stop();  // SIGTERM, SIGKILL after 5 s; the reader joined. Safe to call twice.
  void read_log();
  void on_line(const std::string& line);

  pid_t pid_ = -1;
  int log_fd_ = -1;
  mutable std::mutex mutex_;  // guards what the reader thread writes below
  std::condition_variable changed_;
  std::string log_;
  std::vector<Transition> transitions_;
  bool listening_ = false, controlled_ = false, probing_ = false, exited_ = false;
  geo::SocketAddress dns_, control_;
  std::chrono::steady_clock::time_point probes_started_{};
  std::thread reader_;
};

}  // namespace meridian::sim
