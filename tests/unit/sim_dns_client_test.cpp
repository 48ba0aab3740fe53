// DnsClient against a fake DNS responder in the test (UDP on 127.0.0.1, a kernel-chosen port): what
// the query carries, and how each kind of reply is read back.
#include <doctest/doctest.h>
// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/dns_client.h"

using namespace meridian;
using namespace std::chrono_literals;

namespace {

struct PacketDeleter {
  void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

// One datagram the responder sends back for each query, built from the query.
struct FakeReply {
  unsigned rcode = 0;
  std::vector<std::string> answers;  // records in presentation form: "www.example.test. 300 IN A 192.0.2.1"
  std::optional<unsigned> scope;     // echo the query's ECS option with this scope prefix
  bool truncated = false;
  uint16_t id_change = 0;  // XORed into the query's ID: non-zero makes a reply to some other query
  std::string question;    // another question ("other.example.test. IN A") instead of the query's
};

// What the responder saw of a query.
struct SeenQuery {
  std::string qname;
  uint16_t qtype = 0;
  bool recursion_desired = false;
  uint16_t udp_size = 0;
  std::vector<uint8_t> ecs;  // the ECS option's data (family, source, scope, address), if any
};

std::vector<uint8_t> ecs_data_of(const ldns_pkt* packet) {
  const ldns_rdf* data = ldns_pkt_edns_data(packet);
  if (data == nullptr) return {};
  const uint8_t* bytes = ldns_rdf_data(data);
  const size_t size = ldns_rdf_size(data);
  for (size_t at = 0; at + 4 <= size;) {
    const size_t length = size_t(bytes[at + 2] << 8 | bytes[at + 3]);
    if ((bytes[at] << 8 | bytes[at + 1]) == 8) return {bytes + at + 4, bytes + at + 4 + length};
    at += 4 + length;
  }
  return {};
}

std::vector<uint8_t> wire_of(const ldns_pkt* packet) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, packet, &size) != LDNS_STATUS_OK)
    throw std::runtime_error("cannot encode a reply");
  std::vector<uint8_t> result(wire, wire + size);
  free(wire);
  return result;
}

std::vector<uint8_t> reply_to(const ldns_pkt* query, const FakeReply& fake) {
  Packet reply(ldns_pkt_new());
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(query) ^ fake.id_change);
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_aa(reply.get(), true);
  ldns_pkt_set_tc(reply.get(), fake.truncated);
  ldns_pkt_set_rcode(reply.get(), uint8_t(fake.rcode));
  ldns_rr* question = nullptr;
  if (fake.question.empty())
    question = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(query), 0));
  else if (ldns_rr_new_question_frm_str(&question, fake.question.c_str(), nullptr, nullptr) != LDNS_STATUS_OK)
    throw std::runtime_error("bad question " + fake.question);
  ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, question);
  for (const auto& text : fake.answers) {
    ldns_rr* record = nullptr;
    if (ldns_rr_new_frm_str(&record, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK)
      throw std::runtime_error("bad record " + text);
    ldns_pkt_push_rr(reply.get(), LDNS_SECTION_ANSWER, record);
  }
  ldns_pkt_set_edns_udp_size(reply.get(), 1232);
  // No doctest assertions here: this runs on the responder's thread. A query without ECS gets
  // no option back, which the test's own checks then catch.
  if (auto ecs = ecs_data_of(query); fake.scope && ecs.size() >= 4) {
    ecs[3] = uint8_t(*fake.scope);
    std::vector<uint8_t> option{0, 8, uint8_t(ecs.size() >> 8), uint8_t(ecs.size())};
    option.insert(option.end(), ecs.begin(), ecs.end());
    ldns_pkt_set_edns_data(reply.get(),
                           ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, option.size(), option.data()));
  }
  return wire_of(reply.get());
}

// Replies by what sets them apart; the rest stays as FakeReply's defaults. (Functions, not
// designated initializers: GCC 12 warns about the fields those leave out.)
FakeReply records(std::vector<std::string> answers) {
  FakeReply reply;
  reply.answers = std::move(answers);
  return reply;
}

FakeReply rcode(unsigned value) {
  FakeReply reply;
  reply.rcode = value;
  return reply;
}

class FakeResponder {
 public:
  FakeResponder() {
    socket_ = sim::OwnedDescriptor(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (socket_.get() < 0 || bind(socket_.get(), reinterpret_cast<sockaddr*>(&address), length) < 0 ||
        getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0)
      throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) < 0) throw std::runtime_error("pipe failed");
    wake_read_ = sim::OwnedDescriptor(pipe_ends[0]);
    wake_write_ = sim::OwnedDescriptor(pipe_ends[1]);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeResponder() {
    const char byte = 'q';
    (void)!write(wake_write_.get(), &byte, 1);
    thread_.join();
  }
  FakeResponder(const FakeResponder&) = delete;
  FakeResponder& operator=(const FakeResponder&) = delete;

  geo::SocketAddress address() const {
    return *geo::SocketAddress::parse("127.0.0.1:" + std::to_string(port_));
  }

  // The datagrams sent back to every query from now on, in order; none is silence.
  void reply_with(std::vector<FakeReply> replies) {
    std::lock_guard lock(mutex_);
    replies_ = std::move(replies);
  }

  // The queries seen so far. Each is recorded before its replies go out, so once the client has
  // its reply the query is here.
  std::vector<SeenQuery> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve() {
    std::vector<uint8_t> buffer(65535);
    while (true) {
      pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      sockaddr_storage from{};
      socklen_t from_length = sizeof from;
      const ssize_t n = recvfrom(socket_.get(), buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
      if (n <= 0) continue;
      ldns_pkt* raw = nullptr;
      if (ldns_wire2pkt(&raw, buffer.data(), size_t(n)) != LDNS_STATUS_OK) continue;
      Packet query(raw);
      std::vector<FakeReply> replies;
      {
        std::lock_guard lock(mutex_);
        const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(query.get()), 0);
        char* qname = ldns_rdf2str(ldns_rr_owner(question));
        seen_.push_back({qname, uint16_t(ldns_rr_get_type(question)), ldns_pkt_rd(query.get()),
                         ldns_pkt_edns_udp_size(query.get()), ecs_data_of(query.get())});
        free(qname);
        replies = replies_;
      }
      for (const auto& fake : replies) {
        const auto wire = reply_to(query.get(), fake);
        sendto(socket_.get(), wire.data(), wire.size(), 0, reinterpret_cast<sockaddr*>(&from), from_length);
      }
    }
  }

  sim::OwnedDescriptor socket_, wake_read_, wake_write_;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<FakeReply> replies_;
  std::vector<SeenQuery> seen_;
  std::thread thread_;
};

geo::Cidr cidr(const char* text) {
  return *geo::Cidr::parse(text);
}

std::vector<std::string> texts(const std::vector<geo::Address>& addresses) {
  std::vector<std::string> result;
  for (const auto& address : addresses) result.push_back(address.to_string());
  return result;
}

}  // namespace

TEST_CASE(
    "the query carries EDNS and the client's IPv4 subnet: family, source prefix, only the prefix's bytes") {
  FakeResponder responder;
  responder.reply_with({records({"www.example.test. 60 IN A 192.0.2.1"})});
  sim::DnsClient client(responder.address());
  client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/22"), 2s);
  const auto seen = responder.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].qname == "www.example.test.");
  CHECK(seen[0].qtype == LDNS_RR_TYPE_A);
  CHECK_FALSE(seen[0].recursion_desired);
  CHECK(seen[0].udp_size == 1232);
  CHECK(seen[0].ecs == std::vector<uint8_t>{0, 1, 22, 0, 198, 51, 100});
}

TEST_CASE("the query carries an IPv6 subnet truncated to the prefix's bytes") {
  FakeResponder responder;
  responder.reply_with({FakeReply{}});
  sim::DnsClient client(responder.address());
  client.query("www.example.test", LDNS_RR_TYPE_AAAA, cidr("2001:db8:ab00::/40"), 2s);
  const auto seen = responder.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].ecs == std::vector<uint8_t>{0, 2, 40, 0, 0x20, 0x01, 0x0d, 0xb8, 0xab});
}

TEST_CASE("an A answer gives its addresses and the lowest TTL") {
  FakeResponder responder;
  responder.reply_with(
      {records({"www.example.test. 300 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2"})});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s);
  CHECK(reply.outcome == "answer");
  CHECK(texts(reply.addresses) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  CHECK(reply.ttl == 60);
  CHECK(reply.cnames.empty());
  CHECK(reply.scope_prefix == 0);  // no ECS option in the reply
}

TEST_CASE("an AAAA answer behind a CNAME gives the target and the IPv6 addresses") {
  FakeResponder responder;
  responder.reply_with({records({"www.example.test. 30 IN CNAME App.Westeurope.Example.test.",
                                 "app.westeurope.example.test. 120 IN AAAA 2001:db8::1"})});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_AAAA, cidr("2001:db8::/48"), 2s);
  CHECK(reply.outcome == "answer");
  CHECK(reply.cnames == std::vector<std::string>{"app.westeurope.example.test"});
  CHECK(texts(reply.addresses) == std::vector<std::string>{"2001:db8::1"});
  CHECK(reply.ttl == 30);
}

TEST_CASE("NXDOMAIN is its own outcome") {
  FakeResponder responder;
  responder.reply_with({rcode(LDNS_RCODE_NXDOMAIN)});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("nowhere.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s);
  CHECK(reply.outcome == "NXDOMAIN");
  CHECK(reply.addresses.empty());
}

TEST_CASE("NOERROR without a record of the type asked is NODATA") {
  FakeResponder responder;
  responder.reply_with({FakeReply{}});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_AAAA, cidr("198.51.100.0/24"), 2s);
  CHECK(reply.outcome == "NODATA");
  CHECK(reply.ttl == 0);
}

TEST_CASE("SERVFAIL and REFUSED are outcomes by name") {
  FakeResponder responder;
  sim::DnsClient client(responder.address());
  responder.reply_with({rcode(LDNS_RCODE_SERVFAIL)});
  CHECK(client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s).outcome == "SERVFAIL");
  responder.reply_with({rcode(LDNS_RCODE_REFUSED)});
  CHECK(client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s).outcome == "REFUSED");
}

TEST_CASE("a reply with another ID or another question is ignored and the right one taken") {
  FakeResponder responder;
  auto other_id = records({"www.example.test. 60 IN A 192.0.2.66"});
  other_id.id_change = 0x5a5a;
  auto other_question = records({"other.example.test. 60 IN A 192.0.2.77"});
  other_question.question = "other.example.test. IN A";
  responder.reply_with({other_id, other_question, records({"www.example.test. 60 IN A 192.0.2.1"})});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s);
  CHECK(reply.outcome == "answer");
  CHECK(texts(reply.addresses) == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("no reply is a timeout after about the timeout") {
  FakeResponder responder;  // silent: no replies set
  sim::DnsClient client(responder.address());
  const auto started = std::chrono::steady_clock::now();
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 200ms);
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(reply.outcome == "timeout");
  CHECK(waited >= 200ms);
  CHECK(waited < 2s);
}

TEST_CASE("the reply's ECS scope prefix is read back") {
  FakeResponder responder;
  auto scoped = records({"www.example.test. 60 IN A 192.0.2.1"});
  scoped.scope = 20;
  responder.reply_with({scoped});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s);
  CHECK(reply.outcome == "answer");
  CHECK(reply.scope_prefix == 20);
}

TEST_CASE("a truncated reply is an error, not an answer") {
  FakeResponder responder;
  FakeReply truncated;
  truncated.truncated = true;
  responder.reply_with({truncated});
  sim::DnsClient client(responder.address());
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 2s);
  CHECK(reply.outcome == "error: truncated");
}

TEST_CASE("a server that is not listening is an error at once, not a timeout") {
  geo::SocketAddress nowhere;
  {
    FakeResponder closed;  // a port that was just free, and is free again once it is gone
    nowhere = closed.address();
  }
  sim::DnsClient client(nowhere);
  const auto started = std::chrono::steady_clock::now();
  const auto reply = client.query("www.example.test", LDNS_RR_TYPE_A, cidr("198.51.100.0/24"), 5s);
  CHECK(reply.outcome.starts_with("error: "));
  CHECK(std::chrono::steady_clock::now() - started < 4s);
}
