// Response rate limiting over the wire: a flood from one client prefix is limited, with every
// slip-th limited answer sent truncated (and then answered over TCP), while a client in another
// prefix is served in full; the whitelist exempts a prefix; /metrics counts what was limited.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "exposition.h"
#include "harness.h"
#include "http_client.h"

using namespace meridian::test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* zone = R"($ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 3600 1209600 300
     IN NS  ns1
ns1  IN A   192.0.2.53
www  IN A   192.0.2.10
)";

// A UDP socket bound to `source` (any 127.0.0.0/8 address is loopback), talking to the server.
class UdpClient {
 public:
  UdpClient(const char* source, uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    REQUIRE(fd_ >= 0);
    const int buffer = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0);
  }
  ~UdpClient() { close(fd_); }

  void send(const std::string& name, uint16_t id) {
    Packet query = make_query(name, LDNS_RR_TYPE_A);
    ldns_pkt_set_id(query.get(), id);
    const auto wire = to_wire(query.get());
    REQUIRE(::send(fd_, wire.data(), wire.size(), 0) == static_cast<ssize_t>(wire.size()));
  }

  // Replies by ID until the one with `last` arrives (answers from one socket come in order).
  std::map<uint16_t, Packet> receive_until(uint16_t last) {
    std::map<uint16_t, Packet> replies;
    uint8_t buffer[4096];
    while (!replies.count(last)) {
      pollfd ready{fd_, POLLIN, 0};
      REQUIRE_MESSAGE(poll(&ready, 1, 5000) == 1, "no answer to the last query within 5 s");
      const ssize_t size = recv(fd_, buffer, sizeof buffer, 0);
      REQUIRE(size > 0);
      Packet reply = parse(std::vector<uint8_t>(buffer, buffer + size));
      replies[ldns_pkt_id(reply.get())] = std::move(reply);
    }
    return replies;
  }

 private:
  int fd_;
};

Exposition scrape(uint16_t control_port) {
  const auto reply = http_get(control_port, "/metrics");
  REQUIRE(reply.status == 200);
  std::string error;
  auto exposition = parse_exposition(reply.body, error);
  REQUIRE_MESSAGE(exposition, error);
  return *exposition;
}

std::string config(const TempDir& dir, const std::string& rrl) {
  return dir.write("meridian.yaml", "server:\n  workers: 2\n" + rrl +
                                        "zones:\n  - {origin: example.test, file: " +
                                        dir.write("example.test.zone", zone) + "}\n");
}

}  // namespace

TEST_CASE("a flood from one prefix is limited, with slips, while another prefix is served in full") {
  TempDir dir;
  Server server(Server::File{config(dir, "rrl:\n  responses_per_second: 20\n  slip: 2\n")});
  UdpClient flood("127.0.0.1", server.port());   // 127.0.0.0/24
  UdpClient other("127.0.1.1", server.port());   // 127.0.1.0/24: a client of its own
  constexpr uint16_t flood_count = 300, other_count = 15;
  const auto start = Clock::now();
  for (uint16_t id = 1; id <= flood_count; ++id) {
    flood.send("www.example.test", id);
    if (id % 20 == 0) other.send("www.example.test", id / 20);
  }
  // Another name has a bucket of its own: answered, and after everything sent before it.
  flood.send("ns1.example.test", 0xffff);
  other.send("ns1.example.test", 0xffff);
  const auto flood_replies = flood.receive_until(0xffff);
  const auto other_replies = other.receive_until(0xffff);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  size_t full = 0, slipped = 0;
  for (uint16_t id = 1; id <= flood_count; ++id) {
    const auto reply = flood_replies.find(id);
    if (reply == flood_replies.end()) continue;
    const ldns_pkt* pkt = reply->second.get();
    if (ldns_pkt_tc(pkt)) {
      ++slipped;
      CHECK(ldns_pkt_ancount(pkt) == 0);
      CHECK(rcode_name(pkt) == "NOERROR");
    } else {
      ++full;
      CHECK(rdatas(pkt, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
    }
  }
  const size_t dropped = flood_count - full - slipped;
  MESSAGE("full=" << full << " slipped=" << slipped << " dropped=" << dropped << " seconds=" << seconds);
  // One second's worth at once, then 20 a second for as long as the flood lasted.
  CHECK(full >= 20);
  CHECK(full <= 20 + static_cast<size_t>(20 * seconds) + 1);
  // Half of what was limited slipped out truncated; the rest got nothing.
  const size_t limited = flood_count - full;
  CHECK(slipped + 1 >= limited / 2);
  CHECK(slipped <= limited / 2 + 1);
  CHECK(dropped > 0);

  // The other prefix got every answer in full.
  for (uint16_t id = 1; id <= other_count; ++id) {
    const auto reply = other_replies.find(id);
    REQUIRE_MESSAGE(reply != other_replies.end(), "no answer to the other prefix's query " << id);
    CHECK_FALSE(ldns_pkt_tc(reply->second.get()));
    CHECK(rdatas(reply->second.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) ==
          std::vector<std::string>{"192.0.2.10"});
  }

  // A real client that got a truncated answer retries over TCP: not rate-limited.
  const Packet over_tcp = query_tcp(server.port(), "www.example.test", LDNS_RR_TYPE_A);
  CHECK(rdatas(over_tcp.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});

  const Exposition metrics = scrape(server.control_port());
  CHECK(metrics.value("meridian_rate_limited_responses_total", {{"action", "dropped"}}) == double(dropped));
  CHECK(metrics.value("meridian_rate_limited_responses_total", {{"action", "slipped"}}) == double(slipped));
}

TEST_CASE("a whitelisted prefix is never limited, and rrl can be turned off") {
  for (const std::string rrl : {"rrl:\n  responses_per_second: 5\n  whitelist: [127.0.0.0/24]\n",
                                "rrl:\n  enabled: false\n  responses_per_second: 5\n"}) {
    CAPTURE(rrl);
    TempDir dir;
    Server server(Server::File{config(dir, rrl)});
    UdpClient flood("127.0.0.1", server.port());
    constexpr uint16_t count = 200;
    for (uint16_t id = 1; id <= count; ++id) flood.send("www.example.test", id);
    const auto replies = flood.receive_until(count);
    CHECK(replies.size() == count);
    for (const auto& [id, reply] : replies) CHECK_FALSE(ldns_pkt_tc(reply.get()));
    const Exposition metrics = scrape(server.control_port());
    CHECK(metrics.value("meridian_rate_limited_responses_total", {{"action", "dropped"}}) == 0.0);
  }
}
