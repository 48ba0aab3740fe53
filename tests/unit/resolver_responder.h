// A tiny authoritative DNS responder for the resolver tests: UDP on 127.0.0.1, a kernel-chosen
// port, and per name and type an answer the test chooses (addresses with TTLs, a CNAME in
// front, an rcode, or silence). Also the message builders the reply-parsing tests use.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace resolver_test {

constexpr uint16_t type_a = 1;
constexpr uint16_t type_cname = 5;
constexpr uint16_t type_aaaa = 28;

constexpr int rcode_servfail = 2;
constexpr int rcode_nxdomain = 3;
constexpr int rcode_refused = 5;

struct Record {
  std::string address;  // "192.0.2.1" or "2001:db8::1"
  uint32_t ttl = 300;
};

// How one (name, type) is answered.
struct Rule {
  enum class Mode { answer, rcode, silent };
  Mode mode = Mode::answer;
  std::vector<Record> records;  // answer: none means NODATA
  std::string cname;            // answer: a CNAME from the name to this, owning the records
  uint32_t cname_ttl = 300;
  int rcode = 0;

  static Rule addresses(std::vector<std::string> addresses, uint32_t ttl = 300) {
    Rule rule;
    for (auto& address : addresses) rule.records.push_back({std::move(address), ttl});
    return rule;
  }
  static Rule no_data() { return Rule{}; }
  static Rule error(int rcode) {
    Rule rule;
    rule.mode = Mode::rcode;
    rule.rcode = rcode;
    return rule;
  }
  static Rule silence() {
    Rule rule;
    rule.mode = Mode::silent;
    return rule;
  }
};

inline void put16(std::vector<uint8_t>& out, unsigned value) {
  out.push_back(uint8_t(value >> 8));
  out.push_back(uint8_t(value));
}

inline void put32(std::vector<uint8_t>& out, uint32_t value) {
  put16(out, value >> 16);
  put16(out, value & 0xffff);
}

inline void put_name(std::vector<uint8_t>& out, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(uint8_t(dot - start));
    out.insert(out.end(), name.begin() + long(start), name.begin() + long(dot));
    start = dot + 1;
  }
  out.push_back(0);
}

inline std::vector<uint8_t> query_message(const std::string& name, uint16_t type, uint16_t id = 0x1234) {
  std::vector<uint8_t> out;
  put16(out, id);
  put16(out, 0x0100);  // RD
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  put_name(out, name);
  put16(out, type);
  put16(out, 1);
  return out;
}

struct Question {
  std::string name;  // lower-cased, without the final dot
  uint16_t type = 0;
  size_t end = 0;    // offset just past the question
};

inline std::optional<Question> parse_question(const std::vector<uint8_t>& query) {
  if (query.size() < 12) return std::nullopt;
  Question question;
  size_t at = 12;
  while (at < query.size() && query[at] != 0) {
    size_t length = query[at];
    if (length > 63 || at + 1 + length > query.size()) return std::nullopt;
    if (!question.name.empty()) question.name += '.';
    for (size_t i = 0; i < length; ++i) question.name += char(std::tolower(query[at + 1 + i]));
    at += 1 + length;
  }
  if (at + 5 > query.size()) return std::nullopt;
  question.type = uint16_t(query[at + 1] << 8 | query[at + 2]);
  question.end = at + 5;
  return question;
}

// The reply to `query` under `rule` (never called for Mode::silent).
inline std::vector<uint8_t> reply_message(const std::vector<uint8_t>& query, const Rule& rule) {
  auto question = parse_question(query);
  if (!question) throw std::invalid_argument("not a query");
  std::vector<uint8_t> records;
  unsigned count = 0;
  bool wanted_v6 = question->type == type_aaaa;
  if (rule.mode == Rule::Mode::answer) {
    auto owner = [&](std::vector<uint8_t>& out) {
      if (rule.cname.empty()) return put16(out, 0xc00c);  // the question's name
      put_name(out, rule.cname);
    };
    if (!rule.cname.empty()) {
      put16(records, 0xc00c);
      put16(records, type_cname);
      put16(records, 1);
      put32(records, rule.cname_ttl);
      std::vector<uint8_t> target;
      put_name(target, rule.cname);
      put16(records, unsigned(target.size()));
      records.insert(records.end(), target.begin(), target.end());
      ++count;
    }
    for (const auto& record : rule.records) {
      uint8_t bytes[16];
      bool v6 = record.address.find(':') != std::string::npos;
      if (v6 != wanted_v6) continue;
      if (inet_pton(v6 ? AF_INET6 : AF_INET, record.address.c_str(), bytes) != 1)
        throw std::invalid_argument("bad address " + record.address);
      owner(records);
      put16(records, v6 ? type_aaaa : type_a);
      put16(records, 1);
      put32(records, record.ttl);
      put16(records, v6 ? 16 : 4);
      records.insert(records.end(), bytes, bytes + (v6 ? 16 : 4));
      ++count;
    }
  }
  std::vector<uint8_t> out(query.begin(), query.begin() + long(question->end));
  unsigned rd = query[2] & 0x01;
  unsigned opcode = (query[2] >> 3) & 0x0f;
  out[2] = uint8_t(0x80 | opcode << 3 | 0x04 | rd);  // QR, AA
  out[3] = uint8_t(0x80 | (rule.mode == Rule::Mode::rcode ? rule.rcode : 0));  // RA
  out[4] = 0;
  out[5] = 1;
  out[6] = uint8_t(count >> 8);
  out[7] = uint8_t(count);
  for (int i = 8; i < 12; ++i) out[size_t(i)] = 0;
  out.insert(out.end(), records.begin(), records.end());
  return out;
}

class Responder {
 public:
  Responder() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), length) < 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
      throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    if (pipe2(wake_, O_CLOEXEC) < 0) throw std::runtime_error("pipe failed");
    thread_ = std::thread([this] { serve(); });
  }
  ~Responder() {
    char byte = 'q';
    (void)!write(wake_[1], &byte, 1);
    thread_.join();
    close(fd_);
    close(wake_[0]);
    close(wake_[1]);
  }
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  uint16_t port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }

  // How queries for `name` of `type` are answered from now on; names without a rule get
  // NXDOMAIN.
  void set(const std::string& name, uint16_t type, Rule rule) {
    std::lock_guard lock(mutex_);
    rules_[{name, type}] = std::move(rule);
  }
  // The same rule for A and AAAA: records of the other family are left out of each reply.
  void set(const std::string& name, const Rule& rule) {
    set(name, type_a, rule);
    set(name, type_aaaa, rule);
  }

  uint64_t queries(const std::string& name, uint16_t type) const {
    std::lock_guard lock(mutex_);
    auto found = counts_.find({name, type});
    return found == counts_.end() ? 0 : found->second;
  }
  uint64_t queries() const { return total_.load(); }

  // When each query for `name` of `type` arrived, oldest first. A lookup's retry timer can only
  // start after its replies left here, so these times bound the resolver's delays from below
  // however late its own thread gets to run.
  std::vector<std::chrono::steady_clock::time_point> arrivals(const std::string& name, uint16_t type) const {
    std::lock_guard lock(mutex_);
    auto found = arrivals_.find({name, type});
    return found == arrivals_.end() ? std::vector<std::chrono::steady_clock::time_point>{} : found->second;
  }

 private:
  void serve() {
    while (true) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      std::vector<uint8_t> query(4096);
      sockaddr_storage from{};
      socklen_t from_length = sizeof from;
      ssize_t n = recvfrom(fd_, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
      if (n <= 0) continue;
      auto arrived = std::chrono::steady_clock::now();
      query.resize(size_t(n));
      auto question = parse_question(query);
      if (!question) continue;
      Rule rule = Rule::error(rcode_nxdomain);
      {
        std::lock_guard lock(mutex_);
        ++counts_[{question->name, question->type}];
        arrivals_[{question->name, question->type}].push_back(arrived);
        auto found = rules_.find({question->name, question->type});
        if (found != rules_.end()) rule = found->second;
      }
      ++total_;
      if (rule.mode == Rule::Mode::silent) continue;
      auto reply = reply_message(query, rule);
      sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), from_length);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, uint16_t>, Rule> rules_;
  std::map<std::pair<std::string, uint16_t>, uint64_t> counts_;
  std::map<std::pair<std::string, uint16_t>, std::vector<std::chrono::steady_clock::time_point>> arrivals_;
  std::atomic<uint64_t> total_{0};
};

}  // namespace resolver_test
