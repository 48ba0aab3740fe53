// meridian-loadgen: drives a DNS server over UDP or TCP at a fixed rate and then at rising rates
// to find its peak, checking every answer, and reports latency, loss, and the CPU the server and
// the generator each spent (from /proc), one `result` line on stdout for scripts.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/driver.h"
#include "loadgen/usage.h"
#include "loadgen/workload.h"
#include "socket_address.h"

namespace {

using namespace loadgen;

constexpr const char* usage_text = R"(usage: meridian-loadgen --server ADDR:PORT --queries FILE [options]

What to send
  --queries FILE          lines of QNAME QTYPE RCODE ANSWERS (see bench/README.md)
  --tcp                   TCP, pipelined on --sockets connections (default: UDP)
  --no-edns               plain queries without an OPT record (default: EDNS0, payload 1232)
  --no-check              do not check answers (for the floor responder, which echoes queries)
  --geo-db FILE.mmdb      give every query an ECS option, client subnets drawn from this DB's networks
  --geo-answers LIST      CC=ADDR,...,*=ADDR: the answer a `geo` query expects for the client's country
  --ecs-clients N         distinct client subnets (default 4096)
  --ecs-v4-share F        share of IPv4 clients (default 0.8)

How hard
  --rate Q                fixed-rate window: queries per second (default 50000)
  --duration S            fixed-rate window length (default 3; 0 skips it)
  --warmup S              warm-up before it, at min(rate, 20000)/s (default 0.3)
  --peak-budget S         time for the peak search after it (default 6; 0 skips it)
  --peak-start Q          first rate of the search when the fixed window did not pass (default 20000)
  --peak-factor F         rate multiplier while every step passes (default 1.2); the search
                          starts near rate / server CPU share of the fixed window, and bisects
                          after the first failure down to 2%
  --step S                length of one search step (default 0.4)
  --max-loss F            a step passes with at most this share lost (default 0.01)
  --max-p99-us U          ... and p99 latency at most this (default 5000)
  --max-rate Q            never offer more than this (default 2000000)
  --sockets N             UDP sockets or TCP connections (default 8)
  --batch N               queries per UDP send call, 1..64 (default 64)
  --tick-us U             send what is due every U µs (default 100)
  --no-gso                send each UDP query as its own datagram (no UDP_SEGMENT)
  --tcp-batch N           TCP: queries per write (default 1: each query written as it comes)

What to measure
  --server-pid PID        read the server's CPU and RSS from /proc (its process tree, all threads)
  --server-core N         the core the server is pinned to, for its /proc/stat busy share
  --self-core N           the core this generator is pinned to
  --kernel-hz N           the kernel's tick rate, for the error bar of the user/system split (default 250)
)";

struct Options {
  std::string server;
  WorkloadOptions workload;
  DriverOptions driver;
  bool tcp = false;
  double rate = 50'000;
  double duration = 3;
  double warmup = 0.3;
  double peak_budget = 6;
  double peak_start = 20'000;
  double peak_factor = 1.2;
  double step = 0.4;
  double max_loss = 0.01;
  double max_p99_us = 5000;
  double max_rate = 2'000'000;
  pid_t server_pid = 0;
  int server_core = -1;
  int self_core = -1;
  double kernel_hz = 250;
};


std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    auto number = [&]() { return std::stod(value()); };
    if (arg == "--server") options.server = value();
    else if (arg == "--queries") options.workload.query_file = value();
    else if (arg == "--tcp") options.tcp = true;
    else if (arg == "--no-edns") options.workload.edns = false;
    else if (arg == "--no-check") options.workload.check = false;
    else if (arg == "--geo-db") options.workload.geo_db = value();
    else if (arg == "--geo-answers") options.workload.geo_answers = value();
    else if (arg == "--ecs-clients") options.workload.ecs_clients = unsigned(number());
    else if (arg == "--ecs-v4-share") options.workload.ecs_v4_share = number();
    else if (arg == "--rate") options.rate = number();
    else if (arg == "--duration") options.duration = number();
    else if (arg == "--warmup") options.warmup = number();
    else if (arg == "--peak-budget") options.peak_budget = number();
    else if (arg == "--peak-start") options.peak_start = number();
    else if (arg == "--peak-factor") options.peak_factor = number();
    else if (arg == "--step") options.step = number();
    else if (arg == "--max-loss") options.max_loss = number();
    else if (arg == "--max-p99-us") options.max_p99_us = number();
    else if (arg == "--max-rate") options.max_rate = number();
    else if (arg == "--sockets") options.driver.sockets = unsigned(number());
    else if (arg == "--batch") options.driver.batch = unsigned(number());
    else if (arg == "--tick-us") options.driver.tick_us = unsigned(number());
    else if (arg == "--no-gso") options.driver.gso = false;
    else if (arg == "--tcp-batch") options.driver.tcp_batch = unsigned(number());
    else if (arg == "--server-pid") options.server_pid = pid_t(number());
    else if (arg == "--server-core") options.server_core = int(number());
    else if (arg == "--self-core") options.self_core = int(number());
    else if (arg == "--kernel-hz") options.kernel_hz = number();
    else if (arg == "--help" || arg == "-h") {
      fmt::print("{}", usage_text);
      std::exit(0);
    } else {
      throw std::runtime_error("unknown option " + std::string(arg));
    }
  }
  if (options.server.empty() || options.workload.query_file.empty())
    throw std::runtime_error("--server and --queries are required");
  if (!bench::parse_address(options.server, options.driver.server, options.driver.server_length))
    throw std::runtime_error("--server \"" + options.server + "\" is not a loopback ADDRESS:PORT");
  if (options.peak_factor <= 1.01) throw std::runtime_error("--peak-factor must be above 1");
  return options;
}

// One window with the server's and our own CPU over exactly that window.
struct Measured {
  WindowStats stats;
  Usage usage;
  uint64_t rss_kib = 0;
};

Measured measure(Driver& driver, const UsageMeter& meter, double rate, double seconds, double drain) {
  const UsageSample before = meter.sample();
  UsageSample after;
  Measured measured;
  // The CPU window ends when sending does; answers that come during the drain still count.
  measured.stats = driver.run(rate, seconds, drain, [&] { after = meter.sample(); });
  measured.usage = usage_between(before, after);
  measured.rss_kib = after.server_rss_kib;
  return measured;
}

double core_share(const Usage& usage, int core) {
  return core >= 0 && size_t(core) < usage.core_busy_share.size() ? usage.core_busy_share[size_t(core)] : -1;
}

void log_window(const char* what, const Options& options, const Measured& measured) {
  const auto& stats = measured.stats;
  const auto& usage = measured.usage;
  fmt::print(stderr,
             "info loadgen: {} offered={:.0f}/s sent={} right={} wrong={} lost={} stray={} answered={:.0f}/s "
             "p50={:.0f}us p99={:.0f}us server_cpu={:.0f}% gen_cpu={:.0f}% server_core={:.0f}% gen_core={:.0f}%\n",
             what, stats.rate, stats.sent, stats.right, stats.wrong, stats.lost, stats.stray,
             stats.answered() / std::max(usage.seconds, 1e-9), stats.latency->percentile_us(0.5),
             stats.latency->percentile_us(0.99), usage.server_cpu_share * 100, usage.self_cpu_share * 100,
             core_share(usage, options.server_core) * 100, core_share(usage, options.self_core) * 100);
}

bool passes(const Options& options, const Measured& measured) {
  const auto& stats = measured.stats;
  return stats.offered > 0 && double(stats.sent) >= 0.97 * double(stats.offered) &&
         stats.loss() <= options.max_loss && stats.latency->percentile_us(0.99) <= options.max_p99_us;
}

// Which side ran out first at a step that failed.
std::string limit_of(const Options& options, const Measured& measured, bool has_server) {
  const auto& usage = measured.usage;
  const bool short_sent = double(measured.stats.sent) < 0.97 * double(measured.stats.offered);
  const bool server_full = has_server && usage.server_cpu_share >= 0.9;
  const bool self_full = usage.self_cpu_share >= 0.9;
  if (server_full && self_full) return "both";  // the server's peak may lie higher
  if (self_full) return "loadgen";
  if (server_full) return "server";
  if (short_sent && options.tcp) return "server";  // every connection had its fill in flight
  return "kernel";  // neither process had its core full: queues or the network stack
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options options;
  try {
    auto parsed = parse_options(argc, argv);
    if (!parsed) return 1;
    options = std::move(*parsed);
  } catch (const std::exception& error) {
    fmt::print(stderr, "error loadgen: {}\n{}", error.what(), usage_text);
    return 1;
  }

  Workload workload;
  std::unique_ptr<Driver> driver;
  try {
    workload = build_workload(options.workload);
    driver = options.tcp ? make_tcp_driver(options.driver, workload) : make_udp_driver(options.driver, workload);
  } catch (const std::exception& error) {
    fmt::print(stderr, "error loadgen: {}\n", error.what());
    return 1;
  }
  fmt::print(stderr, "info loadgen: {}\n", workload.summary);
  fmt::print(stderr, "info loadgen: server={} {}\n", options.server, driver->description());
  const UsageMeter meter(options.server_pid);

  if (options.warmup > 0) driver->run(std::min(options.rate, 20'000.0), options.warmup, 0.2);

  // The fixed-rate window: the same offered load for every server, so CPU per query and latency
  // compare like for like.
  std::optional<Measured> fixed;
  if (options.duration > 0) {
    fixed = measure(*driver, meter, options.rate, options.duration, 0.2);
    log_window("fixed", options, *fixed);
  }

  // The peak: raise the offered rate until loss, latency or sending falls short, then bisect.
  // A failed step is tried once more before it counts (once per search), so one stall caused by
  // something else on the machine does not end the search.
  std::optional<Measured> best;
  std::optional<Measured> first_failure;
  double good_rate = 0;
  double bad_rate = 0;
  bool retried = false;
  const uint64_t search_end = monotonic_ns() + uint64_t(options.peak_budget * 1e9);
  double rate = options.peak_start;
  if (fixed && passes(options, *fixed)) {
    // Start near the capacity the fixed window suggests (its rate over the server's CPU share),
    // so the steps are fine where the peak is; never below one step above the fixed rate.
    good_rate = options.rate;
    rate = options.rate * options.peak_factor;
    if (meter.has_server() && fixed->usage.server_cpu_share > 0.01)
      rate = std::max(rate, 0.9 * options.rate / fixed->usage.server_cpu_share);
    rate = std::min(rate, options.max_rate);
  }
  auto time_left = [&] { return monotonic_ns() + uint64_t((options.step + 0.3) * 1e9) <= search_end; };
  while (options.peak_budget > 0 && time_left()) {
    Measured step = measure(*driver, meter, rate, options.step, 0.2);
    bool ok = passes(options, step);
    log_window(ok ? "step pass" : "step fail", options, step);
    if (!ok && !retried && time_left()) {
      retried = true;
      Measured again = measure(*driver, meter, rate, options.step, 0.2);
      log_window(passes(options, again) ? "retry pass" : "retry fail", options, again);
      if (passes(options, again)) {
        ok = true;
        step = std::move(again);
      }
    }
    if (ok) {
      good_rate = std::max(good_rate, rate);
      if (!best || step.stats.right > best->stats.right) best = std::move(step);
    } else {
      bad_rate = rate;
      if (!first_failure || rate <= first_failure->stats.rate) first_failure = std::move(step);
    }
    if (bad_rate == 0) {
      if (rate >= options.max_rate) break;
      rate = std::min(rate * options.peak_factor, options.max_rate);
    } else {
      if (bad_rate - good_rate < 0.02 * bad_rate) break;
      rate = (good_rate + bad_rate) / 2;
    }
  }
  // The fixed window counts as a step of the search when it passed.
  auto answered_rate = [](const Measured& m) { return double(m.stats.right) / std::max(m.usage.seconds, 1e-9); };
  const Measured* peak = best ? &*best : nullptr;
  if (fixed && passes(options, *fixed) && (!peak || answered_rate(*fixed) > answered_rate(*peak))) peak = &*fixed;

  // The result line.
  std::string line = fmt::format("result transport={} queries={}", options.tcp ? "tcp" : "udp",
                                 workload.queries.size());
  if (fixed) {
    const auto& stats = fixed->stats;
    const auto& usage = fixed->usage;
    const double answered = stats.answered();
    const double cpu = usage.server_user_s + usage.server_system_s;
    // utime/stime are split by sampling at each kernel tick: a binomial error bar on the user part.
    const double samples = cpu * options.kernel_hz;
    const double user_share = cpu > 0 ? usage.server_user_s / cpu : 0;
    const double user_error_s =
        samples > 0 ? std::sqrt(samples * user_share * (1 - user_share)) / options.kernel_hz : 0;
    line += fmt::format(
        " rate={:.0f} seconds={:.2f} sent={} right={} wrong={} lost={} stray={} answered_qps={:.0f}"
        " p50_us={:.0f} p99_us={:.0f} server_user_s={:.3f} server_system_s={:.3f}"
        " user_us_per_q={:.3f} user_us_err={:.3f} total_us_per_q={:.3f} server_cpu={:.3f} gen_cpu={:.3f}"
        " server_core={:.3f} gen_core={:.3f} rss_kib={}",
        stats.rate, usage.seconds, stats.sent, stats.right, stats.wrong, stats.lost, stats.stray,
        answered / usage.seconds, stats.latency->percentile_us(0.5), stats.latency->percentile_us(0.99),
        usage.server_user_s, usage.server_system_s, answered > 0 ? usage.server_user_s * 1e6 / answered : 0,
        answered > 0 ? user_error_s * 1e6 / answered : 0, answered > 0 ? cpu * 1e6 / answered : 0,
        usage.server_cpu_share, usage.self_cpu_share, core_share(usage, options.server_core),
        core_share(usage, options.self_core), fixed->rss_kib);
  }
  if (options.peak_budget > 0) {
    const bool reached = first_failure.has_value();
    const Measured* limit_step = reached ? &*first_failure : peak;
    line += fmt::format(" peak_qps={:.0f} peak_per_core={:.0f} peak_reached={} peak_p99_us={:.0f} peak_wrong={}",
                        peak ? answered_rate(*peak) : 0,
                        peak && peak->usage.server_cpu_share > 0.01 ? answered_rate(*peak) / peak->usage.server_cpu_share : 0,
                        reached ? 1 : 0,
                        peak ? peak->stats.latency->percentile_us(0.99) : 0, peak ? peak->stats.wrong : 0);
    if (limit_step) {
      line += fmt::format(" limit={} limit_rate={:.0f} limit_server_cpu={:.3f} limit_gen_cpu={:.3f}"
                          " limit_server_core={:.3f} limit_gen_core={:.3f} limit_loss={:.4f} limit_p99_us={:.0f}"
                          " peak_server_cpu={:.3f} peak_gen_cpu={:.3f}",
                          reached ? limit_of(options, *limit_step, meter.has_server()) : "budget",
                          limit_step->stats.rate, limit_step->usage.server_cpu_share,
                          limit_step->usage.self_cpu_share, core_share(limit_step->usage, options.server_core),
                          core_share(limit_step->usage, options.self_core), limit_step->stats.loss(),
                          limit_step->stats.latency->percentile_us(0.99),
                          peak ? peak->usage.server_cpu_share : 0, peak ? peak->usage.self_cpu_share : 0);
    }
  }
  fmt::print("{}\n", line);
  return 0;
}
