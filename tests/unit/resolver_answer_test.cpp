// Reading c-ares replies: addresses and their smallest TTL, CNAME chains, NODATA, rcodes.
#include <ares.h>
#include <doctest/doctest.h>

#include "resolver/answer.h"
#include "tests/unit/resolver_fixture.h"

using namespace meridian;
using resolver::FamilyAnswer;
using resolver::parse_answer;
using namespace resolver_test;

namespace {

FamilyAnswer parse_reply(geo::Family family, const Rule& rule, const std::string& name = "app.test") {
  auto reply = reply_message(query_message(name, family == geo::Family::v4 ? type_a : type_aaaa), rule);
  return parse_answer(family, ARES_SUCCESS, reply);
}

}  // namespace

TEST_CASE("A records: every address, and the smallest TTL") {
  Rule rule;
  rule.records = {{"192.0.2.1", 300}, {"192.0.2.2", 30}, {"2001:db8::1", 5}};
  auto answer = parse_reply(geo::Family::v4, rule);
  REQUIRE(answer.kind == FamilyAnswer::Kind::addresses);
  CHECK(texts(answer.addresses) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
  CHECK(answer.ttl == 30);
}

TEST_CASE("AAAA records") {
  auto answer = parse_reply(geo::Family::v6, Rule::addresses({"2001:db8::1", "192.0.2.1"}, 60));
  REQUIRE(answer.kind == FamilyAnswer::Kind::addresses);
  CHECK(texts(answer.addresses) == std::vector<std::string>{"2001:db8::1"});
  CHECK(answer.ttl == 60);
}

TEST_CASE("through a CNAME: the target's addresses, the TTL no longer than the CNAME's") {
  auto rule = Rule::addresses({"192.0.2.7"}, 300);
  rule.cname = "edge.cdn.test";
  rule.cname_ttl = 20;
  auto answer = parse_reply(geo::Family::v4, rule);
  REQUIRE(answer.kind == FamilyAnswer::Kind::addresses);
  CHECK(texts(answer.addresses) == std::vector<std::string>{"192.0.2.7"});
  CHECK(answer.ttl == 20);
}

TEST_CASE("no records of the family, or only a CNAME, is NODATA") {
  CHECK(parse_reply(geo::Family::v6, Rule::addresses({"192.0.2.1"})).kind == FamilyAnswer::Kind::no_data);
  Rule alias;
  alias.cname = "elsewhere.test";
  CHECK(parse_reply(geo::Family::v4, alias).kind == FamilyAnswer::Kind::no_data);
  CHECK(parse_answer(geo::Family::v4, ARES_ENODATA, {}).kind == FamilyAnswer::Kind::no_data);
}

TEST_CASE("failures carry a short reason") {
  auto reason = [](int status) {
    auto answer = parse_answer(geo::Family::v4, status, {});
    CHECK(answer.kind == FamilyAnswer::Kind::failed);
    return answer.reason;
  };
  CHECK(reason(ARES_ENOTFOUND) == "NXDOMAIN");
  CHECK(reason(ARES_ESERVFAIL) == "SERVFAIL");
  CHECK(reason(ARES_EREFUSED) == "REFUSED");
  CHECK(reason(ARES_ETIMEOUT) == "timeout");
  CHECK(reason(ARES_ECONNREFUSED) == "refused or failed by every server");
}

TEST_CASE("a malformed reply is a failure, not an empty answer") {
  std::vector<uint8_t> garbage{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1};
  auto answer = parse_answer(geo::Family::v4, ARES_SUCCESS, garbage);
  CHECK(answer.kind == FamilyAnswer::Kind::failed);
  CHECK(answer.reason == "malformed reply");
}
