// The lookup rules, without a network: answers kept and published, TTL clamp, retry backoff,
// partial answers, and which lookups are logged.
#include <doctest/doctest.h>

#include "resolver/lookup.h"
#include "tests/unit/resolver_fixture.h"

using namespace meridian;
using namespace std::chrono_literals;
using resolver::FamilyAnswer;
using resolver::Lookup;
using resolver_test::address;
using resolver_test::texts;

namespace {

FamilyAnswer v4(std::vector<std::string> addresses, uint32_t ttl = 300) {
  std::vector<geo::Address> parsed;
  for (const auto& text : addresses) parsed.push_back(address(text));
  return FamilyAnswer::found(std::move(parsed), ttl);
}
FamilyAnswer v6(std::vector<std::string> addresses, uint32_t ttl = 300) {
  return v4(std::move(addresses), ttl);
}

const FamilyAnswer none = FamilyAnswer::nothing();

FamilyAnswer failed(std::string reason) {
  return FamilyAnswer::failure(std::move(reason));
}

}  // namespace

TEST_CASE("an answer is sorted, IPv4 first, without duplicates, and the next lookup follows its smallest TTL") {
  Lookup lookup;
  auto step = lookup.record(v4({"192.0.2.2", "192.0.2.1", "192.0.2.2"}, 300), v6({"2001:db8::1"}, 60));
  CHECK(step.found);
  CHECK(step.changed);
  CHECK(step.failure.empty());
  CHECK(texts(step.addresses) == std::vector<std::string>{"192.0.2.1", "192.0.2.2", "2001:db8::1"});
  CHECK(step.ttl == 60);
  CHECK(step.next == 60s);
  CHECK(lookup.answered());
}

TEST_CASE("the TTL is clamped to [1s, 1h]; a TTL of 0 waits 1s") {
  Lookup lookup;
  CHECK(lookup.record(v4({"192.0.2.1"}, 0), none).next == 1s);
  CHECK(lookup.record(v4({"192.0.2.1"}, 86400), none).next == 1h);
  CHECK(lookup.record(v4({"192.0.2.1"}, 1), none).next == 1s);
  resolver::Timing timing;
  timing.min_ttl = 5s;
  timing.max_ttl = 10s;
  Lookup clamped(timing);
  CHECK(clamped.record(v4({"192.0.2.1"}, 2), none).next == 5s);
  CHECK(clamped.record(v4({"192.0.2.1"}, 20), none).next == 10s);
}

TEST_CASE("a server's round-robin order is not a change") {
  Lookup lookup;
  lookup.record(v4({"192.0.2.1", "192.0.2.2"}), none);
  auto step = lookup.record(v4({"192.0.2.2", "192.0.2.1"}), none);
  CHECK_FALSE(step.changed);
  CHECK_FALSE(step.log_answer);
}

TEST_CASE("at most 8 addresses per family are kept, the lowest") {
  std::vector<std::string> many;
  for (int i = 20; i > 0; --i) many.push_back("192.0.2." + std::to_string(i));
  Lookup lookup;
  auto step = lookup.record(v4(many), none);
  REQUIRE(step.addresses.size() == 8);
  CHECK(step.addresses.front().to_string() == "192.0.2.1");
  CHECK(step.addresses.back().to_string() == "192.0.2.8");
}

TEST_CASE("a failed lookup keeps the last good answer and backs off 1s, 2s, 4s ... 60s") {
  Lookup lookup;
  lookup.record(v4({"192.0.2.1"}), v6({"2001:db8::1"}));
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 9; ++i) {
    auto step = lookup.record(failed("SERVFAIL"), failed("SERVFAIL"));
    CHECK_FALSE(step.found);
    CHECK_FALSE(step.changed);
    CHECK(step.failure == "SERVFAIL");
    CHECK(texts(step.addresses) == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
    delays.push_back(step.next);
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s});
  CHECK(lookup.consecutive_failures() == 9);

  auto back = lookup.record(v4({"192.0.2.1"}, 30), v6({"2001:db8::1"}, 30));
  CHECK(back.failure.empty());
  CHECK(back.next == 30s);
  CHECK(lookup.consecutive_failures() == 0);
  CHECK(lookup.record(failed("timeout"), failed("timeout")).next == 1s);  // the backoff starts over
}

TEST_CASE("failure reasons: one when both families agree, else each family's") {
  CHECK(Lookup().record(failed("NXDOMAIN"), failed("NXDOMAIN")).failure == "NXDOMAIN");
  CHECK(Lookup().record(failed("timeout"), failed("SERVFAIL")).failure == "A: timeout, AAAA: SERVFAIL");
  CHECK(Lookup().record(none, failed("timeout")).failure == "A: no records, AAAA: timeout");
  CHECK(Lookup().record(none, none).failure == "no address records");
}

TEST_CASE("before any answer, a failure publishes nothing") {
  Lookup lookup;
  auto step = lookup.record(failed("NXDOMAIN"), failed("NXDOMAIN"));
  CHECK(step.addresses.empty());
  CHECK_FALSE(step.changed);
  CHECK_FALSE(lookup.answered());
  CHECK(step.next == 1s);
}

TEST_CASE("one family failing keeps that family's last addresses and takes the other's fresh ones") {
  Lookup lookup;
  lookup.record(v4({"192.0.2.1"}), v6({"2001:db8::1"}));
  auto step = lookup.record(v4({"192.0.2.9"}, 300), failed("timeout"));
  CHECK(step.found);
  CHECK(step.changed);
  CHECK(step.failure == "AAAA: timeout");
  CHECK(texts(step.addresses) == std::vector<std::string>{"192.0.2.9", "2001:db8::1"});
  CHECK(step.next == 1s);  // the failed family is retried on the backoff, not after the TTL
  auto short_ttl = lookup.record(failed("SERVFAIL"), v6({"2001:db8::2"}, 1));
  CHECK(short_ttl.failure == "A: SERVFAIL");
  CHECK(short_ttl.next == 1s);  // min(TTL 1s, second retry 2s)
  CHECK(texts(short_ttl.addresses) == std::vector<std::string>{"192.0.2.9", "2001:db8::2"});
}

TEST_CASE("a family that now has no records loses its addresses") {
  Lookup lookup;
  lookup.record(v4({"192.0.2.1"}), v6({"2001:db8::1"}));
  auto step = lookup.record(v4({"192.0.2.1"}), none);
  CHECK(step.changed);
  CHECK(step.failure.empty());
  CHECK(texts(step.addresses) == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("logged: the first answer, each change, a failure once per reason, and the recovery") {
  Lookup lookup;
  auto first = lookup.record(v4({"192.0.2.1"}), none);
  CHECK(first.log_answer);
  CHECK_FALSE(first.log_failure);
  CHECK_FALSE(lookup.record(v4({"192.0.2.1"}), none).log_answer);  // same answer: quiet
  CHECK(lookup.record(v4({"192.0.2.2"}), none).log_answer);        // changed

  auto failing = lookup.record(failed("SERVFAIL"), failed("SERVFAIL"));
  CHECK(failing.log_failure);
  CHECK_FALSE(failing.log_answer);
  CHECK_FALSE(lookup.record(failed("SERVFAIL"), failed("SERVFAIL")).log_failure);  // still failing
  CHECK(lookup.record(failed("timeout"), failed("timeout")).log_failure);          // a new reason

  auto recovered = lookup.record(v4({"192.0.2.2"}), none);
  CHECK_FALSE(recovered.changed);
  CHECK(recovered.log_answer);
  CHECK_FALSE(recovered.log_failure);
  CHECK(lookup.record(failed("timeout"), failed("timeout")).log_failure);  // failing again logs again
}

TEST_CASE("addresses are joined with commas for logs, none as none") {
  CHECK(resolver::join_addresses({}) == "none");
  std::vector<geo::Address> two{address("192.0.2.1"), address("2001:db8::1")};
  CHECK(resolver::join_addresses(two) == "192.0.2.1,2001:db8::1");
}
