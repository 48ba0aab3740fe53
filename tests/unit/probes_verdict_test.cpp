// The probe verdict state machine, stepped in virtual time: every transition and threshold edge.
#include <doctest/doctest.h>

#include <chrono>

#include "probes/verdict.h"

using namespace meridian;
using namespace std::chrono_literals;
using model::Status;
using probes::Result;
using probes::Timestamp;
using probes::Verdict;

namespace {

const Timestamp t0{};
const Result ok{true, "HTTP 200"};
const Result http503{false, "HTTP 503"};

Timestamp at(int seconds) {
  return t0 + std::chrono::seconds(seconds);
}

// Feeds `count` copies of `result`, one second apart from `clock`, and returns how many
// transitions they caused.
int feed(Verdict& verdict, const Result& result, int count, int& clock) {
  int transitions = 0;
  for (int i = 0; i < count; ++i)
    if (verdict.record(result, at(++clock))) ++transitions;
  return transitions;
}

}  // namespace

TEST_CASE("a new verdict is CheckingEndpoint with no result and its creation as last change") {
  Verdict verdict(3, 1, at(5));
  CHECK(verdict.status() == Status::CheckingEndpoint);
  CHECK(verdict.consecutive_failures() == 0);
  CHECK(verdict.consecutive_successes() == 0);
  CHECK(verdict.results() == 0);
  CHECK_FALSE(verdict.last_ok().has_value());
  CHECK(verdict.last_reason().empty());
  CHECK(verdict.last_change() == at(5));
  CHECK_FALSE(verdict.last_transition().has_value());
}

TEST_CASE("the first success turns CheckingEndpoint Online, whatever healthy_threshold says") {
  for (unsigned threshold : {1u, 3u}) {
    Verdict verdict(3, threshold, t0);
    auto transition = verdict.record(ok, at(1));
    REQUIRE(transition);
    CHECK(transition->from == Status::CheckingEndpoint);
    CHECK(transition->to == Status::Online);
    CHECK(transition->reason == "HTTP 200");
    CHECK(transition->successes == 1);
    CHECK(transition->failures == 0);
    CHECK(transition->at == at(1));
    CHECK(verdict.status() == Status::Online);
    CHECK(verdict.last_change() == at(1));
  }
}

TEST_CASE("CheckingEndpoint stays until tolerated_failures + 1 failures, then turns Degraded") {
  for (unsigned tolerated : {0u, 3u, 9u}) {
    CAPTURE(tolerated);
    Verdict verdict(tolerated, 1, t0);
    int clock = 0;
    CHECK(feed(verdict, http503, int(tolerated), clock) == 0);
    CHECK(verdict.status() == Status::CheckingEndpoint);
    CHECK(verdict.consecutive_failures() == tolerated);
    auto transition = verdict.record(http503, at(++clock));
    REQUIRE(transition);
    CHECK(transition->from == Status::CheckingEndpoint);
    CHECK(transition->to == Status::Degraded);
    CHECK(transition->failures == tolerated + 1);
    CHECK(transition->reason == "HTTP 503");
  }
}

TEST_CASE("Online turns Degraded after exactly tolerated_failures + 1 consecutive failures") {
  for (unsigned tolerated : {0u, 1u, 9u}) {
    CAPTURE(tolerated);
    Verdict verdict(tolerated, 1, t0);
    int clock = 0;
    REQUIRE(verdict.record(ok, at(++clock)));
    CHECK(feed(verdict, http503, int(tolerated), clock) == 0);
    CHECK(verdict.status() == Status::Online);
    auto transition = verdict.record(http503, at(++clock));
    REQUIRE(transition);
    CHECK(transition->from == Status::Online);
    CHECK(transition->to == Status::Degraded);
    CHECK(transition->failures == tolerated + 1);
    CHECK(transition->at == at(clock));
    // Further failures change nothing.
    CHECK(feed(verdict, http503, 5, clock) == 0);
    CHECK(verdict.status() == Status::Degraded);
    CHECK(verdict.consecutive_failures() == tolerated + 6);
  }
}

TEST_CASE("tolerated_failures 0: a single failure degrades an Online endpoint") {
  Verdict verdict(0, 1, t0);
  verdict.record(ok, at(1));
  auto transition = verdict.record(Result{false, "connect refused"}, at(2));
  REQUIRE(transition);
  CHECK(transition->to == Status::Degraded);
  CHECK(transition->reason == "connect refused");
}

TEST_CASE("Degraded comes back Online after healthy_threshold consecutive successes") {
  for (unsigned threshold : {1u, 3u}) {
    CAPTURE(threshold);
    Verdict verdict(0, threshold, t0);
    int clock = 0;
    verdict.record(http503, at(++clock));
    REQUIRE(verdict.status() == Status::Degraded);
    CHECK(feed(verdict, ok, int(threshold) - 1, clock) == 0);
    CHECK(verdict.status() == Status::Degraded);
    auto transition = verdict.record(ok, at(++clock));
    REQUIRE(transition);
    CHECK(transition->from == Status::Degraded);
    CHECK(transition->to == Status::Online);
    CHECK(transition->successes == threshold);
    CHECK(transition->failures == 0);
  }
}

TEST_CASE("a healthy_threshold of 0 counts as 1") {
  Verdict verdict(0, 0, t0);
  CHECK(verdict.healthy_threshold() == 1);
  verdict.record(http503, at(1));
  REQUIRE(verdict.status() == Status::Degraded);
  CHECK(verdict.record(ok, at(2)));
  CHECK(verdict.status() == Status::Online);
}

TEST_CASE("a success resets the failure count, so failures must be consecutive") {
  Verdict verdict(2, 1, t0);
  int clock = 0;
  verdict.record(ok, at(++clock));
  CHECK(feed(verdict, http503, 2, clock) == 0);
  CHECK(verdict.consecutive_failures() == 2);
  verdict.record(ok, at(++clock));
  CHECK(verdict.consecutive_failures() == 0);
  CHECK(verdict.consecutive_successes() == 1);
  CHECK(feed(verdict, http503, 2, clock) == 0);
  CHECK(verdict.status() == Status::Online);
  CHECK(feed(verdict, http503, 1, clock) == 1);
  CHECK(verdict.status() == Status::Degraded);
}

TEST_CASE("a failure resets the success count, so recovery needs consecutive successes") {
  Verdict verdict(0, 3, t0);
  int clock = 0;
  verdict.record(http503, at(++clock));
  CHECK(feed(verdict, ok, 2, clock) == 0);
  CHECK(verdict.consecutive_successes() == 2);
  verdict.record(http503, at(++clock));
  CHECK(verdict.consecutive_successes() == 0);
  CHECK(verdict.consecutive_failures() == 1);
  CHECK(feed(verdict, ok, 2, clock) == 0);
  CHECK(verdict.status() == Status::Degraded);
  CHECK(feed(verdict, ok, 1, clock) == 1);
  CHECK(verdict.status() == Status::Online);
}

TEST_CASE("failures below the threshold from CheckingEndpoint, then a success, go Online") {
  Verdict verdict(3, 3, t0);
  int clock = 0;
  CHECK(feed(verdict, http503, 3, clock) == 0);
  auto transition = verdict.record(ok, at(++clock));
  REQUIRE(transition);
  CHECK(transition->from == Status::CheckingEndpoint);
  CHECK(transition->to == Status::Online);
}

TEST_CASE("an Online endpoint's successes change nothing") {
  Verdict verdict(3, 3, t0);
  int clock = 0;
  CHECK(feed(verdict, ok, 10, clock) == 1);
  CHECK(verdict.status() == Status::Online);
  CHECK(verdict.consecutive_successes() == 10);
  CHECK(verdict.last_change() == at(1));
}

TEST_CASE("the last result's reason, outcome and time are kept, transitions or not") {
  Verdict verdict(3, 1, t0);
  verdict.record(ok, at(1));
  verdict.record(Result{false, "timeout after 10s"}, at(2));
  CHECK(verdict.last_reason() == "timeout after 10s");
  CHECK(verdict.last_ok() == false);
  CHECK(verdict.last_result() == at(2));
  CHECK(verdict.last_change() == at(1));
  CHECK(verdict.results() == 2);
  REQUIRE(verdict.last_transition());
  CHECK(verdict.last_transition()->reason == "HTTP 200");
  verdict.record(Result{true, "HTTP 204"}, at(3));
  CHECK(verdict.last_reason() == "HTTP 204");
  CHECK(verdict.last_ok() == true);
}

TEST_CASE("the full cycle: Checking -> Online -> Degraded -> Online -> Degraded") {
  Verdict verdict(1, 2, t0);
  int clock = 0;
  std::vector<std::pair<Status, Status>> seen;
  auto step = [&](const Result& result, int count) {
    for (int i = 0; i < count; ++i)
      if (auto transition = verdict.record(result, at(++clock)))
        seen.emplace_back(transition->from, transition->to);
  };
  step(ok, 1);
  step(http503, 2);
  step(ok, 2);
  step(http503, 2);
  std::vector<std::pair<Status, Status>> expected{{Status::CheckingEndpoint, Status::Online},
                                                  {Status::Online, Status::Degraded},
                                                  {Status::Degraded, Status::Online},
                                                  {Status::Online, Status::Degraded}};
  CHECK(seen == expected);
}

TEST_CASE("new thresholds from a reload apply to the next result and keep the counts") {
  Verdict verdict(5, 1, t0);
  int clock = 0;
  verdict.record(ok, at(++clock));
  CHECK(feed(verdict, http503, 2, clock) == 0);
  verdict.set_thresholds(1, 2);
  CHECK(verdict.consecutive_failures() == 2);
  CHECK(feed(verdict, http503, 1, clock) == 1);
  CHECK(verdict.status() == Status::Degraded);
  CHECK(feed(verdict, ok, 1, clock) == 0);
  CHECK(feed(verdict, ok, 1, clock) == 1);
}

TEST_CASE("a verdict built from a Monitor takes its thresholds") {
  model::Monitor monitor;
  monitor.tolerated_failures = 9;
  monitor.healthy_threshold = 3;
  Verdict verdict(monitor, t0);
  CHECK(verdict.tolerated_failures() == 9);
  CHECK(verdict.healthy_threshold() == 3);
  model::Monitor defaults;
  Verdict azure(defaults, t0);
  CHECK(azure.tolerated_failures() == 3);
  CHECK(azure.healthy_threshold() == 1);
}
