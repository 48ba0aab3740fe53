// The probe policy on a clock the test moves: the schedule's phase, in-flight skips, late answers
// counted as timeouts, and the verdict's times on the wall clock given.
#include <doctest/doctest.h>

#include <chrono>

#include "probes/monitor.h"
#include "probes/schedule.h"

using namespace meridian;
using namespace std::chrono_literals;
using model::Status;
using probes::Monitor;
using probes::MonotonicTime;
using probes::Result;
using probes::Timestamp;
using probes::Verdict;

namespace {

const MonotonicTime t0{};
const Timestamp wall0 = Timestamp{} + 1000h;

model::Monitor settings(model::Duration interval, model::Duration timeout, unsigned tolerated = 2) {
  model::Monitor monitor;
  monitor.interval = interval;
  monitor.timeout = timeout;
  monitor.tolerated_failures = tolerated;
  return monitor;
}

Monitor started(const model::Monitor& monitor, const char* key = "app/primary") {
  Monitor result(monitor, key, Verdict(monitor, wall0));
  result.begin(t0, wall0);
  return result;
}

}  // namespace

TEST_CASE("the first probe is due at the endpoint's phase, the next ones every interval after it") {
  const auto monitor = settings(1s, 500ms);
  Monitor m = started(monitor);
  const auto phase = probes::first_probe_delay("app/primary", 1s);
  CHECK(m.next_tick() == t0 + phase);
  CHECK(m.on_tick(t0 + phase));
  CHECK(m.next_tick() == t0 + phase + 1s);
}

TEST_CASE("a tick handled late keeps the phase, and ticks missed entirely are skipped") {
  Monitor m = started(settings(1s, 500ms));
  const auto first = m.next_tick();
  REQUIRE(m.on_tick(first + 300ms));  // late: the next one is still on the phase
  CHECK(m.next_tick() == first + 1s);
  m.on_result({true, "HTTP 200"}, first + 310ms);
  REQUIRE(m.on_tick(first + 1s + 3500ms));  // three ticks missed
  CHECK(m.next_tick() == first + 5s);
}

TEST_CASE("a tick that finds the previous probe in flight is skipped and schedules the next") {
  Monitor m = started(settings(1s, 900ms));
  const auto first = m.next_tick();
  REQUIRE(m.on_tick(first));
  CHECK(m.in_flight());
  CHECK_FALSE(m.on_tick(first + 1s));
  CHECK(m.next_tick() == first + 2s);
  CHECK_FALSE(m.start_now(first + 1s));
}

TEST_CASE("an answer later than the timeout counts as a timeout, one in time as what it said") {
  const auto monitor = settings(1s, 500ms, 0);
  Monitor m = started(monitor);
  const auto first = m.next_tick();
  REQUIRE(m.on_tick(first));
  auto in_time = m.on_result({true, "HTTP 200"}, first + 500ms);
  CHECK(in_time.result.ok);
  REQUIRE(in_time.took_seconds);
  CHECK(*in_time.took_seconds == doctest::Approx(0.5));
  CHECK(m.verdict().status() == Status::Online);

  REQUIRE(m.on_tick(first + 1s));
  auto late = m.on_result({true, "HTTP 200"}, first + 1s + 501ms);
  CHECK_FALSE(late.result.ok);
  CHECK(late.result.reason == "timeout after 500ms");
  REQUIRE(late.transition);
  CHECK(late.transition->to == Status::Degraded);
}

TEST_CASE("tolerated_failures + 1 failed probes turn it Degraded, stamped on the wall clock given") {
  Monitor m = started(settings(1s, 500ms, 2));
  auto due = m.next_tick();
  std::optional<probes::Transition> last;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(m.on_tick(due));
    auto recorded = m.on_result({false, "connect refused"}, due + 1ms);
    CHECK(bool(recorded.transition) == (i == 2));
    if (recorded.transition) last = recorded.transition;
    due = m.next_tick();
  }
  REQUIRE(last);
  CHECK(last->from == Status::CheckingEndpoint);
  CHECK(last->to == Status::Degraded);
  const auto third = probes::first_probe_delay("app/primary", 1s) + 2s + 1ms;
  CHECK(last->at == wall0 + std::chrono::duration_cast<Timestamp::duration>(third));
}

TEST_CASE("a result without a probe (a failed lookup) counts, untimed; an abandoned probe does not") {
  Monitor m = started(settings(1s, 500ms, 0));
  REQUIRE(m.on_tick(m.next_tick()));
  m.abandon();
  CHECK_FALSE(m.in_flight());
  CHECK(m.verdict().results() == 0);
  auto recorded = m.on_result({false, "resolve failed: NXDOMAIN"}, t0 + 2s);
  CHECK_FALSE(recorded.took_seconds);
  CHECK(m.verdict().status() == Status::Degraded);
}

TEST_CASE("start_now probes at once without moving the schedule") {
  Monitor m = started(settings(10s, 5s));
  const auto due = m.next_tick();
  REQUIRE(m.start_now(t0 + 1ms));
  CHECK(m.next_tick() == due);
  m.on_result({true, "HTTP 200"}, t0 + 2ms);
  CHECK(m.verdict().status() == Status::Online);
}
