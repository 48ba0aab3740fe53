// meridian-answer-time: the DNS work per query with no kernel in the way. Loads a config the way
// `meridian serve` does, builds the same query mix as meridian-loadgen (ECS clients included),
// and feeds it straight to the responder, timing the thread's own CPU. What the loadgen's
// "user µs/q" estimates from tick-sampled /proc figures, this measures to the nanosecond, so a
// change to the answer path can be judged in one run.
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "conf/config.h"
#include "loadgen/workload.h"
#include "probes/health_table.h"
#include "probes/probes.h"
#include "server/batch_responder.h"
#include "server/rate_limiter.h"
#include "server/responder.h"
#include "server/snapshot.h"

namespace {

constexpr const char* usage = R"(usage: meridian-answer-time --config FILE --queries FILE [options]
  --config FILE        meridian.yaml, loaded as `meridian serve` loads it (probes do not run:
                       endpoints keep their initial statuses)
  --queries FILE       a meridian-loadgen query file
  --geo-db FILE.mmdb   give every query an ECS option, clients drawn from this DB's networks
  --geo-answers LIST   as meridian-loadgen's (accepted for the same command line; not checked)
  --ecs-clients N      distinct client subnets (default 4096)
  --seconds S          how long to measure (default 2)
  --one-by-one         answer each query on its own, without the UDP path's batch look-ahead
                       (server/batch_responder.h); by default queries go in batches of 32
Batched answers are charged to the rate limit as the UDP receiver charges them when the
config's rrl is enabled (bench/lib.sh whitelists loopback, so every answer still goes out).
)";

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file;
  loadgen::WorkloadOptions options;
  double seconds = 2;
  bool one_by_one = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n{}", arg, usage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") config_file = value();
    else if (arg == "--queries") options.query_file = value();
    else if (arg == "--geo-db") options.geo_db = value();
    else if (arg == "--geo-answers") options.geo_answers = value();
    else if (arg == "--ecs-clients") options.ecs_clients = unsigned(std::stoul(value()));
    else if (arg == "--seconds") seconds = std::stod(value());
    else if (arg == "--one-by-one") one_by_one = true;
    else {
      fmt::print(stderr, "unknown option {}\n{}", arg, usage);
      return 2;
    }
  }
  if (config_file.empty() || options.query_file.empty()) {
    fmt::print(stderr, "{}", usage);
    return 2;
  }
  options.check = false;

  using namespace meridian;
  try {
    const auto config = conf::load(config_file);
    auto health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    probes::publish_initial_statuses(*config, *health);
    const server::Snapshot snapshot(config, health);
    const loadgen::Workload workload = loadgen::build_workload(options);

    routing::Random random(1);
    server::Counters counters;
    const server::Responder responder{snapshot, random, counters};
    std::vector<uint8_t> out(server::max_response);
    const geo::Address source = *geo::Address::parse("127.0.0.1");

    // The UDP receiver's way: batches as wide as it takes them (16 or 32), each prepared (parsed,
    // fetched ahead) and then answered; or, with --one-by-one, each query parsed and answered alone.
    server::BatchResponder batch;
    server::RateLimiter limiter(1);
    server::ResponseRateLimit rate_limit(limiter);
    const auto& rrl = config->rrl;
    const std::vector<geo::Address> sources(server::BatchResponder::capacity, source);
    std::vector<std::span<const uint8_t>> packets(workload.queries.begin(), workload.queries.end());
    auto answer_all = [&] {
      uint64_t answered = 0;
      if (one_by_one) {
        for (const auto& query : workload.queries) answered += responder.respond(query, source, false, out).size > 0;
        return answered;
      }
      const size_t width = server::BatchResponder::width(snapshot);
      for (size_t first = 0; first < packets.size(); first += width) {
        const size_t count = std::min(width, packets.size() - first);
        batch.prepare(snapshot, std::span(packets).subspan(first, count), std::span(sources).first(count));
        const uint32_t tick = rrl.enabled ? server::RateLimiter::now() : 0;
        for (size_t i = 0; i < count; ++i) {
          const auto response = batch.respond(responder, i, source, out);
          const size_t size = response.size && rrl.enabled
                                  ? rate_limit.apply(rrl, tick, batch.query(i), response, source, out, counters)
                                  : response.size;
          answered += size > 0;
        }
      }
      return answered;
    };

    answer_all();  // one untimed pass fills the caches a running server would have warm
    uint64_t answered = 0, queries = 0;
    const double start = thread_cpu_seconds();
    double now = start;
    // The clock is a system call: read it once per 4,096 queries or more.
    const size_t passes = (4096 + workload.queries.size() - 1) / workload.queries.size();
    while (now - start < seconds) {
      for (size_t pass = 0; pass < passes; ++pass) answered += answer_all();
      queries += passes * workload.queries.size();
      now = thread_cpu_seconds();
    }
    fmt::print("answer-time queries={} answered={} distinct={} ns_per_query={:.1f} ({})\n", queries, answered,
               workload.queries.size(), (now - start) * 1e9 / double(queries), workload.summary);
    return answered == queries ? 0 : 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "meridian-answer-time: {}\n", error.what());
    return 1;
  }
}
