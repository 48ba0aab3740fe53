// The Resolver against a real (tiny) DNS server on 127.0.0.1: first answers, re-resolution when
// the TTL runs out, the last good answer kept through failures, and what gets logged.
#include <doctest/doctest.h>

#include "tests/unit/resolver_fixture.h"

using namespace meridian;
using namespace resolver_test;
using namespace std::chrono_literals;

namespace {

std::vector<resolver::Target> one_target(const std::string& fqdn = "app.test") {
  return {resolver::Target{1, "web/app", fqdn}};
}

// The quiet time between one lookup's last query and the next lookup's first (each lookup asks
// for A and AAAA), as the responder saw them arrive.
std::vector<std::chrono::microseconds> pauses(const Responder& dns, const std::string& name = "app.test") {
  auto v4 = dns.arrivals(name, type_a);
  auto v6 = dns.arrivals(name, type_aaaa);
  std::vector<std::chrono::microseconds> out;
  for (size_t i = 1; i < std::min(v4.size(), v6.size()); ++i)
    out.push_back(std::chrono::duration_cast<std::chrono::microseconds>(std::min(v4[i], v6[i]) -
                                                                        std::max(v4[i - 1], v6[i - 1])));
  return out;
}

// libuv's loop clock counts whole milliseconds and may be the kernel's coarse clock, so a timer
// of `delay` can fire up to 2 ms short of it in steady_clock time.
bool waited(std::chrono::microseconds pause, std::chrono::milliseconds delay) {
  return pause >= delay - 2ms;
}

}  // namespace

TEST_CASE("A and AAAA are resolved, published to the endpoint's slot and logged once") {
  CapturedLog log;
  Responder dns;
  dns.set("app.test", type_a, Rule::addresses({"192.0.2.2", "192.0.2.1"}, 300));
  dns.set("app.test", type_aaaa, Rule::addresses({"2001:db8::1"}, 120));
  RunningResolver running(test_options(dns), one_target());
  REQUIRE(running.wait_updates(1));
  auto seen = running.last();
  const auto& update = seen.update;
  CHECK(update.id == 1);
  CHECK(update.found);
  CHECK(update.changed);
  CHECK(update.failure.empty());
  CHECK(published(*running.table, 1) == std::vector<std::string>{"192.0.2.1", "192.0.2.2", "2001:db8::1"});
  CHECK(published(*running.table, 0).empty());
  CHECK(running.table->generation() == 1);
  CHECK(log.count("info resolver: web/app app.test -> 192.0.2.1,192.0.2.2,2001:db8::1 ttl=120") == 1);
  CHECK(dns.queries("app.test", type_a) == 1);
  CHECK(dns.queries("app.test", type_aaaa) == 1);
}

TEST_CASE("the name is re-resolved when its TTL runs out, and a change is published") {
  CapturedLog log;
  Responder dns;
  dns.set("app.test", Rule::addresses({"192.0.2.1"}, 1));
  RunningResolver running(test_options(dns), one_target());
  REQUIRE(running.wait_updates(1));
  dns.set("app.test", Rule::addresses({"192.0.2.9"}, 1));
  REQUIRE(wait_until([&] { return running.table->generation() == 2; }, 5s));
  CHECK(published(*running.table, 1) == std::vector<std::string>{"192.0.2.9"});
  // The table is published before the listener hears of the update: wait for that too.
  REQUIRE(running.wait_updates(2));
  auto updates = running.updates();
  REQUIRE(updates.size() >= 2);
  auto quiet = pauses(dns);
  REQUIRE(!quiet.empty());
  CHECK(waited(quiet[0], 1000ms));  // not before the TTL ran out
  CHECK(updates[1].update.changed);
  CHECK(log.count("info resolver: web/app app.test -> 192.0.2.9 ttl=1") == 1);
}

TEST_CASE("a TTL of 0 is re-resolved after 1s, not in a tight loop") {
  Responder dns;
  dns.set("app.test", Rule::addresses({"192.0.2.1"}, 0));
  RunningResolver running(test_options(dns), one_target());
  REQUIRE(running.wait_updates(2, 5s));
  auto updates = running.updates();
  auto quiet = pauses(dns);
  REQUIRE(!quiet.empty());
  CHECK(waited(quiet[0], 1000ms));
  CHECK_FALSE(updates[1].update.changed);
  CHECK(running.table->generation() == 1);  // an unchanged answer is not published again
}

TEST_CASE("when the server starts failing, the last good answer is kept and each failure logged once") {
  CapturedLog log;
  Responder dns;
  dns.set("app.test", Rule::addresses({"192.0.2.1"}, 1));
  RunningResolver running(test_options(dns), one_target());
  REQUIRE(running.wait_updates(1));

  dns.set("app.test", Rule::error(rcode_servfail));
  REQUIRE(wait_until([&] { return running.update_count() >= 4; }, 10s));  // three failed lookups
  auto failing = running.last();
  CHECK_FALSE(failing.update.found);
  CHECK(failing.update.failure == "SERVFAIL");
  CHECK(texts(failing.addresses) == std::vector<std::string>{"192.0.2.1"});
  CHECK(published(*running.table, 1) == std::vector<std::string>{"192.0.2.1"});
  CHECK(running.table->generation() == 1);
  CHECK(log.count("warning resolver: web/app app.test lookup failed reason=\"SERVFAIL\" keeping=192.0.2.1") == 1);

  dns.set("app.test", Rule::silence());
  REQUIRE(wait_until([&] { return running.last().update.failure == "timeout"; }, 10s));
  CHECK(published(*running.table, 1) == std::vector<std::string>{"192.0.2.1"});
  CHECK(log.count("warning resolver: web/app app.test lookup failed reason=\"timeout\" keeping=192.0.2.1") == 1);

  dns.set("app.test", Rule::addresses({"192.0.2.1"}, 300));
  REQUIRE(wait_until([&] { return running.last().update.found; }, 10s));
  CHECK(log.count("info resolver: web/app app.test -> 192.0.2.1 ttl=1") == 1);
  CHECK(log.count("info resolver: web/app app.test -> 192.0.2.1 ttl=300") == 1);  // the recovery
}

TEST_CASE("failed lookups are retried with a doubling backoff") {
  Responder dns;  // no rule: NXDOMAIN
  RunningResolver running(test_options(dns), one_target());  // retries 100ms, 200ms, 400ms, 400ms
  REQUIRE(running.wait_updates(5, 10s));
  auto quiet = pauses(dns);
  REQUIRE(quiet.size() >= 4);
  CHECK(waited(quiet[0], 100ms));
  CHECK(waited(quiet[1], 200ms));
  CHECK(waited(quiet[2], 400ms));
  CHECK(waited(quiet[3], 400ms));
  CHECK(quiet[3] < 800ms);  // capped at retry_max, not doubled again
}

TEST_CASE("NXDOMAIN before any answer: nothing is published, the failure is reported") {
  CapturedLog log;
  Responder dns;
  RunningResolver running(test_options(dns), one_target("missing.test"));
  REQUIRE(running.wait_updates(1));
  auto seen = running.last();
  const auto& update = seen.update;
  CHECK_FALSE(update.found);
  CHECK(update.failure == "NXDOMAIN");
  CHECK(update.addresses.empty());
  CHECK_FALSE(update.changed);
  CHECK(running.table->generation() == 0);
  CHECK(log.count("warning resolver: web/app missing.test lookup failed reason=\"NXDOMAIN\" keeping=none") == 1);
}

TEST_CASE("a server that never answers: the lookup times out") {
  Responder dns;
  dns.set("app.test", Rule::silence());
  RunningResolver running(test_options(dns), one_target());
  REQUIRE(running.wait_updates(1));
  CHECK(running.last().update.failure == "timeout");
  CHECK(dns.queries("app.test", type_a) >= 1);
}

TEST_CASE("a name with only an AAAA record, and one whose AAAA queries fail") {
  Responder dns;
  dns.set("v6.test", Rule::addresses({"2001:db8::6"}));
  dns.set("half.test", type_a, Rule::addresses({"192.0.2.4"}));
  dns.set("half.test", type_aaaa, Rule::error(rcode_refused));
  RunningResolver running(test_options(dns),
                          {resolver::Target{0, "web/v6", "v6.test"}, resolver::Target{2, "web/half", "half.test"}});
  REQUIRE(wait_until([&] { return running.table->generation() == 2; }));
  CHECK(published(*running.table, 0) == std::vector<std::string>{"2001:db8::6"});
  CHECK(published(*running.table, 2) == std::vector<std::string>{"192.0.2.4"});
  REQUIRE(running.wait_updates(2));  // published before the listener hears of it
  for (const auto& seen : running.updates()) {
    if (seen.update.id == 2) CHECK(seen.update.failure == "AAAA: REFUSED");
    if (seen.update.id == 0) CHECK(seen.update.failure.empty());
  }
}

TEST_CASE("stopping with lookups in flight cancels them quietly") {
  Responder dns;
  dns.set("app.test", Rule::silence());
  auto options = test_options(dns);
  options.query_timeout = 10s;
  RunningResolver running(options, one_target());
  REQUIRE(wait_until([&] { return dns.queries() >= 2; }));
  auto started = Clock::now();
  running.stop();
  CHECK(Clock::now() - started < 1s);
  CHECK(running.update_count() == 0);
}

TEST_CASE("bad arguments: no table, a target without a slot") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  resolver::Options options;
  options.servers = {*geo::SocketAddress::parse("127.0.0.1:9")};  // never queried: nothing starts
  CHECK_THROWS_AS(resolver::Resolver(&loop, options, one_target(), nullptr), std::invalid_argument);
  auto table = std::make_shared<resolver::ResolvedTable>(1);
  CHECK_THROWS_AS(resolver::Resolver(&loop, options, one_target(), table), std::invalid_argument);
  uv_run(&loop, UV_RUN_DEFAULT);  // frees the handles the failed constructors closed
  CHECK(uv_loop_close(&loop) == 0);
}
