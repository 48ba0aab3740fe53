// One thread of a server the test started, stopped with ptrace while the rest of the process
// runs on: a stalled thread, made from outside without a hook in the product. The thread is
// found by the name the server gives it, and is stopped only while it waits in epoll (its idle
// state, where it holds no lock that another thread might then wait for forever).
#pragma once

#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace meridian::test {

class StoppedThread {
 public:
  StoppedThread(pid_t pid, const std::string& name) : tid_(find(pid, name)) {
    // The thread spends nearly all of its time waiting; a try that finds it elsewhere lets it go on.
    for (int attempt = 0; attempt < 1000; ++attempt) {
      if (ptrace(PTRACE_SEIZE, tid_, nullptr, nullptr) != 0)
        throw std::runtime_error("ptrace(PTRACE_SEIZE) of thread " + name + " failed");
      int status = 0;
      if (ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr) != 0 || waitpid(tid_, &status, __WALL) != tid_)
        throw std::runtime_error("cannot stop thread " + name);
      if (waiting_in_epoll()) return;
      ptrace(PTRACE_DETACH, tid_, nullptr, nullptr);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a retry, not a wait for an event
    }
    throw std::runtime_error("thread " + name + " was never found waiting in epoll");
  }
  ~StoppedThread() { resume(); }
  StoppedThread(const StoppedThread&) = delete;
  StoppedThread& operator=(const StoppedThread&) = delete;

  void resume() {
    if (tid_ == 0) return;
    ptrace(PTRACE_DETACH, tid_, nullptr, nullptr);
    tid_ = 0;
  }

 private:
  static pid_t find(pid_t pid, const std::string& name) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream comm(task.path() / "comm");
      std::string line;
      if (std::getline(comm, line) && line == name)
        return static_cast<pid_t>(std::stol(task.path().filename()));
    }
    throw std::runtime_error("no thread named " + name + " in process " + std::to_string(pid));
  }

  // The system call the stopped thread was in, from /proc/TID/syscall's first field.
  bool waiting_in_epoll() const {
    std::ifstream file("/proc/" + std::to_string(tid_) + "/syscall");
    long number = -1;
    if (!(file >> number)) return false;
#ifdef SYS_epoll_wait
    if (number == SYS_epoll_wait) return true;
#endif
#ifdef SYS_epoll_pwait2
    if (number == SYS_epoll_pwait2) return true;
#endif
    return number == SYS_epoll_pwait;
  }

  pid_t tid_ = 0;
};

}  // namespace meridian::test
