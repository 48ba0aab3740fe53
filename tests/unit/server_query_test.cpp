// server::parse_query on hand-built wire bytes: header fields, question, EDNS0 and ECS, and every malformed shape it must refuse.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/query.h"
#include "server_packet.h"

using namespace meridian;
using server::ParseOutcome;
using server::Query;

namespace {

using testing::Bytes;
using testing::Packet;
using testing::concat;
using testing::ecs;
using testing::option;

ParseOutcome parse(const Bytes& bytes, Query& query) { return server::parse_query(std::span<const uint8_t>(bytes), query); }

ParseOutcome parse(const Bytes& bytes) {
  Query query;
  return parse(bytes, query);
}

// A well-formed query for www.example.test A with an OPT carrying `options`.
Bytes edns_query(const Bytes& options, unsigned udp_size = 1232, unsigned version = 0, bool dnssec_ok = false) {
  return Packet().header(0x1234, 0x0100, 1, 0, 0, 1).question().opt(options, udp_size, version, dnssec_ok).data;
}

geo::Address ip(const char* text) {
  auto address = geo::Address::parse(text);
  REQUIRE(address);
  return *address;
}

std::string_view view(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

}  // namespace

// --- a plain query ----------------------------------------------------------------------------

TEST_CASE("a plain query parses its header fields and question") {
  const auto bytes = Packet().header(0xbeef, 0x0110, 1, 0, 0, 0).question("www.example.test", 28, 1).data;
  Query query;
  REQUIRE(parse(bytes, query) == ParseOutcome::ok);
  CHECK(query.id == 0xbeef);
  CHECK(query.opcode == 0);
  CHECK(query.rd);
  CHECK(query.cd);
  CHECK(query.qtype == 28);
  CHECK(query.qclass == 1);
  CHECK(query.has_question);
  CHECK_FALSE(query.edns);
  CHECK(query.udp_size == 512);
  CHECK_FALSE(query.has_ecs);
  CHECK_FALSE(query.nsid_requested);
}

TEST_CASE("rd and cd are false when their bits are clear") {
  const auto bytes = Packet().header(1, 0x0000, 1, 0, 0, 0).question().data;
  Query query;
  REQUIRE(parse(bytes, query) == ParseOutcome::ok);
  CHECK_FALSE(query.rd);
  CHECK_FALSE(query.cd);
}

TEST_CASE("the qname is copied with its case, and a lower-cased copy beside it") {
  const auto bytes = Packet().header(1, 0, 1, 0, 0, 0).question("WwW.Example.TEST").data;
  Query query;
  REQUIRE(parse(bytes, query) == ParseOutcome::ok);
  const std::string sent("\3WwW\7Example\4TEST\0", 18);
  const std::string lower("\3www\7example\4test\0", 18);
  CHECK(query.qname_length == 18);
  CHECK(view(query.qname, query.qname_length) == sent);
  CHECK(view(query.qname_lower, query.qname_length) == lower);
}

TEST_CASE("only ASCII capitals are lower-cased in the qname copy") {
  const Bytes label{3, 'A', 0xc1, '@', 0};  // 0xc1 ('Á' in Latin-1) and '@' stay as they are
  const auto bytes = Packet().header(1, 0, 1, 0, 0, 0).raw(label).u16(1).u16(1).data;
  Query query;
  REQUIRE(parse(bytes, query) == ParseOutcome::ok);
  CHECK(view(query.qname_lower, query.qname_length) == std::string("\3a\xc1@\0", 5));
}

TEST_CASE("a query for the root name parses") {
  const auto bytes = Packet().header(1, 0, 1, 0, 0, 0).question("", 2).data;
  Query query;
  REQUIRE(parse(bytes, query) == ParseOutcome::ok);
  CHECK(query.qname_length == 1);
  CHECK(query.qname_lower[0] == 0);
  CHECK(query.qtype == 2);
}

TEST_CASE("a name of exactly 255 bytes is accepted") {
  Packet packet;
  packet.header(1, 0, 1, 0, 0, 0);
  for (int i = 0; i < 3; ++i) packet.name(std::string(63, 'a')).data.pop_back();  // three 63-byte labels
  packet.name(std::string(61, 'b')).u16(1).u16(1);                               // 3*64 + 62 + 1 = 255
  Query query;
  REQUIRE(parse(packet.data, query) == ParseOutcome::ok);
  CHECK(query.qname_length == 255);
}

// --- dropped ----------------------------------------------------------------------------------

TEST_CASE("a message shorter than a header is dropped") {
  const Bytes bytes{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(parse(bytes) == ParseOutcome::drop);
  CHECK(parse(Bytes{}) == ParseOutcome::drop);
}

TEST_CASE("a response (QR set) is dropped") {
  CHECK(parse(Packet().header(1, 0x8000, 1, 0, 0, 0).question().data) == ParseOutcome::drop);
}

TEST_CASE("a response is dropped even when its question is malformed") {
  CHECK(parse(Packet().header(1, 0x8100, 0, 0, 0, 0).data) == ParseOutcome::drop);
}

// --- not implemented --------------------------------------------------------------------------

TEST_CASE("opcodes other than QUERY get NOTIMP, with their opcode kept") {
  for (unsigned opcode = 1; opcode <= 5; ++opcode) {
    CAPTURE(opcode);
    Query query;
    CHECK(parse(Packet().header(7, opcode << 11, 1, 0, 0, 0).question().data, query) == ParseOutcome::notimp);
    CHECK(query.opcode == opcode);
    CHECK(query.id == 7);
  }
}

TEST_CASE("an opcode other than QUERY gets NOTIMP even with a bad question") {
  CHECK(parse(Packet().header(1, 4 << 11, 0, 0, 0, 0).data) == ParseOutcome::notimp);
  CHECK(parse(Packet().header(1, 5 << 11, 2, 0, 0, 0).question().question().data) == ParseOutcome::notimp);
  CHECK(parse(Packet().header(1, 2 << 11, 1, 0, 0, 0).u8(5).u8('a').data) == ParseOutcome::notimp);
}

TEST_CASE("a NOTIMP query still reports a question that parsed, so the response can echo it") {
  Query query;
  REQUIRE(parse(Packet().header(1, 4 << 11, 1, 0, 0, 0).question("www.example.test", 6).data, query) ==
          ParseOutcome::notimp);
  CHECK(query.has_question);
  CHECK(query.qtype == 6);
}

// --- malformed: header and question -----------------------------------------------------------

TEST_CASE("a query without a question is FORMERR") {
  CHECK(parse(Packet().header(1, 0, 0, 0, 0, 0).data) == ParseOutcome::formerr);
}

TEST_CASE("a query with two questions is FORMERR") {
  CHECK(parse(Packet().header(1, 0, 2, 0, 0, 0).question().question("other.test").data) == ParseOutcome::formerr);
}

TEST_CASE("a question whose name is cut short is FORMERR") {
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).u8(3).u8('w').u8('w').data) == ParseOutcome::formerr);
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).u8(3).u8('w').u8('w').u8('w').data) == ParseOutcome::formerr);
}

TEST_CASE("a question label of type 0x40 or 0x80 is FORMERR") {
  // Each is followed by as many bytes as its low bits would count, so only the type bits are wrong.
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).u8(0x41).raw(Bytes(0x41, 'a')).u8(0).u16(1).u16(1).data) ==
        ParseOutcome::formerr);
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).u8(0x81).raw(Bytes(0x81, 'a')).u8(0).u16(1).u16(1).data) ==
        ParseOutcome::formerr);
}

TEST_CASE("a record label of type 0x40 or 0x80 in the answer section is FORMERR") {
  for (unsigned type_bits : {0x40u, 0x80u}) {
    CAPTURE(type_bits);
    const auto bytes = Packet()
                           .header(1, 0, 1, 1, 0, 0)
                           .question()
                           .u8(type_bits | 1).raw(Bytes(type_bits | 1, 'a')).u8(0).u16(1).u16(1).u32(0).u16(0)
                           .data;
    CHECK(parse(bytes) == ParseOutcome::formerr);
  }
}

TEST_CASE("a compression pointer in the question is FORMERR") {
  // Points back into the header: nothing before the question is a name.
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).u8(3).raw({'w', 'w', 'w'}).u8(0xc0).u8(0x04).u16(1).u16(1).data) ==
        ParseOutcome::formerr);
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).u8(0xc0).u8(0x0c).u16(1).u16(1).data) == ParseOutcome::formerr);
}

TEST_CASE("a name longer than 255 bytes is FORMERR") {
  Packet packet;
  packet.header(1, 0, 1, 0, 0, 0);
  for (int i = 0; i < 3; ++i) packet.name(std::string(63, 'a')).data.pop_back();
  packet.name(std::string(62, 'b')).u16(1).u16(1);  // 3*64 + 63 + 1 = 256
  CHECK(parse(packet.data) == ParseOutcome::formerr);
}

TEST_CASE("a question without its qtype or qclass is FORMERR") {
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).name("www.example.test").data) == ParseOutcome::formerr);
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).name("www.example.test").u16(1).data) == ParseOutcome::formerr);
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).name("www.example.test").u16(1).u8(0).data) == ParseOutcome::formerr);
}

TEST_CASE("bytes after the last counted record are FORMERR") {
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 0).question().u8(0).data) == ParseOutcome::formerr);
  CHECK(parse(edns_query({})) == ParseOutcome::ok);
  auto trailing = edns_query({});
  trailing.push_back(0);
  CHECK(parse(trailing) == ParseOutcome::formerr);
}

// --- malformed: other sections ----------------------------------------------------------------

TEST_CASE("records in the answer and authority sections are skipped when well formed") {
  const auto bytes = Packet()
                         .header(1, 0, 1, 1, 1, 0)
                         .question()
                         .record("www.example.test", 1, {192, 0, 2, 1})
                         .u8(0xc0).u8(12).u16(2).u16(1).u32(300).u16(2).u8(0xc0).u8(12)  // compressed
                         .data;
  CHECK(parse(bytes) == ParseOutcome::ok);
}

TEST_CASE("an answer record cut short is FORMERR") {
  auto bytes = Packet().header(1, 0, 1, 1, 0, 0).question().record("www.example.test", 1, {192, 0, 2, 1}).data;
  bytes.pop_back();
  CHECK(parse(bytes) == ParseOutcome::formerr);
}

TEST_CASE("an authority record cut short in its fixed fields is FORMERR") {
  const auto bytes = Packet().header(1, 0, 1, 0, 1, 0).question().name("example.test").u16(2).u16(1).u16(0).data;
  CHECK(parse(bytes) == ParseOutcome::formerr);
}

TEST_CASE("a record whose compression pointer points forwards is FORMERR") {
  const auto bytes = Packet().header(1, 0, 1, 1, 0, 0).question().u8(0xc0).u8(0xff).u16(1).u16(1).u32(0).u16(0).data;
  CHECK(parse(bytes) == ParseOutcome::formerr);
}

TEST_CASE("a record owner longer than 255 bytes in the answer section is FORMERR") {
  Packet packet;
  packet.header(1, 0, 1, 1, 0, 0).question();
  for (int i = 0; i < 3; ++i) packet.name(std::string(63, 'a')).data.pop_back();
  packet.name(std::string(62, 'b')).u16(1).u16(1).u32(0).u16(0);  // owner of 256 bytes
  CHECK(parse(packet.data) == ParseOutcome::formerr);
}

TEST_CASE("an OPT record in the answer section is FORMERR") {
  CHECK(parse(Packet().header(1, 0, 1, 1, 0, 0).question().opt().data) == ParseOutcome::formerr);
}

TEST_CASE("an OPT record in the authority section is FORMERR") {
  CHECK(parse(Packet().header(1, 0, 1, 0, 1, 0).question().opt().data) == ParseOutcome::formerr);
}

TEST_CASE("two OPT records are FORMERR") {
  CHECK(parse(Packet().header(1, 0, 1, 0, 0, 2).question().opt().opt().data) == ParseOutcome::formerr);
}

TEST_CASE("an OPT record owned by a name other than the root is FORMERR") {
  const auto bytes = Packet().header(1, 0, 1, 0, 0, 1).question().record("example.test", 41, {}, 1232, 0).data;
  CHECK(parse(bytes) == ParseOutcome::formerr);
}

TEST_CASE("an OPT record whose rdata runs past the message is FORMERR") {
  auto bytes = edns_query(option(10, {1, 2, 3, 4, 5, 6, 7, 8}));
  bytes.pop_back();
  CHECK(parse(bytes) == ParseOutcome::formerr);
}

TEST_CASE("an option whose length runs past the OPT rdata is FORMERR") {
  // The option claims 8 bytes of data; the OPT rdata holds only 4 after the option's header.
  const Bytes options{0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4};
  CHECK(parse(edns_query(options)) == ParseOutcome::formerr);
}

TEST_CASE("an option header cut short inside the OPT rdata is FORMERR") {
  CHECK(parse(edns_query({0x00, 0x0a, 0x00})) == ParseOutcome::formerr);
}

// --- EDNS -------------------------------------------------------------------------------------

TEST_CASE("EDNS fields are read: payload size, version 0, DO bit") {
  Query query;
  REQUIRE(parse(edns_query({}, 4096, 0, true), query) == ParseOutcome::ok);
  CHECK(query.edns);
  CHECK(query.udp_size == 4096);
  CHECK(query.edns_version == 0);
  CHECK(query.dnssec_ok);
}

TEST_CASE("the DO bit is false when clear") {
  Query query;
  REQUIRE(parse(edns_query({}, 1232, 0, false), query) == ParseOutcome::ok);
  CHECK_FALSE(query.dnssec_ok);
}

TEST_CASE("an EDNS payload size below 512 is raised to 512") {
  Query query;
  REQUIRE(parse(edns_query({}, 100), query) == ParseOutcome::ok);
  CHECK(query.udp_size == 512);
}

TEST_CASE("an empty NSID option asks for the NSID") {
  Query query;
  REQUIRE(parse(edns_query(option(3, {})), query) == ParseOutcome::ok);
  CHECK(query.nsid_requested);
}

TEST_CASE("EDNS version 1 is BADVERS, with the version read") {
  Query query;
  CHECK(parse(edns_query({}, 1232, 1), query) == ParseOutcome::badvers);
  CHECK(query.edns);
  CHECK(query.edns_version == 1);
}

TEST_CASE("unknown EDNS options are ignored") {
  Query query;
  REQUIRE(parse(edns_query(concat({option(10, {1, 2, 3, 4, 5, 6, 7, 8}), option(65001, {}), option(3, {})})),
                query) == ParseOutcome::ok);
  CHECK(query.nsid_requested);
  CHECK_FALSE(query.has_ecs);
}

TEST_CASE("a non-OPT additional record, such as a TSIG, is skipped") {
  const Bytes tsig_rdata{0x09, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto before_opt = Packet()
                              .header(1, 0, 1, 0, 0, 2)
                              .question()
                              .record("key.example.test", 250, tsig_rdata, 255, 0)
                              .opt(option(3, {}))
                              .data;
  Query query;
  REQUIRE(parse(before_opt, query) == ParseOutcome::ok);
  CHECK(query.edns);
  CHECK(query.nsid_requested);

  const auto after_opt =
      Packet().header(1, 0, 1, 0, 0, 2).question().opt().record("key.example.test", 250, tsig_rdata, 255, 0).data;
  CHECK(parse(after_opt) == ParseOutcome::ok);
}

TEST_CASE("an additional record owned by the root that is not an OPT is skipped") {
  const auto bytes = Packet().header(1, 0, 1, 0, 0, 1).question().record("", 16, {1, 'x'}).data;
  Query query;
  CHECK(parse(bytes, query) == ParseOutcome::ok);
  CHECK_FALSE(query.edns);
}

TEST_CASE("an additional record cut short is FORMERR") {
  auto bytes = Packet().header(1, 0, 1, 0, 0, 1).question().record("key.example.test", 250, {1, 2, 3}).data;
  bytes.pop_back();
  CHECK(parse(bytes) == ParseOutcome::formerr);
}

// --- EDNS client subnet -----------------------------------------------------------------------

TEST_CASE("an IPv4 client subnet /24 is read") {
  Query query;
  REQUIRE(parse(edns_query(ecs(1, 24, 0, {192, 0, 2})), query) == ParseOutcome::ok);
  CHECK(query.has_ecs);
  CHECK(query.ecs.source_prefix == 24);
  CHECK(query.ecs.address == ip("192.0.2.0"));
}

TEST_CASE("an IPv6 client subnet /56 is read") {
  Query query;
  REQUIRE(parse(edns_query(ecs(2, 56, 0, {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56})), query) == ParseOutcome::ok);
  CHECK(query.has_ecs);
  CHECK(query.ecs.source_prefix == 56);
  CHECK(query.ecs.address == ip("2001:db8:1234:5600::"));
}

TEST_CASE("a client subnet /0 with no address bytes is read") {
  Query query;
  REQUIRE(parse(edns_query(ecs(1, 0, 0, {})), query) == ParseOutcome::ok);
  CHECK(query.has_ecs);
  CHECK(query.ecs.source_prefix == 0);
  CHECK(query.ecs.address == ip("0.0.0.0"));
}

TEST_CASE("a client subnet of family 0 or 3 is FORMERR") {
  CHECK(parse(edns_query(ecs(0, 24, 0, {192, 0, 2}))) == ParseOutcome::formerr);
  CHECK(parse(edns_query(ecs(3, 24, 0, {192, 0, 2}))) == ParseOutcome::formerr);
}

TEST_CASE("an IPv4 client subnet longer than /32 is FORMERR") {
  CHECK(parse(edns_query(ecs(1, 32, 0, {192, 0, 2, 1}))) == ParseOutcome::ok);
  CHECK(parse(edns_query(ecs(1, 33, 0, {192, 0, 2, 1, 0}))) == ParseOutcome::formerr);
}

TEST_CASE("an IPv6 client subnet longer than /128 is FORMERR") {
  const Bytes full(16, 0x20);
  CHECK(parse(edns_query(ecs(2, 128, 0, full))) == ParseOutcome::ok);
  Bytes longer(17, 0x20);
  CHECK(parse(edns_query(ecs(2, 129, 0, longer))) == ParseOutcome::formerr);
}

TEST_CASE("a client subnet with a scope prefix in a query is FORMERR") {
  CHECK(parse(edns_query(ecs(1, 24, 16, {192, 0, 2}))) == ParseOutcome::formerr);
}

TEST_CASE("a client subnet with more or fewer address bytes than its prefix needs is FORMERR") {
  CHECK(parse(edns_query(ecs(1, 24, 0, {192, 0, 2, 0}))) == ParseOutcome::formerr);
  CHECK(parse(edns_query(ecs(1, 24, 0, {192, 0}))) == ParseOutcome::formerr);
  CHECK(parse(edns_query(ecs(1, 0, 0, {0, 0, 0, 0}))) == ParseOutcome::formerr);
}

TEST_CASE("a client subnet with address bits set past its prefix is FORMERR") {
  CHECK(parse(edns_query(ecs(1, 23, 0, {192, 0, 3}))) == ParseOutcome::formerr);
  CHECK(parse(edns_query(ecs(2, 56, 0, {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56}))) == ParseOutcome::ok);
  CHECK(parse(edns_query(ecs(2, 55, 0, {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x57}))) == ParseOutcome::formerr);
}

TEST_CASE("a client subnet option shorter than its fixed fields is FORMERR") {
  CHECK(parse(edns_query(option(8, {0, 1, 0}))) == ParseOutcome::formerr);
}

TEST_CASE("two client subnet options are FORMERR") {
  CHECK(parse(edns_query(concat({ecs(1, 24, 0, {192, 0, 2}), ecs(1, 24, 0, {198, 51, 100})}))) ==
        ParseOutcome::formerr);
}
