// TCP limits (RFC 7766 6.2.2, 6.2.3, 10): connections per client address, queries and time per
// connection, and the timeout of a message begun and not finished (slow loris).
#include <doctest/doctest.h>

#include <memory>
#include <thread>

#include "exposition.h"
#include "harness.h"
#include "http_client.h"

using namespace meridian::test;
using Clock = std::chrono::steady_clock;

namespace {

// The config with `limits` (YAML lines under server:, two-space indented) added; a long idle
// timeout, so a close within seconds has another cause.
std::string config_with(const std::string& limits, unsigned workers = 1) {
  return "server:\n  workers: " + std::to_string(workers) + "\n  tcp_idle_timeout: 30s\n" + limits +
         "zones:\n  - origin: example.test\n    file: {ZONES}/example.test.zone\n";
}

std::vector<uint8_t> www_query(uint16_t id = 0) {
  auto query = make_query("www.example.test.", LDNS_RR_TYPE_A);
  ldns_pkt_set_id(query.get(), id);
  return to_wire(query.get());
}

// `count` www queries framed back to back, IDs 0, 1, 2, ...
std::vector<uint8_t> pipelined(uint16_t count) {
  std::vector<uint8_t> stream;
  for (uint16_t id = 0; id < count; ++id) {
    const auto wire = www_query(id);
    stream.push_back(static_cast<uint8_t>(wire.size() >> 8));
    stream.push_back(static_cast<uint8_t>(wire.size()));
    stream.insert(stream.end(), wire.begin(), wire.end());
  }
  return stream;
}

// Sends one query and checks the answer: the connection is open and served.
bool served(TcpClient& client, uint16_t id = 7) {
  if (!client.send(www_query(id))) return false;
  const auto reply = client.receive(std::chrono::seconds(5));
  if (!reply) return false;
  const auto packet = parse(*reply);
  return ldns_pkt_id(packet.get()) == id && rcode_name(packet.get()) == "NOERROR" &&
         rdatas(packet.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"};
}

double limited(const Server& server, const std::string& limit) {
  const auto reply = http_get(server.control_port(), "/metrics");
  REQUIRE(reply.status == 200);
  std::string error;
  const auto scraped = parse_exposition(reply.body, error);
  REQUIRE_MESSAGE(scraped.has_value(), error);
  return scraped->value("meridian_tcp_connections_limited_total", {{"limit", limit}}).value_or(-1);
}

}  // namespace

TEST_CASE("a client's connection past tcp_max_connections_per_client is closed, another address is served") {
  // Four workers and a limit of four: the count is the server's, not a share per worker, so all
  // four are served wherever SO_REUSEPORT puts them (a share of one each would refuse a second
  // on any worker, which nine times in ten happens to four connections).
  Server server(config_with("  tcp_max_connections_per_client: 4\n", 4));
  std::vector<std::unique_ptr<TcpClient>> first;
  for (int i = 0; i < 4; ++i) {
    first.push_back(std::make_unique<TcpClient>(server.port()));
    REQUIRE_MESSAGE(served(*first.back()), "connection " << i);
  }
  TcpClient fifth(server.port());
  CHECK(fifth.closed_by_peer(std::chrono::seconds(5)));
  // Another client address has its own four, while the first's stay open.
  std::vector<std::unique_ptr<TcpClient>> other;
  for (int i = 0; i < 4; ++i) {
    other.push_back(std::make_unique<TcpClient>(server.port(), TcpClient::From{"127.0.0.2"}));
    CHECK_MESSAGE(served(*other.back()), "127.0.0.2 connection " << i);
  }
  TcpClient other_fifth(server.port(), TcpClient::From{"127.0.0.2"});
  CHECK(other_fifth.closed_by_peer(std::chrono::seconds(5)));
  for (auto& client : first) CHECK(served(*client));
  CHECK(limited(server, "tcp_max_connections_per_client") == 2);

  // A closed connection gives its place back: once the server has seen the close, a new one
  // from the first address is served (until then it is refused, so each try is an event).
  first.pop_back();
  bool replaced = false;
  for (const auto deadline = Clock::now() + std::chrono::seconds(5); !replaced && Clock::now() < deadline;) {
    TcpClient again(server.port());
    replaced = served(again);
  }
  CHECK(replaced);
}

TEST_CASE("a connection is closed after tcp_max_queries_per_connection answers") {
  Server server(config_with("  tcp_max_queries_per_connection: 3\n"));
  SUBCASE("queries one at a time: the third is answered, then the close") {
    TcpClient client(server.port());
    CHECK(served(client, 1));
    CHECK(served(client, 2));
    CHECK(served(client, 3));
    CHECK(client.closed_by_peer(std::chrono::seconds(5)));
  }
  SUBCASE("five pipelined in one write: three answers in order, then the close") {
    TcpClient client(server.port());
    REQUIRE(client.send_raw(pipelined(5)));
    for (uint16_t id = 0; id < 3; ++id) {
      const auto reply = client.receive(std::chrono::seconds(5));
      REQUIRE_MESSAGE(reply.has_value(), "answer " << id);
      CHECK(ldns_pkt_id(parse(*reply).get()) == id);
    }
    CHECK(client.closed_by_peer(std::chrono::seconds(5)));  // read returns 0: a FIN, no reset
  }
  CHECK(limited(server, "tcp_max_queries_per_connection") == 1);
  TcpClient fresh(server.port());
  CHECK(served(fresh));
}

TEST_CASE("tcp_max_connection_time closes a connection that never stops asking") {
  Server server(config_with("  tcp_max_connection_time: 1s\n"));
  TcpClient client(server.port());
  const auto opened = Clock::now();
  unsigned answered = 0;
  // Busy: the next query as soon as the answer is in. Every query before the end is answered;
  // the one the server stops at gets the close instead.
  while (Clock::now() - opened < std::chrono::seconds(15) && served(client, static_cast<uint16_t>(answered)))
    ++answered;
  const auto lasted = Clock::now() - opened;
  CHECK(client.closed_by_peer(std::chrono::seconds(1)));
  CHECK(answered > 10);
  // The loop's clock is read once per turn, so the server may count from a little before the
  // connect returned here.
  CHECK(lasted >= std::chrono::milliseconds(900));
  CHECK(lasted < std::chrono::seconds(10));
  CHECK(limited(server, "tcp_max_connection_time") == 1);
}

TEST_CASE("slow-loris connections are closed by tcp_message_timeout while a normal client is served") {
  Server server(
      config_with("  tcp_message_timeout: 500ms\n"
                  "  tcp_max_connections_per_client: 1000\n",
                  2));
  const auto query = www_query();
  std::vector<std::unique_ptr<TcpClient>> lorises;
  for (int i = 0; i < 100; ++i) {
    lorises.push_back(std::make_unique<TcpClient>(server.port()));
    if (i % 2 == 0) {
      REQUIRE(lorises.back()->send_raw({0x00}));  // one byte of the two-byte length
    } else {                                      // the length and part of the message
      std::vector<uint8_t> part{0x00, static_cast<uint8_t>(query.size())};
      part.insert(part.end(), query.begin(), query.begin() + 5);
      REQUIRE(lorises.back()->send_raw(part));
    }
  }
  // One that trickles a byte of a 200-byte message every 100 ms: 20 s to finish it, each byte
  // inside the idle timeout; the message's timeout runs from its first byte regardless.
  TcpClient trickler(server.port());
  // Before the send: the server's timer starts when it reads the first byte, which can be
  // before this thread gets to read the clock after sending.
  const auto began = Clock::now();
  REQUIRE(trickler.send_raw({0x00, 200}));
  std::thread trickle([&] {
    for (int sent = 0; sent < 200 && !trickler.closed_by_peer(std::chrono::milliseconds(100)); ++sent)
      trickler.send_raw({0x00});
  });

  TcpClient normal(server.port());
  CHECK(served(normal));
  for (auto& loris : lorises) CHECK(loris->closed_by_peer(std::chrono::seconds(5)));
  trickle.join();
  const auto trickled = Clock::now() - began;
  CHECK(trickled >= std::chrono::milliseconds(500));
  CHECK(trickled < std::chrono::seconds(5));
  // A whole query in two parts is a message, not a loris: answered.
  CHECK(served(normal));
  CHECK(limited(server, "tcp_message_timeout") == 101);
}

TEST_CASE("bytes of an unfinished message do not make a connection look busy to tcp_max_connections") {
  // At the limit the quietest connection goes: a loris that keeps sending bytes of a message it
  // never finishes is quieter than a client whose query was answered, however recent its bytes.
  Server server(config_with("  tcp_max_connections: 2\n  tcp_message_timeout: 20s\n"));
  const pid_t pid = server.pid();
  TcpClient loris(server.port());
  REQUIRE(loris.send_raw({0x00}));
  // The server's clock counts milliseconds: the loris's accept and the client's answer must not
  // fall in one tick.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  TcpClient client(server.port());
  REQUIRE(served(client));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(loris.send_raw({0x30}));
  // Read by the server (its socket's queue empty again) before the next connection arrives.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (unread_from(pid, loris.local_port()) > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  TcpClient third(server.port());
  CHECK(served(third));
  CHECK(loris.closed_by_peer(std::chrono::seconds(5)));
  CHECK(served(client));
  CHECK(limited(server, "tcp_max_connections") == 1);
}
