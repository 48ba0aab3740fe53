// Wildcards as RFC 4592 defines them: closest encloser, no match across existing names.
#include <doctest/doctest.h>

#include "harness.h"
#include "static_config.h"

using namespace meridian::test;

namespace {
Server& server() {
  static Server instance(static_config);
  return instance;
}
}  // namespace

TEST_CASE("a wildcard answers names below its closest encloser, with the query's name as owner") {
  auto reply = query_udp(server().port(), "Shop.Apps.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_aa(reply.get()));
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) == std::vector<std::string>{"Shop.Apps.example.test. 3600 IN A 192.0.2.80"});
}

TEST_CASE("a wildcard matches several labels deep") {
  auto reply = query_udp(server().port(), "a.b.c.apps.example.test.", LDNS_RR_TYPE_TXT);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT) == std::vector<std::string>{"\"wildcard\""});
}

TEST_CASE("a wildcard without the queried type is NODATA") {
  auto reply = query_udp(server().port(), "shop.apps.example.test.", LDNS_RR_TYPE_MX);
  CHECK(rcode_name(reply.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(reply.get()) == 0);
}

TEST_CASE("a name that exists is not covered by the wildcard") {
  auto reply = query_udp(server().port(), "exists.apps.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(reply.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.81"});
  auto nodata = query_udp(server().port(), "exists.apps.example.test.", LDNS_RR_TYPE_TXT);
  CHECK(ldns_pkt_ancount(nodata.get()) == 0);
}

TEST_CASE("the wildcard does not reach below an existing name") {
  // exists.apps is the closest encloser of x.exists.apps, and *.exists.apps does not exist.
  auto reply = query_udp(server().port(), "x.exists.apps.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(reply.get()) == "NXDOMAIN");
}

TEST_CASE("an empty non-terminal blocks the wildcard above it") {
  // ent.w exists only because x.ent.w does; it is the closest encloser of y.ent.w, and
  // *.ent.w does not exist, so *.w does not apply.
  auto below = query_udp(server().port(), "y.ent.w.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(below.get()) == "NXDOMAIN");
  auto at = query_udp(server().port(), "ent.w.example.test.", LDNS_RR_TYPE_A);
  CHECK(rcode_name(at.get()) == "NOERROR");
  CHECK(ldns_pkt_ancount(at.get()) == 0);
  auto sibling = query_udp(server().port(), "other.w.example.test.", LDNS_RR_TYPE_A);
  CHECK(rdatas(sibling.get(), LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A) == std::vector<std::string>{"192.0.2.70"});
}

TEST_CASE("the wildcard's own name answers literally") {
  auto reply = query_udp(server().port(), "*.apps.example.test.", LDNS_RR_TYPE_A);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) == std::vector<std::string>{"*.apps.example.test. 3600 IN A 192.0.2.80"});
}

TEST_CASE("a wildcard CNAME is synthesised and followed") {
  auto reply = query_udp(server().port(), "foo.alias.example.test.", LDNS_RR_TYPE_A);
  CHECK(section(reply.get(), LDNS_SECTION_ANSWER) ==
        std::vector<std::string>{"foo.alias.example.test. 3600 IN CNAME www.example.test.",
                                 "www.example.test. 3600 IN A 192.0.2.10"});
}
