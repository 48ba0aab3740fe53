// Who `meridian serve` runs as: started as root it binds a port below 1024 and then becomes
// server.user before it answers; started as an ordinary user with CAP_NET_BIND_SERVICE it
// binds the port and gives the capability up; started as root with no user it refuses unless
// allow_root. What the kernel reports in /proc/PID/status is the evidence.
//
// These tests need root (CI runs as root); run as anyone else they say so and pass nothing.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "harness.h"

using namespace meridian::test;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

bool skip_unless_root() {
  if (geteuid() == 0) return false;
  MESSAGE("not root: the privilege tests need root to start the server as root and as another user");
  return true;
}

const passwd& nobody() {
  static const passwd* entry = getpwnam("nobody");
  REQUIRE(entry != nullptr);
  return *entry;
}

// A free port below 1024 on 127.0.0.1, for UDP and TCP both: binding it takes privilege.
uint16_t free_privileged_port() {
  for (uint16_t port = 700; port < 1024; ++port) {
    bool free = true;
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      const int fd = socket(AF_INET, type, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      free = free && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      close(fd);
    }
    if (free) return port;
  }
  FAIL("no free port below 1024 on 127.0.0.1");
  return 0;
}

// A process started exactly as given (no --allow-root added, unlike Server), its stdout and
// stderr collected; stopped by its PID when the object dies.
class Launch {
 public:
  explicit Launch(const std::vector<std::string>& command) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
      dup2(out[1], 1);
      dup2(out[1], 2);
      std::vector<char*> argv;
      for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    fd_ = out[0];
    fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~Launch() {
    if (!exited_) {
      kill(pid_, SIGTERM);
      if (!wait_exit(5s)) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    close(fd_);
  }
  Launch(const Launch&) = delete;
  Launch& operator=(const Launch&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log() {
    read_available();
    return log_;
  }
  // Waits for `text` in the output; false when the process ends or time runs out first.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = Clock::now() + timeout;
    while (log().find(text) == std::string::npos) {
      if (exited_ || reap() || Clock::now() > deadline) return log().find(text) != std::string::npos;
      wait_readable(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    }
    return true;
  }
  // The exit code once the process has ended, within `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exited_ && !reap()) {
      if (Clock::now() > deadline) return std::nullopt;
      // Output or end of file (the process closed its end by ending) wakes this up.
      wait_readable(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      read_available();
    }
    return exit_code_;
  }

 private:
  bool reap() {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    read_available();
    return true;
  }
  void wait_readable(std::chrono::milliseconds left) {
    pollfd entry{fd_, POLLIN, 0};
    // Capped: the process may end without closing a descriptor a child of it still holds.
    poll(&entry, 1, static_cast<int>(std::clamp<long>(left.count(), 0, 200)));
  }
  void read_available() {
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd_, buffer, sizeof buffer)) > 0) log_.append(buffer, n);
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string log_;
};

// /proc/PID/status (or a thread's): "Uid" -> "0\t0\t0\t0", "CapEff" -> "0000000000000000", ...
std::map<std::string, std::string> status_of(const std::string& file) {
  std::ifstream in(file);
  REQUIRE(in.good());
  std::map<std::string, std::string> fields;
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    fields[line.substr(0, colon)] = value;
  }
  return fields;
}

std::string four(uint32_t id) {
  const auto text = std::to_string(id);
  return text + "\t" + text + "\t" + text + "\t" + text;
}

// Real, effective, saved and file-system IDs are all `uid`/`gid` in the process and in every
// one of its threads, its supplementary groups are `groups`, and no capability is left in any set.
void check_runs_as(pid_t pid, uint32_t uid, uint32_t gid, const std::string& groups) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const auto status = status_of(proc + "/status");
  CHECK(status.at("Uid") == four(uid));
  CHECK(status.at("Gid") == four(gid));
  CHECK(status.at("Groups") == groups);
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapAmb"})
    CHECK_MESSAGE(status.at(set) == "0000000000000000", set);
  CHECK(status.at("NoNewPrivs") == "1");
  size_t threads = 0;
  for (const auto& task : fs::directory_iterator(proc + "/task")) {
    const auto thread = status_of(task.path().string() + "/status");
    CHECK_MESSAGE(thread.at("Uid") == four(uid), task.path().string());
    CHECK_MESSAGE(thread.at("CapEff") == "0000000000000000", task.path().string());
    ++threads;
  }
  CHECK(threads > 2);  // the workers and the probe and control threads were all looked at
}

const char* const zone = R"($ORIGIN example.test.
$TTL 300
@   IN SOA ns1 hostmaster 1 3600 600 86400 300
@   IN NS  ns1
ns1 IN A   192.0.2.1
www IN A   192.0.2.80
)";

// A folder an unprivileged user can read (mkdtemp makes it 0700), holding the zone and a
// config listening on `port`; `server_lines` go into its server section.
struct Setup {
  TempDir dir;
  uint16_t port = free_privileged_port();
  std::string config;
  explicit Setup(const std::string& server_lines) {
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    dir.write("example.test.zone", zone);
    config = dir.write("meridian.yaml", "server:\n  listen: [\"127.0.0.1:" + std::to_string(port) +
                                            "\"]\n  control: 127.0.0.1:0\n  workers: 2\n" + server_lines +
                                            "zones:\n  - {origin: example.test, file: example.test.zone}\n");
  }
  // The binary copied where any user may run it: the checkout may be under /root.
  std::string binary() const {
    const auto copy = dir.path() + "/meridian";
    if (!fs::exists(copy)) fs::copy_file(MERIDIAN_BINARY, copy);
    return copy;
  }
};

void check_answers(uint16_t port) {
  CHECK(rdatas(query_udp(port, "www.example.test", LDNS_RR_TYPE_A).get(), LDNS_SECTION_ANSWER,
               LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.80"});
  CHECK(rdatas(query_tcp(port, "www.example.test", LDNS_RR_TYPE_A).get(), LDNS_SECTION_ANSWER,
               LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.80"});
}

}  // namespace

TEST_CASE("started as root with server.user, the server binds a port below 1024, then serves as that user") {
  if (skip_unless_root()) return;
  // The state folder belongs to the user: the server writes its state file there only after
  // the drop, so the file is the user's, which a later drain as that user can replace.
  Setup setup("  user: nobody\n  state_file: state/overrides.json\n");
  const auto state = setup.dir.path() + "/state";
  fs::create_directory(state);
  REQUIRE(chown(state.c_str(), nobody().pw_uid, nobody().pw_gid) == 0);

  Launch server({MERIDIAN_BINARY, "serve", "--config", setup.config});
  REQUIRE_MESSAGE(server.wait_for_log("server: ready"), server.log());
  CHECK(server.log().find("server: privileges dropped user=nobody uid=" + std::to_string(nobody().pw_uid)) !=
        std::string::npos);
  check_answers(setup.port);
  check_runs_as(server.pid(), nobody().pw_uid, nobody().pw_gid, std::to_string(nobody().pw_gid));
  struct stat file {};
  REQUIRE(stat((state + "/overrides.json").c_str(), &file) == 0);
  CHECK(file.st_uid == nobody().pw_uid);

  // A reload reads the config and zones again as the user (they are readable here), and the
  // bound sockets keep answering.
  kill(server.pid(), SIGHUP);
  REQUIRE_MESSAGE(server.wait_for_log("server: reloaded"), server.log());
  check_answers(setup.port);
}

TEST_CASE("a state folder only root may write to stops the start, found after the drop") {
  if (skip_unless_root()) return;
  Setup setup("  user: nobody\n  state_file: state/overrides.json\n");
  fs::create_directory(setup.dir.path() + "/state");  // root's, 0755: nobody cannot create files in it

  Launch server({MERIDIAN_BINARY, "serve", "--config", setup.config});
  CHECK(server.wait_exit(15s) == 1);
  CHECK(server.log().find("server: privileges dropped user=nobody") != std::string::npos);
  CHECK(server.log().find("state file: ") != std::string::npos);
  CHECK(server.log().find("Permission denied") != std::string::npos);
  CHECK(server.log().find("server: ready") == std::string::npos);
}

TEST_CASE("started as root without server.user, the server refuses, unless allow_root says to stay root") {
  if (skip_unless_root()) return;
  Setup refused("");
  Launch plain({MERIDIAN_BINARY, "serve", "--config", refused.config});
  CHECK(plain.wait_exit(15s) == 1);
  CHECK(plain.log().find(refused.config + ": refusing to run as root: set server.user") != std::string::npos);
  CHECK(plain.log().find("server: listening") == std::string::npos);

  Setup allowed("  allow_root: true\n");
  Launch configured({MERIDIAN_BINARY, "serve", "--config", allowed.config});
  REQUIRE_MESSAGE(configured.wait_for_log("server: ready"), configured.log());
  CHECK(configured.log().find("server: running as root (allow_root)") != std::string::npos);
  CHECK(status_of("/proc/" + std::to_string(configured.pid()) + "/status").at("Uid") == four(0));
  check_answers(allowed.port);

  Setup flagged("");
  Launch by_flag({MERIDIAN_BINARY, "serve", "--config", flagged.config, "--allow-root"});
  REQUIRE_MESSAGE(by_flag.wait_for_log("server: ready"), by_flag.log());
  check_answers(flagged.port);
}

TEST_CASE("an ordinary user with CAP_NET_BIND_SERVICE binds a port below 1024, then keeps no capability") {
  if (skip_unless_root()) return;
  Setup setup("");
  const std::string uid = std::to_string(nobody().pw_uid), gid = std::to_string(nobody().pw_gid);
  // As systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE with User= starts it.
  Launch server({"setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                 "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service", "--", setup.binary(),
                 "serve", "--config", setup.config});
  REQUIRE_MESSAGE(server.wait_for_log("server: ready"), server.log());
  CHECK(server.log().find("server: privileges uid=" + uid + " gid=" + gid + " capabilities=none") !=
        std::string::npos);
  check_answers(setup.port);
  check_runs_as(server.pid(), nobody().pw_uid, nobody().pw_gid, "");  // setpriv --clear-groups

  // Without the capability the same start fails at the bind, saying what the port needs
  // (unless this kernel lets anyone bind it: net.ipv4.ip_unprivileged_port_start).
  unsigned unprivileged_start = 1024;
  std::ifstream("/proc/sys/net/ipv4/ip_unprivileged_port_start") >> unprivileged_start;
  if (setup.port >= unprivileged_start) return;
  Setup bare("");
  Launch without({"setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--", bare.binary(),
                  "serve", "--config", bare.config});
  CHECK(without.wait_exit(15s) == 2);
  CHECK(without.log().find("Permission denied (a port below 1024 takes root") != std::string::npos);
}

TEST_CASE("server.user naming another account than the one the server runs as is refused at its line") {
  if (skip_unless_root()) return;
  Setup setup("  user: daemon\n");
  const std::string uid = std::to_string(nobody().pw_uid), gid = std::to_string(nobody().pw_gid);
  Launch server({"setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--", setup.binary(),
                 "serve", "--config", setup.config});
  CHECK(server.wait_exit(15s) == 1);
  const passwd* daemon = getpwnam("daemon");
  REQUIRE(daemon != nullptr);
  CHECK(server.log().find(setup.config + ":5: server.user daemon (uid " + std::to_string(daemon->pw_uid) +
                          "): only root can become another user") != std::string::npos);
}
