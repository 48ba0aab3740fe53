// scripts/run-replicas.sh as a user runs it: one etcd and three replicas come up and agree on
// app.example.com, move together on a drain made through one of them and on probe failures seen
// by a majority of sites (not by one), and everything it started is gone once it is stopped.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.h"
#include "http_client.h"

using namespace meridian::test;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

const uint16_t dns_ports[] = {5311, 5312, 5313};
const uint16_t control_ports[] = {8061, 8062, 8063};

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The script as a child, its stdout and stderr (the replicas' logs) in files so that it never
// blocks on a pipe nobody reads.
class Script {
 public:
  explicit Script(int seconds) : out_(dir_.path() + "/out"), err_(dir_.path() + "/err") {
    const std::string script = std::string(MERIDIAN_SOURCE_DIR) + "/scripts/run-replicas.sh";
    const std::string limit = std::to_string(seconds);
    const pid_t parent = getpid();
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test run that dies still has the script clean up
      if (getppid() != parent) _exit(127);
      // dup2, not freopen: freopen would flush the test's own buffered output a second time.
      const int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
      setenv("MERIDIAN_SKIP_BUILD", "1", 1);
      setenv("MERIDIAN_BINARY", MERIDIAN_BINARY, 1);
      execl("/bin/bash", "bash", script.c_str(), "--seconds", limit.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Script() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGTERM);
      wait_exit(15s);
    }
  }

  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }

  // Polls stdout until it holds `text`; false if the script exits first or the deadline passes.
  bool wait_for_output(const std::string& text, std::chrono::seconds deadline) {
    const auto until = Clock::now() + deadline;
    while (Clock::now() < until) {
      if (out().find(text) != std::string::npos) return true;
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        exited_ = true;
        return out().find(text) != std::string::npos;
      }
      std::this_thread::sleep_for(50ms);  // polling pace
    }
    return false;
  }

  // SIGTERM, then the exit status once it has exited (-1: killed by a signal or still running).
  int terminate(std::chrono::seconds deadline) {
    if (!exited_) kill(pid_, SIGTERM);
    return wait_exit(deadline);
  }

 private:
  int wait_exit(std::chrono::seconds deadline) {
    const auto until = Clock::now() + deadline;
    while (!exited_ && Clock::now() < until) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_)
        exited_ = true;
      else
        std::this_thread::sleep_for(20ms);  // polling pace
    }
    if (!exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      exited_ = true;
      return -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

  TempDir dir_;
  std::string out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

std::string answer_of(uint16_t port) {
  auto reply = query_udp(port, "app.example.com", LDNS_RR_TYPE_A);
  const auto values = rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A);
  return values.size() == 1 ? values.front() : "";
}

// Polls every replica until each answers `expected`; false at the deadline.
bool all_answer(const std::string& expected, std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (answer_of(dns_ports[0]) == expected && answer_of(dns_ports[1]) == expected &&
        answer_of(dns_ports[2]) == expected)
      return true;
    std::this_thread::sleep_for(50ms);  // polling pace
  }
  return false;
}

// What the replica on `control_port` says each site sees of app/primary.
nlohmann::json primary_sites(uint16_t control_port) {
  const auto reply = http_get(control_port, "/v1/status");
  const auto status = nlohmann::json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || !status.is_object()) return nullptr;
  return status["profiles"][0]["endpoints"][0]["sites"];
}

bool wait_for_site_verdict(uint16_t control_port, const std::string& site, const std::string& verdict,
                           std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    const auto sites = primary_sites(control_port);
    if (sites.is_object() && sites.value(site, "") == verdict) return true;
    std::this_thread::sleep_for(50ms);  // polling pace
  }
  return false;
}

// The fake primary cluster's switch (examples/replicas/backend.py): 503 to one probe source.
int fail_primary_for(const std::string& source) {
  httplib::Client client("127.0.0.11", 8080);
  client.set_connection_timeout(2, 0);
  const auto result = client.Post("/fail/" + source, "", "text/plain");
  return result ? result->status : 0;
}

std::string comm_of(int pid) {
  std::string name = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

}  // namespace

TEST_CASE("the replicas script: three replicas agree, move together, and leave nothing behind") {
  Script script(60);  // --seconds: a backstop; the test stops it well before
  const bool ready = script.wait_for_output("run-replicas: ready", 30s);
  REQUIRE_MESSAGE(ready, "stdout:\n" << script.out() << "\nstderr:\n" << script.err());
  const std::string out = script.out();
  CAPTURE(out);

  // Every process it started, as it printed them: etcd, two backends, three replicas.
  std::vector<int> pids;
  static const std::regex pid_field(R"(pid=(\d+))");
  for (std::sregex_iterator it(out.begin(), out.end(), pid_field), end; it != end; ++it)
    pids.push_back(std::stoi((*it)[1]));
  REQUIRE(pids.size() == 6);
  CHECK(comm_of(pids[0]) == "etcd");
  for (int i = 3; i < 6; ++i) CHECK(comm_of(pids[i]) == "meridian");
  std::smatch data;
  REQUIRE(std::regex_search(out, data, std::regex(R"(data=(\S+)/etcd)")));
  const std::string temp_dir = data[1];
  CHECK(fs::exists(temp_dir));

  // Ready means every replica counts all three sites' verdicts: they answer alike.
  for (const auto port : dns_ports) CHECK(answer_of(port) == "127.0.0.11");

  // A drain through westeurope's API reaches the other two through etcd.
  CHECK(http_post(control_ports[0], "/v1/profiles/app/endpoints/primary/drain").status == 200);
  CHECK_MESSAGE(all_answer("127.0.0.12", 5s), script.err());
  // Lifted through eastus, it is lifted everywhere.
  CHECK(http_post(control_ports[2], "/v1/profiles/app/endpoints/primary/enable").status == 200);
  CHECK_MESSAGE(all_answer("127.0.0.11", 5s), script.err());

  // The primary fails westeurope's probes (they leave from 127.0.0.21) only: westeurope sees
  // it Degraded, but two sites of three say Online, so nobody moves.
  REQUIRE(fail_primary_for("127.0.0.21") == 200);
  CHECK_MESSAGE(wait_for_site_verdict(control_ports[1], "westeurope", "Degraded", 5s),
                primary_sites(control_ports[1]));
  CHECK(primary_sites(control_ports[0]).value("westeurope", "") == "Degraded");
  for (const auto port : dns_ports) CHECK(answer_of(port) == "127.0.0.11");
  // Northeurope's too: more than half say Degraded, and every replica moves, eastus included,
  // whose own probes still succeed.
  REQUIRE(fail_primary_for("127.0.0.22") == 200);
  CHECK_MESSAGE(all_answer("127.0.0.12", 5s), primary_sites(control_ports[2]));
  CHECK(primary_sites(control_ports[2]).value("eastus", "") == "Online");

  CHECK(script.terminate(15s) == 0);
  for (const int pid : pids)
    CHECK_MESSAGE(!fs::exists("/proc/" + std::to_string(pid)), "PID " << pid << " left");
  CHECK_MESSAGE(!fs::exists(temp_dir), temp_dir);
  CHECK(script.out().find("run-replicas: stopped") != std::string::npos);
}
