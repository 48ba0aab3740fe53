// Bad input: FORMERR, NOTIMP or silence, never a crash (RFC 1035, RFC 6891 6.1.1).
#include <doctest/doctest.h>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {
Server& server() {
  static Server instance(static_config);
  return instance;
}

std::vector<uint8_t> header(uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
  return {0xbe, 0xef, uint8_t(flags >> 8), uint8_t(flags), uint8_t(qd >> 8), uint8_t(qd), uint8_t(an >> 8), uint8_t(an),
          uint8_t(ns >> 8), uint8_t(ns), uint8_t(ar >> 8), uint8_t(ar)};
}
const std::vector<uint8_t> www_a = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
std::vector<uint8_t> opt(uint16_t rdlength_field, const std::vector<uint8_t>& rdata, uint8_t owner = 0) {
  std::vector<uint8_t> rr;
  if (owner) rr = {1, owner, 0};
  else rr = {0};
  std::vector<uint8_t> rest{0, 41, 0x04, 0xd0, 0, 0, 0, 0, uint8_t(rdlength_field >> 8), uint8_t(rdlength_field)};
  rr.insert(rr.end(), rest.begin(), rest.end());
  rr.insert(rr.end(), rdata.begin(), rdata.end());
  return rr;
}

std::string rcode_for(const std::vector<uint8_t>& packet) {
  auto reply = udp_exchange(server().port(), packet);
  if (!reply) return "no reply";
  // Parse only the header: a FORMERR reply may carry nothing else.
  REQUIRE(reply->size() >= 12);
  CHECK((*reply)[0] == 0xbe);
  CHECK((*reply)[1] == 0xef);
  CHECK(((*reply)[2] & 0x80) != 0);                    // QR
  CHECK(((*reply)[2] & 0x78) == (packet[2] & 0x78));     // opcode copied
  CHECK(((*reply)[2] & 0x01) == (packet[2] & 0x01));     // RD copied
  const unsigned rcode = (*reply)[3] & 0x0f;
  return rcode == 0 ? "NOERROR" : rcode == 1 ? "FORMERR" : rcode == 4 ? "NOTIMP" : "RCODE" + std::to_string(rcode);
}

// Whether the reply to `packet` carries an OPT record (it must parse as a message).
bool reply_has_opt(const std::vector<uint8_t>& packet) {
  auto reply = udp_exchange(server().port(), packet);
  REQUIRE(reply.has_value());
  return ldns_pkt_edns(parse(*reply).get());
}
}  // namespace

TEST_CASE("a well-formed hand-built query is answered (the baseline for the cases below)") {
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), www_a)) == "NOERROR");
  CHECK(rcode_for(concat(concat(header(0, 1, 0, 0, 1), www_a), opt(0, {}))) == "NOERROR");
}

TEST_CASE("garbage shorter than a header is dropped silently") {
  CHECK(rcode_for({}) == "no reply");
  CHECK(rcode_for({0xbe, 0xef, 0x01}) == "no reply");
  CHECK(rcode_for({0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0}) == "no reply");
}

TEST_CASE("a response (QR set) is never answered") {
  CHECK(rcode_for(concat(header(0x8000, 1, 0, 0, 0), www_a)) == "no reply");
}

TEST_CASE("an opcode other than QUERY gets NOTIMP") {
  CHECK(rcode_for(concat(header(2 << 11, 1, 0, 0, 0), www_a)) == "NOTIMP");  // STATUS
  CHECK(rcode_for(concat(header(4 << 11, 1, 0, 0, 0), www_a)) == "NOTIMP");  // NOTIFY
  CHECK(rcode_for(concat(header(5 << 11, 1, 0, 0, 0), www_a)) == "NOTIMP");  // UPDATE
}

TEST_CASE("bad question counts get FORMERR") {
  CHECK(rcode_for(header(0, 0, 0, 0, 0)) == "FORMERR");
  CHECK(rcode_for(concat(concat(header(0, 2, 0, 0, 0), www_a), www_a)) == "FORMERR");
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 1), www_a)) == "FORMERR");  // promised record missing
  CHECK(rcode_for(concat(header(0, 1, 1, 0, 0), www_a)) == "FORMERR");
}

TEST_CASE("a truncated or malformed question gets FORMERR") {
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), {3, 'w', 'w'})) == "FORMERR");
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), {3, 'w', 'w', 'w', 0, 0, 1})) == "FORMERR");  // no class
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), {0xc0, 0x0c, 0, 1, 0, 1})) == "FORMERR");     // pointer loop
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), {0x40, 0, 0, 1, 0, 1})) == "FORMERR");        // label type 01
  std::vector<uint8_t> long_name;
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), long_name)) == "FORMERR");  // over 255 bytes
}

TEST_CASE("trailing bytes after the last record get FORMERR") {
  CHECK(rcode_for(concat(concat(header(0, 1, 0, 0, 0), www_a), {0xde, 0xad})) == "FORMERR");
}

TEST_CASE("a bad OPT record gets FORMERR") {
  const auto base = concat(header(0, 1, 0, 0, 2), www_a);
  CHECK(rcode_for(concat(concat(base, opt(0, {})), opt(0, {}))) == "FORMERR");          // two OPTs
  CHECK(rcode_for(concat(concat(header(0, 1, 0, 0, 1), www_a), opt(0, {}, 'x'))) == "FORMERR");  // not the root
  CHECK(rcode_for(concat(concat(header(0, 1, 0, 0, 1), www_a), opt(8, {0, 8, 0, 9}))) == "FORMERR");  // rdata cut
  CHECK(rcode_for(concat(concat(header(0, 1, 0, 0, 1), www_a), opt(4, {0, 10, 0, 9}))) == "FORMERR");  // option overruns
  CHECK(rcode_for(concat(concat(header(0, 1, 0, 0, 1), www_a), opt(3, {0, 10, 0}))) == "FORMERR");  // half an option
}

TEST_CASE("a FORMERR or NOTIMP to a query with an OPT carries an OPT (RFC 6891 6.1.1, 7)") {
  const auto with_opt = [](std::vector<uint8_t> head, const std::vector<uint8_t>& middle) {
    return concat(concat(std::move(head), middle), opt(0, {}));
  };
  CHECK(reply_has_opt(with_opt(header(0, 0, 0, 0, 1), {})));                     // no question
  CHECK(reply_has_opt(with_opt(header(0, 2, 0, 0, 1), concat(www_a, www_a))));   // two questions
  CHECK(reply_has_opt(concat(with_opt(header(0, 1, 0, 0, 1), www_a), {0xde})));  // trailing byte
  CHECK(reply_has_opt(
      concat(concat(header(0, 1, 0, 0, 2), www_a), concat(opt(0, {}), opt(0, {})))));  // two OPTs
  CHECK(
      reply_has_opt(concat(concat(header(0, 1, 0, 0, 1), www_a), opt(4, {0, 10, 0, 9}))));  // option overruns
  CHECK(reply_has_opt(with_opt(header(4 << 11, 1, 0, 0, 1), www_a)));                       // NOTIFY: NOTIMP
  CHECK(rcode_for(with_opt(header(0, 0, 0, 0, 1), {})) == "FORMERR");
  // A question that cannot be read hides where the OPT would be: FORMERR without one.
  CHECK_FALSE(reply_has_opt(with_opt(header(0, 1, 0, 0, 1), {0xc0, 0x0c, 0, 1, 0, 1})));
}

TEST_CASE("OPT outside the additional section gets FORMERR") {
  CHECK(rcode_for(concat(concat(header(0, 1, 1, 0, 0), www_a), opt(0, {}))) == "FORMERR");
}

TEST_CASE("a query for the OPT type gets FORMERR") {
  std::vector<uint8_t> question = www_a;
  question[question.size() - 3] = 41;
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), question)) == "FORMERR");
}

TEST_CASE("the server survives a burst of random packets and still answers") {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> packet(next() % 80);
    for (auto& byte : packet) byte = static_cast<uint8_t>(next());
    if (packet.size() > 2) packet[2] &= 0x7f;  // mostly queries, so the parser is exercised
    udp_exchange(server().port(), packet, std::chrono::milliseconds(0));
  }
  // The burst may still fill the socket buffer, where a datagram can be dropped as on any
  // network: ask until an answer comes, then check it.
  std::optional<std::vector<uint8_t>> reply;
  for (int attempt = 0; attempt < 10 && !reply; ++attempt)
    reply = udp_exchange(server().port(), concat(header(0, 1, 0, 0, 0), www_a), std::chrono::seconds(1));
  REQUIRE(reply.has_value());
  CHECK(rcode_for(concat(header(0, 1, 0, 0, 0), www_a)) == "NOERROR");
}
