// analyse(): hand-built observations in, segments, failovers, failbacks and dead shares out, for
// the server view and the resolver cache model.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "sim/report.h"

using namespace meridian::sim;

namespace {

const std::string west = "app/westeurope";
const std::string east = "app/eastus";

Observation answer(Seconds at, std::vector<std::string> endpoints, unsigned ttl = 0) {
  return {at, std::move(endpoints), "answer", ttl};
}

Observation without_answer(Seconds at, std::string outcome, unsigned ttl = 0) {
  return {at, {}, std::move(outcome), ttl};
}

Outage outage_of(const std::string& endpoint, Seconds from, std::optional<Seconds> to = std::nullopt) {
  Outage outage;
  outage.region = endpoint == west ? "westeurope" : "eastus";
  outage.endpoint = endpoint;
  outage.kind = "fail";
  outage.from = from;
  outage.to = to;
  outage.worst_failover = 40;
  outage.worst_failback = 25;
  return outage;
}

ClientObservations client_of(std::vector<Observation> observations, bool cache = false) {
  return {"paris", "FR (2.0.0.0/16)", "www.example.com A", cache, std::move(observations)};
}

// The one client's report for `observations` under `outages`, over 10 seconds.
ClientReport analysed(std::vector<Observation> observations, std::vector<Outage> outages,
                      bool cache = false) {
  auto report = analyse("test", "virtual time", 10, std::move(outages), {}, {},
                        {client_of(std::move(observations), cache)});
  REQUIRE(report.clients.size() == 1);
  return report.clients.front();
}

}  // namespace

TEST_CASE("segments merge equal answers and split where the endpoint dies") {
  auto client = analysed(
      {answer(0, {west}), answer(1, {west}), answer(2, {west}), answer(3, {west}), answer(4, {west})},
      {outage_of(west, 2.5)});
  const auto& segments = client.server.segments;
  REQUIRE(segments.size() == 2);
  CHECK(segments[0].from == 0);
  CHECK(segments[0].to == 3);
  CHECK(segments[0].endpoints == std::vector<std::string>{west});
  CHECK_FALSE(segments[0].dead);
  CHECK(segments[1].from == 3);
  CHECK(segments[1].to == 10);  // the last segment runs to the end
  CHECK(segments[1].dead);
}

TEST_CASE("segments split where the endpoints or the outcome change") {
  auto client = analysed({answer(0, {west}), answer(1, {east}), without_answer(2, "timeout"),
                          without_answer(3, "timeout"), answer(4, {east})},
                         {});
  const auto& segments = client.server.segments;
  REQUIRE(segments.size() == 4);
  CHECK(segments[1].endpoints == std::vector<std::string>{east});
  CHECK(segments[2].outcome == "timeout");
  CHECK(segments[2].from == 2);
  CHECK(segments[2].to == 4);
  CHECK(segments[3].outcome == "answer");
}

TEST_CASE("a failover is measured from the fault to the first healthy answer") {
  auto client = analysed({answer(0, {west}), answer(1, {west}), answer(2, {west}),
                          without_answer(3, "SERVFAIL"), answer(4, {east}), answer(5, {east})},
                         {outage_of(west, 1.5)});
  REQUIRE(client.server.failovers.size() == 1);
  const auto& failover = client.server.failovers.front();
  CHECK(failover.region == "westeurope");
  CHECK(failover.fault_at == 1.5);
  REQUIRE(failover.took);
  CHECK(*failover.took == doctest::Approx(2.5));  // the SERVFAIL at 3 is not a recovery
  CHECK(failover.worst == 40);
  CHECK(client.server.failbacks.empty());  // it never recovered
}

TEST_CASE("a fault that did not reach a client is not listed for it") {
  auto client =
      analysed({answer(0, {east}), answer(1, {east}), answer(2, {east})}, {outage_of(west, 0.5, 1.5)});
  CHECK(client.server.failovers.empty());
  CHECK(client.server.failbacks.empty());
  CHECK(client.server.dead_answers == 0);
}

TEST_CASE("a fault before the client's first query reaches it if that first answer names the endpoint") {
  auto client = analysed({answer(2, {west}), answer(3, {east})}, {outage_of(west, 1)});
  REQUIRE(client.server.failovers.size() == 1);
  CHECK(client.server.failovers.front().took == 2);
}

TEST_CASE("a failover that never happened has no time") {
  auto client = analysed({answer(0, {west}), answer(1, {west}), answer(2, {west})}, {outage_of(west, 1)});
  REQUIRE(client.server.failovers.size() == 1);
  CHECK_FALSE(client.server.failovers.front().took);
  CHECK(client.server.dead_answers == 2);
}

TEST_CASE("a failback is measured from the recovery to the first answer naming the endpoint again") {
  auto client = analysed(
      {answer(0, {west}), answer(2, {east}), answer(4, {east}), answer(6, {east}), answer(7, {west})},
      {outage_of(west, 1, 5)});
  REQUIRE(client.server.failbacks.size() == 1);
  const auto& failback = client.server.failbacks.front();
  CHECK(failback.region == "westeurope");
  CHECK(failback.fault_at == 5);
  REQUIRE(failback.took);
  CHECK(*failback.took == 2);
  CHECK(failback.worst == 25);
}

TEST_CASE("a failback that never happened has no time") {
  auto client = analysed({answer(0, {west}), answer(2, {east}), answer(6, {east})}, {outage_of(west, 1, 5)});
  REQUIRE(client.server.failbacks.size() == 1);
  CHECK_FALSE(client.server.failbacks.front().took);
}

TEST_CASE("the cached view keeps a dead answer for its TTL") {
  std::vector<Observation> observations;
  for (int second = 0; second <= 2; ++second) observations.push_back(answer(second, {west}, 5));
  for (int second = 3; second <= 9; ++second) observations.push_back(answer(second, {east}, 5));
  auto client = analysed(observations, {outage_of(west, 2.5)}, true);

  REQUIRE(client.server.failovers.size() == 1);
  CHECK(client.server.failovers.front().took == doctest::Approx(0.5));
  CHECK(client.server.failovers.front().worst == 40);
  CHECK(client.server.dead_answers == 0);

  REQUIRE(client.cached);
  const auto& cached = *client.cached;
  // Fetched at 0 for 5 s: west is used until 5, dead at 3 and 4.
  REQUIRE(cached.failovers.size() == 1);
  CHECK(cached.failovers.front().took == doctest::Approx(2.5));
  CHECK(cached.failovers.front().worst == 45);
  CHECK(cached.answers == 10);
  CHECK(cached.dead_answers == 2);
  REQUIRE(cached.segments.size() == 3);
  CHECK(cached.segments[0].to == 3);
  CHECK(cached.segments[1].dead);
  CHECK(cached.segments[1].endpoints == std::vector<std::string>{west});
  CHECK(cached.segments[2].from == 5);
  CHECK(cached.segments[2].endpoints == std::vector<std::string>{east});
}

TEST_CASE("the cached failback waits for the cached answer to expire, and its worst case adds that TTL") {
  auto client =
      analysed({answer(0, {west}, 2), answer(1, {west}, 2), answer(2, {east}, 4), answer(3, {east}, 4),
                answer(4, {west}, 4), answer(5, {west}, 4), answer(6, {west}, 4), answer(7, {west}, 4)},
               {outage_of(west, 1.5, 3.5)}, true);
  REQUIRE(client.server.failbacks.size() == 1);
  CHECK(client.server.failbacks.front().took == doctest::Approx(0.5));
  CHECK(client.server.failbacks.front().worst == 25);

  REQUIRE(client.cached);
  // West held from 0 to 2 (TTL 2) when the fault came; east held from 2 to 6 when it recovered.
  REQUIRE(client.cached->failovers.size() == 1);
  CHECK(client.cached->failovers.front().worst == 42);
  REQUIRE(client.cached->failbacks.size() == 1);
  CHECK(client.cached->failbacks.front().took == doctest::Approx(2.5));
  CHECK(client.cached->failbacks.front().worst == 29);
}

TEST_CASE("the cache model does not keep timeouts or errors") {
  auto client =
      analysed({without_answer(0, "timeout", 5), answer(1, {west}, 5), without_answer(2, "timeout"),
                without_answer(6, "SERVFAIL", 5), answer(7, {east}, 5), without_answer(8, "timeout")},
               {}, true);
  REQUIRE(client.cached);
  const auto& segments = client.cached->segments;
  REQUIRE(segments.size() == 4);
  CHECK(segments[0].outcome == "timeout");  // seen, and the cache stays empty
  CHECK(segments[1].from == 1);             // west fetched at 1, used at 2 despite the timeout
  CHECK(segments[1].to == 6);
  CHECK(segments[2].outcome == "SERVFAIL");  // west expired at 6; the error is seen, not kept
  CHECK(segments[3].from == 7);
  CHECK(segments[3].endpoints == std::vector<std::string>{east});
  CHECK(client.cached->answers == 6);
}

TEST_CASE("the cache model keeps negative answers for their TTL") {
  auto client =
      analysed({without_answer(0, "NXDOMAIN", 5), answer(1, {west}, 5), answer(5, {west}, 5)}, {}, true);
  REQUIRE(client.cached);
  const auto& segments = client.cached->segments;
  REQUIRE(segments.size() == 2);
  CHECK(segments[0].outcome == "NXDOMAIN");
  CHECK(segments[0].to == 5);
}

TEST_CASE("answers with TTL 0 are never cached") {
  auto client = analysed({answer(0, {west}), answer(1, {west}), answer(2, {east}), answer(3, {east})},
                         {outage_of(west, 0.5)}, true);
  REQUIRE(client.cached);
  CHECK(client.cached->segments.size() == client.server.segments.size());
  CHECK(client.cached->dead_answers == client.server.dead_answers);
  REQUIRE(client.cached->failovers.size() == 1);
  CHECK(client.cached->failovers.front().took == client.server.failovers.front().took);
  CHECK(client.cached->failovers.front().worst == 40);
}

TEST_CASE("without the cache model there is no cached view") {
  CHECK_FALSE(analysed({answer(0, {west}, 30)}, {}).cached);
}

TEST_CASE("the dead share counts answers naming any down endpoint, and only answers") {
  auto client = analysed({answer(0, {east, west}), answer(1, {east, west}), without_answer(2, "NODATA"),
                          without_answer(3, "timeout"), answer(4, {east}), answer(5, {east, west})},
                         {outage_of(west, 0.5, 5)});
  CHECK(client.server.answers == 6);
  CHECK(client.server.dead_answers == 1);  // only the one at 1: at 5 west was back
}

TEST_CASE("endpoints list the outages' endpoints first, then the rest sorted, once each") {
  auto report = analyse(
      "test", "real time", 10, {outage_of(west, 1), outage_of(east, 2), outage_of(west, 5)}, {}, {},
      {client_of({answer(0, {"b/zulu", east}), answer(1, {"a/alpha"})}), client_of({answer(0, {"b/zulu"})})});
  CHECK(report.endpoints == std::vector<std::string>{west, east, "a/alpha", "b/zulu"});
}

TEST_CASE("the report carries the scenario's facts and the clients' names through") {
  auto report = analyse("outage", "real time", 60, {outage_of(west, 1)}, {Mark{1, "fail", "westeurope"}},
                        {StatusChange{3, west, "Online", "Stopped"}}, {client_of({answer(0, {west})}, true)});
  CHECK(report.scenario == "outage");
  CHECK(report.mode == "real time");
  CHECK(report.duration == 60);
  REQUIRE(report.outages.size() == 1);
  CHECK(report.outages.front().endpoint == west);
  REQUIRE(report.marks.size() == 1);
  CHECK(report.marks.front().target == "westeurope");
  REQUIRE(report.statuses.size() == 1);
  CHECK(report.statuses.front().to == "Stopped");
  REQUIRE(report.clients.size() == 1);
  CHECK(report.clients.front().name == "paris");
  CHECK(report.clients.front().where == "FR (2.0.0.0/16)");
  CHECK(report.clients.front().query == "www.example.com A");
  CHECK(report.clients.front().cached);
}

TEST_CASE("an outage over before any client moved owes no failover: never, and within its worst case") {
  // A one-second blip: the answers name west throughout, dead only while it lasted.
  auto client = analysed({answer(0, {west}), answer(1, {west}), answer(2, {west}), answer(3, {west})},
                         {outage_of(west, 1.5, 2.5)});
  REQUIRE(client.server.failovers.size() == 1);
  const auto& failover = client.server.failovers[0];
  CHECK_FALSE(failover.took);
  REQUIRE(failover.ended);
  CHECK(*failover.ended == 2.5);
  CHECK(client.server.failbacks.empty());  // it never left, so it did not come back
}

TEST_CASE("a failback is looked for only up to the region's next outage") {
  auto client = analysed(
      {answer(0, {west}), answer(2, {east}), answer(4, {east}), answer(6, {east}), answer(8, {west})},
      {outage_of(west, 1, 3), outage_of(west, 5)});
  REQUIRE(client.server.failbacks.size() == 1);
  CHECK_FALSE(client.server.failbacks[0].took);  // back to west only after the second outage began
}
