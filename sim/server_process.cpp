// Starts and stops the server under simulation, and reads its log on a thread of its own.
#include "sim/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

namespace meridian::sim {

ServerProcess::ServerProcess(const std::string& binary, const std::string& config,
                             std::chrono::seconds timeout) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("cannot make a pipe for the server's log");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("cannot fork the server");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a simulation that dies
    // The run blocks SIGINT and SIGTERM to take them itself; the server must get its own.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    std::vector<const char*> argv{binary.c_str(), "serve",     "--config",    config.c_str(), "--listen",
                                  "127.0.0.1:0",  "--control", "127.0.0.1:0"};
    // A rehearsal started as root: its server binds only free loopback ports and ends with the
    // run, so it may stay root as the operator who started it is (server.user still applies).
    if (geteuid() == 0) argv.push_back("--allow-root");
    argv.push_back(nullptr);
    execv(binary.c_str(), const_cast<char**>(argv.data()));
    _exit(127);
  }
  close(pipe_fds[1]);
  log_fd_ = pipe_fds[0];
  reader_ = std::thread([this] { read_log(); });

  std::unique_lock lock(mutex_);
  const bool ready =
      changed_.wait_for(lock, timeout, [&] { return (listening_ && controlled_ && probing_) || exited_; });
  if (ready && !exited_) return;
  const std::string why = exited_ ? "the server exited" : "the server did not start in time";
  lock.unlock();
  stop();  // the child and the reader thread go before the error does
  throw std::runtime_error(why + "; its log:\n" + log());
}

ServerProcess::~ServerProcess() {
  stop();
}

void ServerProcess::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    {
      // The reader sees the pipe close when the server exits: wait for that, not for time.
      std::unique_lock lock(mutex_);
      changed_.wait_until(lock, deadline, [&] { return exited_; });
    }
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  if (log_fd_ >= 0) close(log_fd_);
  log_fd_ = -1;
}

void ServerProcess::read_log() {
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(log_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, size_t(n));
    for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, end));
      pending.erase(0, end + 1);
    }
  }
  std::lock_guard lock(mutex_);
  exited_ = true;
  changed_.notify_all();
}

void ServerProcess::on_line(const std::string& line) {
  static const std::regex listening(R"(server: listening address=(\S+))");
  static const std::regex controlling(R"(control: listening address=(\S+))");
  static const std::regex transition(R"(probes: (\S+/\S+) (\w+) -> (\w+) reason=)");
  const auto now = std::chrono::steady_clock::now();
  std::smatch match;
  std::lock_guard lock(mutex_);
  log_ += line + "\n";
  if (!listening_ && std::regex_search(line, match, listening)) {
    if (auto address = geo::SocketAddress::parse(match[1].str())) dns_ = *address, listening_ = true;
  } else if (!controlled_ && std::regex_search(line, match, controlling)) {
    if (auto address = geo::SocketAddress::parse(match[1].str())) control_ = *address, controlled_ = true;
  } else if (!probing_ && line.find("probes: started") != std::string::npos) {
    probes_started_ = now;
    probing_ = true;
  } else if (std::regex_search(line, match, transition)) {
    transitions_.push_back({now, match[1].str(), match[2].str(), match[3].str()});
  }
  changed_.notify_all();
}

std::vector<ServerProcess::Transition> ServerProcess::transitions() const {
  std::lock_guard lock(mutex_);
  return transitions_;
}

std::string ServerProcess::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

}  // namespace meridian::sim
