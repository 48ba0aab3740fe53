// The etcd test cluster: etcd members started by fork/exec, health polled over HTTP, etcdctl run to
// completion.
#include "etcd_cluster.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace meridian::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kEtcd = "/usr/bin/etcd";
constexpr const char* kEtcdctl = "/usr/bin/etcdctl";
constexpr auto kHealthDeadline = 20s;
constexpr auto kStopGrace = 5s;

// `count` distinct free TCP ports on 127.0.0.1: the kernel picks each, and all are held open
// together so that it cannot pick one twice. etcd binds them a moment later; a process of the
// machine could take one in between, which would show as a member failing to start.
std::vector<uint16_t> free_ports(int count) {
  std::vector<int> sockets;
  std::vector<uint16_t> ports;
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockets.push_back(fd);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      break;
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : sockets) close(fd);
  if (static_cast<int>(ports.size()) != count)
    throw std::runtime_error("etcd cluster: no free ports on 127.0.0.1: " +
                             std::string(std::strerror(errno)));
  return ports;
}

// This process's environment without ETCD_* and ETCDCTL_* (etcd reads its flags from them too),
// plus `extra`.
std::vector<std::string> environment(std::initializer_list<std::string> extra) {
  std::vector<std::string> result;
  for (char** entry = environ; *entry; ++entry)
    if (std::strncmp(*entry, "ETCD", 4) != 0) result.emplace_back(*entry);
  result.insert(result.end(), extra);
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& text : strings) result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

// Waits until `pid` (a child) has exited or `deadline` has passed; true, with the child reaped,
// if it exited.
bool wait_exit(pid_t pid, Clock::time_point deadline) {
  // By syscall: glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pollfd entry{fd, POLLIN, 0};  // a pidfd becomes readable when its process exits
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      const int ready = poll(&entry, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
      if (ready >= 0 || errno != EINTR) break;
    }
    close(fd);
  }
  return waitpid(pid, nullptr, WNOHANG) == pid;
}

// Runs `command` to completion within `timeout`, collecting its stdout and stderr.
RunResult run(std::vector<std::string> command, std::vector<std::string> env, std::chrono::seconds timeout) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  }
  auto argv = pointers(command);
  auto envp = pointers(env);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
    if (getppid() != parent) _exit(127);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  }
  // Both pipes drained until both close, so a chatty child cannot block on a full one.
  const auto deadline = Clock::now() + timeout;
  std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  bool timed_out = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  for (auto& entry : fds)
    if (entry.fd >= 0) close(entry.fd);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out)
    throw std::runtime_error(command[0] + " did not finish within " + std::to_string(timeout.count()) + " s");
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string last_lines(const std::string& text, int count) {
  size_t at = text.size();
  if (at > 0 && text.back() == '\n') --at;
  for (; count > 0; --count) {
    const size_t newline = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    if (newline == std::string::npos) return text;
    at = newline;
  }
  return text.substr(at + 1);
}

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t append_to(char* data, size_t size, size_t count, void* sink) {
  static_cast<std::string*>(sink)->append(data, size * count);
  return size * count;
}

// One request to 127.0.0.1:`port` with libcurl: a POST of `json` unless it is null, else a GET.
// libcurl rather than cpp-httplib: the gateway sends its errors chunked with an HTTP trailer
// (Grpc-Trailer-Content-Type), which cpp-httplib 0.11 fails to read. Status 0: no reply.
HttpReply request(uint16_t port, const std::string& path, const std::string* json, const std::string& token,
                  std::chrono::milliseconds timeout) {
  static const CURLcode initialised = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (initialised != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  std::unique_ptr<CURL, CurlEasyDeleter> easy(curl_easy_init());
  if (!easy) throw std::runtime_error("curl_easy_init failed");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  HttpReply reply;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_PROXY, "");  // never through an http_proxy of the environment
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_CONNECTTIMEOUT_MS, 1000L);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, append_to);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &reply.body);
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* list = curl_slist_append(headers.get(), line.c_str());
    if (!list) throw std::runtime_error("curl_slist_append failed");
    headers.release();
    headers.reset(list);
  };
  if (json) {
    add_header("Content-Type: application/json");
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, json->c_str());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(json->size()));
  }
  if (!token.empty()) add_header("Authorization: " + token);  // etcd's gateway: the bare token
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, headers.get());
  if (curl_easy_perform(easy.get()) != CURLE_OK) return HttpReply{};
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  const char* type = nullptr;
  if (curl_easy_getinfo(easy.get(), CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
    reply.content_type = type;
  return reply;
}

}  // namespace

EtcdCluster::EtcdCluster(int members, std::optional<Tls> tls) : tls_(std::move(tls)) {
  if (members < 1) throw std::invalid_argument("etcd cluster: at least one member");
  token_ = "meridian-test-" + dir_.path().substr(dir_.path().rfind('-') + 1);
  const auto ports = free_ports(3 * members);
  for (int i = 0; i < members; ++i) {
    const std::string name = "m" + std::to_string(i);
    members_.push_back({ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], dir_.path() + "/" + name,
                        dir_.path() + "/" + name + ".log"});
    initial_cluster_ += (i ? "," : "") + name + "=http://127.0.0.1:" + std::to_string(ports[3 * i + 1]);
  }
  processes_.pids.assign(members, -1);
  std::vector<int> all;
  for (int i = 0; i < members; ++i) {
    start(i, true);
    all.push_back(i);
  }
  wait_healthy(all);
}

EtcdCluster::~EtcdCluster() = default;  // processes_ stops the members, then dir_ goes

EtcdCluster::Processes::~Processes() {
  // One after another: a leader told to stop hands its leadership to a follower first, and
  // waits 6 s for it in vain when that follower is stopping too. Stopped in turn, a leader hands
  // over to a live member and the last one alone skips the handover, in well under a second.
  for (pid_t pid : pids) {
    if (pid <= 0) continue;
    ::kill(pid, SIGTERM);
    if (wait_exit(pid, Clock::now() + kStopGrace)) continue;
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
}

const EtcdCluster::Member& EtcdCluster::at(int member) const {
  if (member < 0 || member >= size())
    throw std::out_of_range("etcd cluster: no member " + std::to_string(member) + " of " +
                            std::to_string(size()));
  return members_[member];
}

uint16_t EtcdCluster::client_port(int member) const {
  return at(member).client_port;
}

std::string EtcdCluster::client_url(int member) const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(client_port(member));
}

std::vector<std::string> EtcdCluster::client_urls() const {
  std::vector<std::string> urls;
  for (int i = 0; i < size(); ++i) urls.push_back(client_url(i));
  return urls;
}

void EtcdCluster::start(int member, bool new_cluster) {
  const Member& m = at(member);
  const std::string client = client_url(member);
  const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
  const std::string metrics = "http://127.0.0.1:" + std::to_string(m.metrics_port);
  // clang-format off
  std::vector<std::string> command{
      kEtcd,
      "--name", "m" + std::to_string(member),
      "--data-dir", m.data_dir,
      "--listen-client-urls", client, "--advertise-client-urls", client,
      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
      "--initial-cluster", initial_cluster_,
      "--initial-cluster-state", new_cluster ? "new" : "existing",
      "--initial-cluster-token", token_,
      // Half etcd's defaults (100 ms, 1 s), so that elections take well under a second: loopback
      // has none of the latency the defaults allow for.
      "--heartbeat-interval", "50", "--election-timeout", "500",
      "--listen-metrics-urls", metrics,
      "--logger", "zap"};  // 3.4's default logger, capnslog, is deprecated
  if (tls_)
    command.insert(command.end(), {"--cert-file", tls_->cert, "--key-file", tls_->key,
                                   "--trusted-ca-file", tls_->ca, "--client-cert-auth"});
  // clang-format on
  auto env = environment({});
  auto argv = pointers(command);
  auto envp = pointers(env);
  // Appended to, so that a restarted member's log follows what it wrote before.
  const int log_fd = open(m.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) fail("cannot open " + m.log_file + ": " + std::strerror(errno));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
    if (getppid() != parent) _exit(127);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  if (pid < 0) fail("fork: " + std::string(std::strerror(errno)));
  processes_.pids[member] = pid;
}

bool EtcdCluster::running(int member) const {
  at(member);
  pid_t& pid = processes_.pids[member];
  if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) pid = -1;
  return pid > 0;
}

std::string EtcdCluster::log(int member) const {
  return read_file(at(member).log_file);
}

void EtcdCluster::kill(int member) {
  if (!running(member)) fail("kill: member " + std::to_string(member) + " is not running");
  pid_t& pid = processes_.pids[member];
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

void EtcdCluster::pause(int member) {
  if (!running(member)) fail("pause: member " + std::to_string(member) + " is not running");
  ::kill(processes_.pids[member], SIGSTOP);
}

void EtcdCluster::resume(int member) {
  if (!running(member)) fail("resume: member " + std::to_string(member) + " is not running");
  ::kill(processes_.pids[member], SIGCONT);
}

void EtcdCluster::restart(int member) {
  if (running(member)) fail("restart: member " + std::to_string(member) + " is running");
  start(member, false);
  wait_healthy({member});
}

void EtcdCluster::kill_all() {
  for (int i = 0; i < size(); ++i)
    if (running(i)) kill(i);
}

void EtcdCluster::restart_all() {
  std::vector<int> all;
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) start(i, false);
    all.push_back(i);
  }
  wait_healthy(all);
}

bool EtcdCluster::healthy(int member) const {
  const auto reply = request(at(member).metrics_port, "/health", nullptr, "", 2s);
  if (reply.status != 200) return false;
  const auto body = nlohmann::json::parse(reply.body, nullptr, false);
  return body.is_object() && body.value("health", "") == "true";
}

void EtcdCluster::wait_healthy(const std::vector<int>& members) const {
  const auto deadline = Clock::now() + kHealthDeadline;
  std::vector<int> waiting = members;
  while (true) {
    std::erase_if(waiting, [this](int member) { return healthy(member); });
    if (waiting.empty()) return;
    for (int member : waiting)
      if (!running(member)) fail("etcd member m" + std::to_string(member) + " exited before it was healthy");
    if (Clock::now() > deadline) {
      std::string names;
      for (int member : waiting) names += " m" + std::to_string(member);
      fail("etcd members not healthy within " + std::to_string(kHealthDeadline.count()) + " s:" + names);
    }
    // Polling /health with a deadline: etcd signals nothing else a test could wait on.
    std::this_thread::sleep_for(50ms);
  }
}

void EtcdCluster::fail(const std::string& what) const {
  std::string message = "etcd cluster: " + what;
  for (int i = 0; i < size(); ++i)
    message += "\n--- m" + std::to_string(i) + " (" + members_[i].log_file + "), last lines:\n" +
               last_lines(read_file(members_[i].log_file), 15);
  throw std::runtime_error(message);
}

int EtcdCluster::leader() const {
  std::vector<std::string> ids(size());
  std::string leader_id;
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    const auto reply = post(i, "/v3/maintenance/status", "{}");
    const auto body = nlohmann::json::parse(reply.body, nullptr, false);
    if (reply.status != 200 || !body.is_object()) continue;
    ids[i] = body.value("header", nlohmann::json::object()).value("member_id", "");
    const std::string seen = body.value("leader", "");
    if (!seen.empty() && seen != "0") leader_id = seen;
  }
  for (int i = 0; i < size(); ++i)
    if (!leader_id.empty() && ids[i] == leader_id) return i;
  return -1;
}

std::string EtcdCluster::etcdctl(const std::vector<std::string>& args) const {
  std::string endpoints;
  for (const auto& url : client_urls()) endpoints += (endpoints.empty() ? "" : ",") + url;
  std::vector<std::string> command{kEtcdctl, "--endpoints=" + endpoints};
  const bool names_user =
      std::any_of(args.begin(), args.end(), [](const std::string& arg) { return arg.starts_with("--user"); });
  if (!root_password_.empty() && !names_user) {
    command.push_back("--user=root");
    command.push_back("--password=" + root_password_);
  }
  command.insert(command.end(), args.begin(), args.end());
  const auto result = run(command, environment({"ETCDCTL_API=3"}), 30s);
  if (result.exit_code != 0) {
    std::string shown;
    for (const auto& arg : args) shown += " " + arg;
    throw std::runtime_error("etcdctl" + shown + ": exit " + std::to_string(result.exit_code) + ": " +
                             result.err);
  }
  return result.out;
}

void EtcdCluster::enable_auth(const std::string& user, const std::string& password,
                              const std::string& prefix) {
  const std::string root_password = "root-" + token_;
  etcdctl({"user", "add", "root", "--new-user-password=" + root_password});
  etcdctl({"role", "add", "root"});  // auth enable refuses a root user without the root role
  etcdctl({"user", "grant-role", "root", "root"});
  etcdctl({"role", "add", "meridian"});
  etcdctl({"role", "grant-permission", "meridian", "--prefix=true", "readwrite", prefix});
  etcdctl({"user", "add", user, "--new-user-password=" + password});
  etcdctl({"user", "grant-role", user, "meridian"});
  etcdctl({"auth", "enable"});
  root_password_ = root_password;
}

HttpReply EtcdCluster::post(int member, const std::string& path, const std::string& json,
                            const std::string& token) const {
  return request(client_port(member), path, &json, token, 10s);
}

namespace {
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view bytes) {
  std::string text;
  for (size_t at = 0; at < bytes.size(); at += 3) {
    const size_t count = std::min<size_t>(3, bytes.size() - at);
    uint32_t group = 0;
    for (size_t i = 0; i < 3; ++i) group = group << 8 | (i < count ? static_cast<uint8_t>(bytes[at + i]) : 0);
    for (size_t i = 0; i < 4; ++i) text += i <= count ? kBase64[(group >> (18 - 6 * i)) & 63] : '=';
  }
  return text;
}

std::string base64_decode(std::string_view text) {
  std::string bytes;
  uint32_t group = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const size_t value = kBase64.find(c);
    if (value == std::string_view::npos)
      throw std::invalid_argument("base64: bad character in " + std::string(text));
    group = group << 6 | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((group >> bits) & 0xff);
    }
  }
  return bytes;
}

}  // namespace meridian::test
