// DNS over TCP (RFC 7766): framing, several queries on one connection, idle timeout.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {
Server& server() {
  static Server instance(static_config);
  return instance;
}

// `count` queries for `name`, framed for TCP back to back, with IDs 0, 1, 2, ...
std::vector<uint8_t> pipelined(const std::string& name, ldns_rr_type type, uint16_t count) {
  std::vector<uint8_t> stream;
  for (uint16_t id = 0; id < count; ++id) {
    auto query = make_query(name, type);
    ldns_pkt_set_id(query.get(), id);
    auto wire = to_wire(query.get());
    stream.push_back(static_cast<uint8_t>(wire.size() >> 8));
    stream.push_back(static_cast<uint8_t>(wire.size()));
    stream.insert(stream.end(), wire.begin(), wire.end());
  }
  return stream;
}
}  // namespace

TEST_CASE("several pipelined queries on one connection are all answered") {
  TcpClient client(server().port());
  auto first = make_query("www.example.test.", LDNS_RR_TYPE_A);
  auto second = make_query("mail.example.test.", LDNS_RR_TYPE_AAAA);
  auto third = make_query("nope.example.test.", LDNS_RR_TYPE_A);
  // All three in one write: the server must split the stream by the length prefixes.
  std::vector<uint8_t> stream;
  for (auto* query : {first.get(), second.get(), third.get()}) {
    auto wire = to_wire(query);
    stream.push_back(static_cast<uint8_t>(wire.size() >> 8));
    stream.push_back(static_cast<uint8_t>(wire.size()));
    stream.insert(stream.end(), wire.begin(), wire.end());
  }
  REQUIRE(client.send_raw(stream));
  std::set<uint16_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto reply = client.receive();
    REQUIRE(reply.has_value());
    ids.insert(ldns_pkt_id(parse(*reply).get()));
  }
  CHECK(ids == std::set<uint16_t>{ldns_pkt_id(first.get()), ldns_pkt_id(second.get()), ldns_pkt_id(third.get())});
}

TEST_CASE("a query split across several writes is answered once whole") {
  TcpClient client(server().port());
  auto query = make_query("www.example.test.", LDNS_RR_TYPE_A);
  auto wire = to_wire(query.get());
  std::vector<uint8_t> framed{static_cast<uint8_t>(wire.size() >> 8), static_cast<uint8_t>(wire.size())};
  framed.insert(framed.end(), wire.begin(), wire.end());
  REQUIRE(client.send_raw({framed.begin(), framed.begin() + 1}));
  CHECK_FALSE(client.receive(std::chrono::milliseconds(100)).has_value());
  REQUIRE(client.send_raw({framed.begin() + 1, framed.begin() + 10}));
  REQUIRE(client.send_raw({framed.begin() + 10, framed.end()}));
  auto reply = client.receive();
  REQUIRE(reply.has_value());
  CHECK(rdatas(parse(*reply).get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.10"});
}

TEST_CASE("TCP answers carry no truncation and the same data as UDP") {
  auto reply = query_tcp(server().port(), "status.example.test.", LDNS_RR_TYPE_A);
  CHECK_FALSE(ldns_pkt_tc(reply.get()));
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(ldns_pkt_ancount(reply.get()) == 3);
}

TEST_CASE("an idle connection is closed by the server after its idle timeout") {
  TcpClient client(server().port());
  REQUIRE(client.send(to_wire(make_query("www.example.test.", LDNS_RR_TYPE_A).get())));
  REQUIRE(client.receive().has_value());
  // tcp_idle_timeout is 500ms in the test config; give it generous slack, but no less.
  CHECK_FALSE(client.closed_by_peer(std::chrono::milliseconds(200)));
  CHECK(client.closed_by_peer(std::chrono::seconds(5)));
}

TEST_CASE("a connection that keeps asking is not closed by the idle timeout") {
  // A query every 200 ms for 1.6 s: past the 500 ms idle timeout counted from the connection's
  // start, never past it counted from the last query.
  TcpClient client(server().port());
  for (int i = 0; i < 8; ++i) {
    REQUIRE(client.send(to_wire(make_query("www.example.test.", LDNS_RR_TYPE_A).get())));
    REQUIRE_MESSAGE(client.receive().has_value(), "query " << i);
    CHECK_FALSE(client.closed_by_peer(std::chrono::milliseconds(200)));
  }
}

TEST_CASE("answers still being written keep a connection open past its idle timeout") {
  // 5,000 answers of about 3 KB (16 MB) to a client with a 64 KiB receive buffer that starts
  // reading only after three idle timeouts: the server holds most of them queued, and must not
  // take the quiet for idleness and drop them.
  constexpr uint16_t count = 5000;
  const auto stream = pipelined("big.example.test.", LDNS_RR_TYPE_TXT, count);
  TcpClient client(server().port(), false, 64 * 1024);
  REQUIRE(client.send_raw(stream));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the slow client, not a wait for an event
  uint16_t received = 0;
  while (received < count) {
    auto reply = client.receive(std::chrono::seconds(10));
    if (!reply || ldns_pkt_id(parse(*reply).get()) != received) break;
    ++received;
  }
  CHECK(received == count);
}

TEST_CASE("a malformed message over TCP gets FORMERR and the connection keeps working") {
  TcpClient client(server().port());
  REQUIRE(client.send({0x12, 0x34, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
  auto reply = client.receive();
  REQUIRE(reply.has_value());
  CHECK(rcode_name(parse(*reply).get()) == "FORMERR");
  REQUIRE(client.send(to_wire(make_query("www.example.test.", LDNS_RR_TYPE_A).get())));
  CHECK(client.receive().has_value());
}

TEST_CASE("a client that reads only after sending 60,000 queries gets every answer, in order") {
  // About 6 MB of answers: more than the socket buffers hold, so the server must queue what the
  // client is not reading yet, behind what it already wrote, and lose nothing.
  constexpr uint16_t count = 60000;
  const auto stream = pipelined("status.example.test.", LDNS_RR_TYPE_A, count);
  // Connected only now: building the queries can outlast the idle timeout (500 ms) in a
  // sanitized build.
  TcpClient client(server().port());
  REQUIRE(client.send_raw(stream));
  uint16_t expected = 0;
  for (; expected < count; ++expected) {
    auto reply = client.receive(std::chrono::seconds(10));
    if (!reply) break;
    const auto packet = parse(*reply);
    if (ldns_pkt_id(packet.get()) != expected || ldns_pkt_ancount(packet.get()) != 3) break;
  }
  CHECK(expected == count);
}
