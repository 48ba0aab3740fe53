// Headless Chromium for the tests that check what a browser shows: finding it, its flags, and one run
// of it bounded by a deadline with its output captured.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace meridian::test {

// $MERIDIAN_CHROMIUM, else the first Chromium-like browser on PATH; "" when there is none.
inline std::string find_chromium() {
  if (const char* chosen = std::getenv("MERIDIAN_CHROMIUM"); chosen && *chosen) return chosen;
  const char* path = std::getenv("PATH");
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    std::istringstream folders(path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string folder; std::getline(folders, folder, ':');) {
      const auto candidate = (folder.empty() ? "." : folder) + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

// The flags every test's browser runs with: quiet, alone, and able to start in a container. The
// headless mode is a parameter because the report's pixel test asked for --headless=new while
// older Chromiums (112 to 131) still took a bare --headless for the old mode.
inline std::vector<std::string> headless_flags(const std::string& profile_dir,
                                               const std::string& headless = "--headless") {
  return {headless,
          "--no-sandbox",  // CI runs as root, where Chromium's sandbox refuses to start
          "--disable-gpu",
          "--disable-dev-shm-usage",  // containers give /dev/shm 64 MB
          "--no-first-run",
          "--no-default-browser-check",
          "--disable-extensions",
          "--disable-background-networking",  // nothing but the page the test loads
          "--disable-component-update",
          "--disable-sync",
          "--disable-default-apps",
          "--mute-audio",
          "--hide-scrollbars",
          "--user-data-dir=" + profile_dir};
}

struct BrowserRun {
  bool finished = false;  // false: killed at the deadline
  int exit_code = -1;
  std::string out;  // --dump-dom writes the DOM here
  std::string err;
};

inline void drain_into(int fd, std::string& into) {
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) into.append(buffer, n);
}

// Runs `chromium` with `args` to completion, or kills it at `timeout`. The browser forks renderer
// and helper processes, so it runs in a process group of its own and a timeout kills that group
// (by the id we gave it), leaving no stray helper behind.
inline BrowserRun run_headless(const std::string& chromium, std::vector<std::string> args,
                               std::chrono::seconds timeout = std::chrono::seconds(30)) {
  args.insert(args.begin(), chromium);
  int out_pipe[2], err_pipe[2];
  REQUIRE(pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err_pipe, O_CLOEXEC) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
    setpgid(0, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(chromium.c_str(), argv.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before we might have to kill it
  close(out_pipe[1]);
  close(err_pipe[1]);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);

  BrowserRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  // Drain both pipes while waiting: a DOM, or a chatty browser's log, bigger than the pipe buffer
  // would otherwise block it.
  while (true) {
    drain_into(out_pipe[0], run.out);
    drain_into(err_pipe[0], run.err);
    if (waitpid(pid, &status, WNOHANG) == pid) {
      run.finished = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    pollfd entries[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    poll(entries, 2, 100);
  }
  drain_into(out_pipe[0], run.out);
  drain_into(err_pipe[0], run.err);
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (run.finished) run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // Helpers that outlived a clean exit of the browser are ours too.
  kill(-pid, SIGKILL);
  return run;
}

}  // namespace meridian::test
