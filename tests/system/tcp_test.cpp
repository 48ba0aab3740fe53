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

// The same with a 30 s idle timeout: a close it sees within seconds has another cause.
Server& patient_server() {
  static Server instance(
      std::string(static_config).replace(std::string(static_config).find("500ms"), 5, "30s"));
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

// Reads `count` answers with IDs 0, 1, 2, ... in order; returns how many came before a gap, a
// wrong ID or the end of the connection.
uint16_t receive_in_order(TcpClient& client, uint16_t count) {
  uint16_t received = 0;
  while (received < count) {
    auto reply = client.receive(std::chrono::seconds(10));
    if (!reply || ldns_pkt_id(parse(*reply).get()) != received) break;
    ++received;
  }
  return received;
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
  // reading only after three idle timeouts: the server holds some of them queued (and the
  // client's further queries unread), and must not take the quiet for idleness and drop them.
  constexpr uint16_t count = 5000;
  const auto stream = pipelined("big.example.test.", LDNS_RR_TYPE_TXT, count);
  TcpClient client(server().port(), false, 64 * 1024);
  const size_t sent = client.send_until_stalled(stream, std::chrono::milliseconds(200));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the slow client, not a wait for an event
  std::thread rest([&] { CHECK(client.send_raw({stream.begin() + sent, stream.end()})); });
  CHECK(receive_in_order(client, count) == count);
  rest.join();
}

TEST_CASE("at tcp_max_connections a new connection closes the one quiet the longest") {
  Server limited(R"(
server:
  workers: 1
  tcp_idle_timeout: 10s
  tcp_max_connections: 2
zones:
  - origin: example.test
    file: {ZONES}/example.test.zone
)");
  const auto query = to_wire(make_query("www.example.test.", LDNS_RR_TYPE_A).get());
  TcpClient first(limited.port());
  TcpClient second(limited.port());
  REQUIRE(second.send(query));
  REQUIRE(second.receive().has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the loop's clock counts milliseconds
  REQUIRE(first.send(query));                                  // opened first, but active last
  REQUIRE(first.receive().has_value());
  TcpClient third(limited.port());  // `second` has been quiet longest
  REQUIRE(third.send(query));
  CHECK(third.receive().has_value());
  CHECK(second.closed_by_peer(std::chrono::seconds(2)));
  REQUIRE(first.send(query));
  CHECK(first.receive().has_value());
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

TEST_CASE("a client that sends without reading is held back, then gets every answer in order") {
  // 20,000 queries for 3 KB answers: 60 MB of answers for 700 KB of queries. Queued whole, they
  // would cost the server that much memory per connection; it must stop reading instead.
  constexpr uint16_t count = 20000;
  const auto stream = pipelined("big.example.test.", LDNS_RR_TYPE_TXT, count);
  const pid_t pid = server().pid();
  const size_t resident_before = resident_kib(pid);
  TcpClient client(server().port(), false, 64 * 1024);
  // All of the queries may fit in the two sockets' buffers: what matters is that the server
  // does not answer them all into memory. Watched for a second, as long as answering them all
  // would take a sanitized build.
  const size_t sent = client.send_until_stalled(stream, std::chrono::milliseconds(200));
  size_t grown_kib = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    grown_kib = std::max(grown_kib, resident_kib(pid) - std::min(resident_kib(pid), resident_before));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK_MESSAGE(grown_kib < 16 * 1024, "the server grew by " << grown_kib << " KiB");
  // Once the client reads, the server takes the rest of the queries and loses no answer.
  std::thread rest([&] { CHECK(client.send_raw({stream.begin() + sent, stream.end()})); });
  CHECK(receive_in_order(client, count) == count);
  rest.join();
}

TEST_CASE("a client that never reads is disconnected once its answers have stalled for six idle timeouts") {
  constexpr uint16_t count = 5000;
  const auto stream = pipelined("big.example.test.", LDNS_RR_TYPE_TXT, count);
  const pid_t pid = server().pid();
  TcpClient client(server().port(), false, 64 * 1024);
  client.send_until_stalled(stream, std::chrono::milliseconds(300));
  const std::string socket = socket_of_connection_from(pid, client.local_port());
  REQUIRE_FALSE(socket.empty());
  // 6 x 500 ms of no progress, then the next idle check closes it: awaited by watching the
  // server's descriptors, since the client must not read to see it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (holds_socket(pid, socket) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(holds_socket(pid, socket));
  // What the kernel held still arrives, then the end: not every answer.
  CHECK(receive_in_order(client, count) < count);
}

TEST_CASE("a client that resets while answers wait for it is let go at once") {
  // The server holds answers and has stopped reading; the reset makes its next write fail,
  // which closes the connection long before any timeout would.
  const auto stream = pipelined("big.example.test.", LDNS_RR_TYPE_TXT, 5000);
  const pid_t pid = patient_server().pid();
  TcpClient client(patient_server().port(), false, 64 * 1024);
  client.send_until_stalled(stream, std::chrono::milliseconds(300));
  const std::string socket = socket_of_connection_from(pid, client.local_port());
  REQUIRE_FALSE(socket.empty());
  // Held: queries the server has stopped reading wait in its socket, no longer draining.
  size_t unread = 0;
  for (int look = 0; look < 100; ++look) {
    const size_t now = unread_from(pid, client.local_port());
    if (now > 0 && now == unread) break;
    unread = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(unread > 0);
  client.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (holds_socket(pid, socket) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(holds_socket(pid, socket));
}

TEST_CASE("a client that half-closes after its queries gets every answer, then the close") {
  // RFC 7766 6.2.4: the client is done sending, not done reading. 3,000 answers of 3 KB are more
  // than the socket buffers hold, so most are still queued when the end-of-file arrives. The
  // idle timeout is long here, so the close can only come from the answers having gone out.
  constexpr uint16_t count = 3000;
  const auto stream = pipelined("big.example.test.", LDNS_RR_TYPE_TXT, count);
  TcpClient client(patient_server().port(), false, 64 * 1024);
  REQUIRE(client.send_raw(stream));
  client.finish_sending();
  CHECK(receive_in_order(client, count) == count);
  CHECK(client.closed_by_peer(std::chrono::seconds(5)));
}
