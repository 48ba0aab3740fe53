// /metrics end to end: the scrape parses strictly (and passes promtool), and its counters and
// gauges count exactly the queries, probes, overrides and reloads the tests cause.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "control_fixtures.h"
#include "exposition.h"
#include "harness.h"
#include "http_backend.h"
#include "http_client.h"

using namespace meridian::test;
using Clock = std::chrono::steady_clock;

namespace {

std::string scrape_text(uint16_t control_port) {
  const auto reply = http_get(control_port, "/metrics");
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK(reply.content_type == "text/plain; version=0.0.4; charset=utf-8");
  return reply.body;
}

Exposition scrape(uint16_t control_port) {
  const auto text = scrape_text(control_port);
  std::string error;
  auto parsed = parse_exposition(text, error);
  REQUIRE_MESSAGE(parsed.has_value(), "/metrics does not parse: " << error);
  return *parsed;
}

double value_or_zero(const Exposition& scraped, const std::string& name, const Labels& labels = {}) {
  return scraped.value(name, labels).value_or(0);
}

// How much the series grew from `before` to `after` (a series not there yet counts as 0).
double delta(const Exposition& before, const Exposition& after, const std::string& name,
             const Labels& labels = {}) {
  return value_or_zero(after, name, labels) - value_or_zero(before, name, labels);
}

std::optional<Exposition> parsed(const std::string& text, std::string& error) {
  return parse_exposition(text, error);
}

// The parser must refuse `text`, naming the line with `line` and saying `reason`.
void check_refused(const std::string& text, const std::string& line, const std::string& reason) {
  CAPTURE(text);
  std::string error;
  CHECK_FALSE(parsed(text, error).has_value());
  CHECK_MESSAGE(error.find(line) != std::string::npos, error);
  CHECK_MESSAGE(error.find(reason) != std::string::npos, error);
}

struct Run {
  bool finished = false;
  int exit_code = -1;
  std::string out;
};

// Runs `program args...` with `input` on its stdin, to completion or until `timeout` (then it is
// killed by its PID); stdout and stderr together in `out`.
Run run_with_input(const std::vector<std::string>& args, const std::string& input,
                   std::chrono::milliseconds timeout) {
  int in_pipe[2], out_pipe[2];
  REQUIRE(pipe2(in_pipe, O_CLOEXEC) == 0);
  REQUIRE(pipe2(out_pipe, O_CLOEXEC) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with a test run that dies
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(out_pipe[1], 2);
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  Run run;
  size_t written = 0;
  int to_child = in_pipe[1];
  const auto until = Clock::now() + timeout;
  int status = 0;
  while (true) {
    if (to_child >= 0 && written < input.size()) {
      const ssize_t n = write(to_child, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // it stopped reading
    }
    if (to_child >= 0 && written >= input.size()) {
      close(to_child);  // end of input
      to_child = -1;
    }
    char buffer[4096];
    ssize_t n;
    while ((n = read(out_pipe[0], buffer, sizeof buffer)) > 0) run.out.append(buffer, n);
    if (waitpid(pid, &status, WNOHANG) == pid) {
      run.finished = true;
      break;
    }
    if (Clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::vector<pollfd> entries{{out_pipe[0], POLLIN, 0}};
    if (to_child >= 0) entries.push_back({to_child, POLLOUT, 0});
    poll(entries.data(), entries.size(), 50);
  }
  char buffer[4096];
  ssize_t n;
  while ((n = read(out_pipe[0], buffer, sizeof buffer)) > 0) run.out.append(buffer, n);
  if (to_child >= 0) close(to_child);
  close(out_pipe[0]);
  if (run.finished) run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

constexpr const char* good_exposition = R"(# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A comment, then escaping in label values:
# TYPE msdos_file_access_time_seconds gauge
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
# HELP metric_without_labels A gauge at minus infinity, with a \\ and a\nsecond line of help.
# TYPE metric_without_labels gauge
metric_without_labels -Inf
# TYPE trailing_comma untyped
trailing_comma{a="1",} NaN
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
)";

}  // namespace

TEST_CASE("the exposition parser reads the text format: names, labels with escapes, values, histograms") {
  std::string error;
  const auto good = parsed(good_exposition, error);
  REQUIRE_MESSAGE(good.has_value(), error);
  CHECK(good->families.at("http_requests_total").type == "counter");
  CHECK(good->families.at("http_requests_total").help == "The total number of HTTP requests.");
  CHECK(good->families.at("metric_without_labels").help ==
        "A gauge at minus infinity, with a \\ and a\nsecond line of help.");
  CHECK(good->value("http_requests_total", {{"method", "post"}, {"code", "400"}}) == 3);
  CHECK(good->value("msdos_file_access_time_seconds",
                    {{"path", "C:\\DIR\\FILE.TXT"}, {"error", "Cannot find file:\n\"FILE.TXT\""}}) ==
        1.458255915e9);
  CHECK(good->value("metric_without_labels") == -INFINITY);
  CHECK(std::isnan(*good->value("trailing_comma", {{"a", "1"}})));
  CHECK(good->value("http_request_duration_seconds_bucket", {{"le", "+Inf"}}) == 144320);
  CHECK(good->matching("http_request_duration_seconds_bucket").size() == 6);
  CHECK(good->samples.size() == 13);
}

TEST_CASE("the exposition parser refuses what breaks the format, naming the line") {
  check_refused("up 1\n", "line 1", "no # TYPE line");
  check_refused("# TYPE up gauge\nup 1", "newline", "newline");
  check_refused("# TYPE 1up gauge\n", "line 1", "metric name");
  check_refused("# TYPE up meter\nup 1\n", "line 1", "unknown type");
  check_refused("# TYPE up gauge\n# TYPE up gauge\nup 1\n", "line 2", "second TYPE");
  check_refused("# TYPE up gauge\nup{job=\"a\\q\"} 1\n", "line 2", "invalid escape");
  check_refused("# TYPE up gauge\nup{job=\"a} 1\n", "line 2", "not closed");
  check_refused("# TYPE up gauge\nup{job=\"a\",job=\"b\"} 1\n", "line 2", "repeated");
  check_refused("# TYPE up gauge\nup{__name=\"a\"} 1\n", "line 2", "reserved");
  check_refused("# TYPE up gauge\nup{0job=\"a\"} 1\n", "line 2", "label name");
  check_refused("# TYPE up gauge\nup one\n", "line 2", "not a number");
  check_refused("# TYPE up gauge\nup 1,5\n", "line 2", "not a number");
  check_refused("# TYPE up gauge\nup 1 soon\n", "line 2", "timestamp");
  check_refused("# TYPE up gauge\nup 1\nup 2\n", "line 3", "repeated");
  check_refused("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 1\n", "line 5", "one group");
  check_refused("# TYPE a gauge\na 1\n# TYPE a gauge\n", "line 3", "second TYPE");
  check_refused("# TYPE hits_total counter\nhits_total -1\n", "line 2", "negative");
  const std::string histogram = "# TYPE d histogram\n";
  check_refused(
      histogram + "d_bucket{le=\"1\"} 5\nd_bucket{le=\"2\"} 3\nd_bucket{le=\"+Inf\"} 5\nd_sum 1\nd_count 5\n",
      "line 3", "cumulative");
  check_refused(histogram + "d_bucket{le=\"1\"} 5\nd_bucket{le=\"+Inf\"} 6\nd_sum 1\nd_count 5\n", "line 5",
                "_count is not the +Inf bucket");
  check_refused(histogram + "d_bucket{le=\"1\"} 5\nd_bucket{le=\"2\"} 5\nd_sum 1\nd_count 5\n", "line 3",
                "+Inf");
  check_refused(histogram + "d_bucket{le=\"1\"} 5\nd_bucket{le=\"+Inf\"} 5\nd_count 5\n", "line 2",
                "no _sum");
  check_refused(
      histogram + "d_bucket{le=\"2\"} 5\nd_bucket{le=\"1\"} 5\nd_bucket{le=\"+Inf\"} 5\nd_sum 1\nd_count 5\n",
      "line 3", "increasing le");
  check_refused(histogram + "d 5\n", "line 2", "without _bucket");
}

TEST_CASE("/metrics parses strictly and has every documented family with its type") {
  Server server(two_endpoints);
  const auto scraped = scrape(server.control_port());
  const std::map<std::string, std::string> documented{{"meridian_build_info", "gauge"},
                                                      {"meridian_queries_total", "counter"},
                                                      {"meridian_dropped_queries_total", "counter"},
                                                      {"meridian_truncated_responses_total", "counter"},
                                                      {"meridian_profile_answers_total", "counter"},
                                                      {"meridian_profile_nodata_total", "counter"},
                                                      {"meridian_endpoint_answers_total", "counter"},
                                                      {"meridian_endpoint_status", "gauge"},
                                                      {"meridian_endpoint_override", "gauge"},
                                                      {"meridian_probe_results_total", "counter"},
                                                      {"meridian_probe_duration_seconds", "histogram"},
                                                      {"meridian_reloads_total", "counter"},
                                                      {"meridian_config_generation", "gauge"},
                                                      {"meridian_config_loaded_timestamp_seconds", "gauge"},
                                                      {"meridian_health_generation", "gauge"},
                                                      {"meridian_tcp_connections_opened_total", "counter"},
                                                      {"meridian_tcp_connections_closed_total", "counter"},
                                                      {"meridian_tcp_connections_open", "gauge"},
                                                      {"meridian_tcp_connections_limited_total", "counter"}};
  for (const auto& [name, type] : documented) {
    CAPTURE(name);
    REQUIRE(scraped.families.count(name) == 1);
    CHECK(scraped.families.at(name).type == type);
    CHECK(!scraped.families.at(name).help.empty());
  }
  CHECK(scraped.matching("meridian_build_info").size() == 1);
  CHECK(scraped.matching("meridian_build_info").front().value == 1);
  // A served zone has its series from the start, so rate() has somewhere to begin.
  CHECK(scraped.value("meridian_queries_total",
                      {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "udp"}}) == 0);
  CHECK(scraped.value("meridian_profile_answers_total", {{"profile", "web"}}) == 0);
  CHECK(scraped.value("meridian_endpoint_answers_total", {{"profile", "web"}, {"endpoint", "secondary"}}) ==
        0);
  const double loaded = *scraped.value("meridian_config_loaded_timestamp_seconds");
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(std::abs(now - loaded) < 120);
}

TEST_CASE("queries are counted exactly: by zone, rcode and transport, by profile and by endpoint") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  const auto before = scrape(port);
  constexpr int udp_profile = 7, tcp_profile = 3, static_name = 4;
  for (int i = 0; i < udp_profile; ++i)
    REQUIRE(rdatas(query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_A).get(), LDNS_SECTION_ANSWER,
                   LDNS_RR_TYPE_A) == std::vector<std::string>{"127.0.0.11"});
  for (int i = 0; i < tcp_profile; ++i)
    REQUIRE(rdatas(query_tcp(server.port(), "web.example.test.", LDNS_RR_TYPE_A).get(), LDNS_SECTION_ANSWER,
                   LDNS_RR_TYPE_A) == std::vector<std::string>{"127.0.0.11"});
  for (int i = 0; i < static_name; ++i)
    REQUIRE(rcode_name(query_udp(server.port(), "ns1.example.test.", LDNS_RR_TYPE_A).get()) == "NOERROR");
  REQUIRE(rcode_name(query_udp(server.port(), "nowhere.invalid.", LDNS_RR_TYPE_A).get()) == "REFUSED");
  REQUIRE(rcode_name(query_udp(server.port(), "nothing.example.test.", LDNS_RR_TYPE_A).get()) == "NXDOMAIN");
  const auto after = scrape(port);

  auto queries = [&](const std::string& zone, const std::string& rcode, const std::string& transport) {
    return delta(before, after, "meridian_queries_total",
                 {{"zone", zone}, {"rcode", rcode}, {"transport", transport}});
  };
  CHECK(queries("example.test", "NOERROR", "udp") == udp_profile + static_name);
  CHECK(queries("example.test", "NOERROR", "tcp") == tcp_profile);
  CHECK(queries("example.test", "NXDOMAIN", "udp") == 1);
  CHECK(queries("", "REFUSED", "udp") == 1);
  CHECK(queries("", "NOERROR", "udp") == 0);
  CHECK(queries("example.test", "REFUSED", "udp") == 0);
  double all = 0;
  for (const auto& sample : after.matching("meridian_queries_total"))
    all += sample.value - value_or_zero(before, sample.name, sample.labels);
  CHECK(all == udp_profile + tcp_profile + static_name + 2);

  CHECK(delta(before, after, "meridian_profile_answers_total", {{"profile", "web"}}) ==
        udp_profile + tcp_profile);
  CHECK(delta(before, after, "meridian_profile_nodata_total", {{"profile", "web"}}) == 0);
  CHECK(delta(before, after, "meridian_endpoint_answers_total",
              {{"profile", "web"}, {"endpoint", "primary"}}) == udp_profile + tcp_profile);
  CHECK(delta(before, after, "meridian_endpoint_answers_total",
              {{"profile", "web"}, {"endpoint", "secondary"}}) == 0);

  CHECK(delta(before, after, "meridian_tcp_connections_opened_total") == tcp_profile);
  // The server sees each client close a moment after it happens.
  Exposition closed = after;
  CHECK(eventually([&] {
    closed = scrape(port);
    return delta(before, closed, "meridian_tcp_connections_closed_total") == tcp_profile;
  }));
  CHECK(value_or_zero(closed, "meridian_tcp_connections_open") == 0);
  CHECK(delta(before, closed, "meridian_dropped_queries_total", {{"transport", "udp"}}) == 0);
}

TEST_CASE("an AAAA query for an IPv4-only profile counts as NODATA, not as an answer") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  const auto before = scrape(port);
  auto reply = query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_AAAA);
  REQUIRE(rcode_name(reply.get()) == "NOERROR");
  REQUIRE(ldns_pkt_ancount(reply.get()) == 0);
  const auto after = scrape(port);
  CHECK(delta(before, after, "meridian_profile_nodata_total", {{"profile", "web"}}) == 1);
  CHECK(delta(before, after, "meridian_profile_answers_total", {{"profile", "web"}}) == 0);
  CHECK(delta(before, after, "meridian_endpoint_answers_total",
              {{"profile", "web"}, {"endpoint", "primary"}}) == 0);
  CHECK(delta(before, after, "meridian_queries_total",
              {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "udp"}}) == 1);
}

TEST_CASE("a query of another type routed by a profile counts as its NODATA, not as an answer") {
  // README: the profile counters count the queries the profile routes (A, AAAA, and other types
  // its name holds no static data for); an MX at an address-only profile is its NODATA.
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  const auto before = scrape(port);
  auto reply = query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_MX);
  REQUIRE(rcode_name(reply.get()) == "NOERROR");
  REQUIRE(ldns_pkt_ancount(reply.get()) == 0);
  const auto after = scrape(port);
  CHECK(delta(before, after, "meridian_profile_nodata_total", {{"profile", "web"}}) == 1);
  CHECK(delta(before, after, "meridian_profile_answers_total", {{"profile", "web"}}) == 0);
  CHECK(delta(before, after, "meridian_queries_total",
              {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "udp"}}) == 1);
}

TEST_CASE("counters run on across a reload: none goes down, and they keep counting") {
  Server server(two_endpoints);
  const uint16_t port = server.control_port();
  for (int i = 0; i < 5; ++i) query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_A);
  query_tcp(server.port(), "ns1.example.test.", LDNS_RR_TYPE_A);
  const auto before = scrape(port);
  REQUIRE(value_or_zero(before, "meridian_profile_answers_total", {{"profile", "web"}}) == 5);

  for (int reload = 0; reload < 2; ++reload) {
    const auto reply = http_post(port, "/v1/reload");
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
  }
  const auto reloaded = scrape(port);
  for (const auto& sample : before.samples) {
    const auto& family = before.families.at(sample.name.starts_with("meridian_probe_duration_seconds")
                                                ? "meridian_probe_duration_seconds"
                                                : sample.name);
    if (family.type != "counter" && family.type != "histogram") continue;
    CAPTURE(sample.name);
    CAPTURE(sample.line);
    const auto now = reloaded.value(sample.name, sample.labels);
    REQUIRE_MESSAGE(now.has_value(), "the series is gone after the reload");
    CHECK(*now >= sample.value);
  }
  CHECK(value_or_zero(reloaded, "meridian_profile_answers_total", {{"profile", "web"}}) == 5);
  CHECK(value_or_zero(reloaded, "meridian_queries_total",
                      {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "udp"}}) == 5);

  for (int i = 0; i < 3; ++i) query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_A);
  const auto later = scrape(port);
  CHECK(value_or_zero(later, "meridian_profile_answers_total", {{"profile", "web"}}) == 8);
  CHECK(value_or_zero(later, "meridian_endpoint_answers_total",
                      {{"profile", "web"}, {"endpoint", "primary"}}) == 8);
  CHECK(value_or_zero(later, "meridian_queries_total",
                      {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "udp"}}) == 8);
  CHECK(value_or_zero(later, "meridian_queries_total",
                      {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "tcp"}}) == 1);

  // A SIGHUP's reload frees the replaced snapshots once the workers let go: what they counted
  // is folded into the totals, neither lost nor counted twice.
  REQUIRE(kill(server.pid(), SIGHUP) == 0);
  int sent = 0;
  REQUIRE_MESSAGE(eventually([&] {
                    query_udp(server.port(), "ns1.example.test.", LDNS_RR_TYPE_A);
                    ++sent;
                    return server.log().find("server: replaced snapshots released") != std::string::npos;
                  }),
                  server.log());
  const auto freed = scrape(port);
  CHECK(value_or_zero(freed, "meridian_profile_answers_total", {{"profile", "web"}}) == 8);
  CHECK(value_or_zero(freed, "meridian_endpoint_answers_total",
                      {{"profile", "web"}, {"endpoint", "primary"}}) == 8);
  CHECK(value_or_zero(freed, "meridian_queries_total",
                      {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "udp"}}) == 8 + sent);
  CHECK(value_or_zero(freed, "meridian_queries_total",
                      {{"zone", "example.test"}, {"rcode", "NOERROR"}, {"transport", "tcp"}}) == 1);
  CHECK(value_or_zero(freed, "meridian_reloads_total", {{"result", "ok"}}) == 3);
}

TEST_CASE(
    "probe results and durations grow; one status per endpoint is 1; a drain shows as override and "
    "Disabled") {
  HttpBackend primary("127.0.0.11");
  HttpBackend secondary("127.0.0.12");
  Server server(
      fill(R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    monitor: {protocol: http, path: /, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PRIMARY}}
      - {name: secondary, target: 127.0.0.12, monitor: {port: SECONDARY}}
      - {name: spare, target: 127.0.0.13, always_serve: true}
)",
           {{"PRIMARY", std::to_string(primary.port())}, {"SECONDARY", std::to_string(secondary.port())}}));
  const uint16_t port = server.control_port();
  const Labels primary_labels{{"profile", "web"}, {"endpoint", "primary"}};
  auto with = [](Labels labels, const std::string& name, const std::string& value) {
    labels[name] = value;
    return labels;
  };
  auto successes = [&](const Exposition& scraped) {
    return value_or_zero(scraped, "meridian_probe_results_total", with(primary_labels, "result", "success"));
  };

  Exposition first = scrape(port);
  REQUIRE(eventually([&] {
    first = scrape(port);
    return successes(first) >= 1;
  }));
  Exposition later = first;
  REQUIRE(eventually([&] {
    later = scrape(port);
    return successes(later) >= successes(first) + 2;
  }));
  CHECK(value_or_zero(later, "meridian_probe_results_total", with(primary_labels, "result", "failure")) == 0);
  const double count = value_or_zero(later, "meridian_probe_duration_seconds_count", primary_labels);
  CHECK(count > value_or_zero(first, "meridian_probe_duration_seconds_count", primary_labels));
  CHECK(count == successes(later));
  CHECK(value_or_zero(later, "meridian_probe_duration_seconds_sum", primary_labels) > 0);
  CHECK(later.matching("meridian_probe_duration_seconds_bucket", primary_labels).size() == 12);
  // An endpoint that is not probed has no probe series.
  CHECK(later.matching("meridian_probe_results_total", {{"endpoint", "spare"}}).empty());

  auto one_status_each = [](const Exposition& scraped) {
    std::map<std::string, std::string> current;  // endpoint -> the status at 1
    for (const auto& endpoint : {"primary", "secondary", "spare"}) {
      CAPTURE(endpoint);
      const auto samples =
          scraped.matching("meridian_endpoint_status", {{"profile", "web"}, {"endpoint", endpoint}});
      CHECK(samples.size() == 7);
      int ones = 0;
      for (const auto& sample : samples) {
        CHECK((sample.value == 0 || sample.value == 1));
        if (sample.value == 1) {
          ++ones;
          current[endpoint] = sample.labels.at("status");
        }
      }
      CHECK(ones == 1);
    }
    return current;
  };
  auto statuses = one_status_each(later);
  CHECK(statuses["primary"] == "Online");
  CHECK(statuses["secondary"] == "Online");
  CHECK(statuses["spare"] == "NotMonitored");
  CHECK(value_or_zero(later, "meridian_endpoint_override", with(primary_labels, "override", "drain")) == 0);
  const double health_generation = *later.value("meridian_health_generation");

  const auto drained = http_post(port, "/v1/profiles/web/endpoints/primary/drain");
  REQUIRE_MESSAGE(drained.status == 200, drained.body);
  const auto after = scrape(port);
  CHECK(value_or_zero(after, "meridian_endpoint_override", with(primary_labels, "override", "drain")) == 1);
  CHECK(value_or_zero(after, "meridian_endpoint_override", with(primary_labels, "override", "force-up")) ==
        0);
  CHECK(value_or_zero(after, "meridian_endpoint_override",
                      {{"profile", "web"}, {"endpoint", "secondary"}, {"override", "drain"}}) == 0);
  statuses = one_status_each(after);
  CHECK(statuses["primary"] == "Disabled");
  CHECK(statuses["secondary"] == "Online");
  CHECK(*after.value("meridian_health_generation") == health_generation + 1);
  // A drained endpoint is still probed.
  CHECK(eventually([&] { return successes(scrape(port)) > successes(after); }));
}

TEST_CASE("meridian_reloads_total and meridian_config_generation move with reloads") {
  TempDir dir;
  const std::string config = fill(two_endpoints, {{"{ZONES}", fixtures() + "/zones"}});
  const auto file = dir.write("meridian.yaml", config);
  Server server(Server::File{file});
  const uint16_t port = server.control_port();
  auto check_counts = [&](double ok, double failed, double generation) {
    const auto scraped = scrape(port);
    CHECK(scraped.value("meridian_reloads_total", {{"result", "ok"}}) == ok);
    CHECK(scraped.value("meridian_reloads_total", {{"result", "failed"}}) == failed);
    CHECK(scraped.value("meridian_config_generation") == generation);
  };
  check_counts(0, 0, 1);
  REQUIRE(http_post(port, "/v1/reload").status == 200);
  check_counts(1, 0, 2);
  dir.write("meridian.yaml", config + "  - oops\n");
  REQUIRE(http_post(port, "/v1/reload").status == 422);
  check_counts(1, 1, 2);
  dir.write("meridian.yaml", config);
  REQUIRE(http_post(port, "/v1/reload").status == 200);
  check_counts(2, 1, 3);
}

TEST_CASE("promtool check metrics accepts the scrape") {
  const std::string promtool = "/usr/bin/promtool";
  if (access(promtool.c_str(), X_OK) != 0) {
    if (std::getenv("CI"))
      FAIL(promtool << " is missing: install Debian's prometheus package (setup.sh does)");
    MESSAGE(promtool << " is missing: the promtool check is skipped (it fails where CI is set)");
    return;
  }
  HttpBackend backend("127.0.0.11");
  Server server(fill(R"(
zones:
  - origin: example.test
    file: {ZONES}/routing.example.test.zone
profiles:
  - name: web
    fqdn: web.example.test
    method: priority
    monitor: {protocol: http, path: /, interval: 200ms, timeout: 100ms, tolerated_failures: 1}
    endpoints:
      - {name: primary, target: 127.0.0.11, monitor: {port: PORT}}
      - {name: secondary, target: 127.0.0.12, always_serve: true}
)",
                     {{"PORT", std::to_string(backend.port())}}));
  // Every kind of series present: queries, a REFUSED, a probe histogram with counts, an override.
  query_udp(server.port(), "web.example.test.", LDNS_RR_TYPE_A);
  query_udp(server.port(), "nowhere.invalid.", LDNS_RR_TYPE_A);
  REQUIRE(http_post(server.control_port(), "/v1/profiles/web/endpoints/secondary/drain").status == 200);
  std::string text;
  REQUIRE(eventually([&] {
    text = scrape_text(server.control_port());
    std::string error;
    const auto scraped = parse_exposition(text, error);
    return scraped && scraped->value("meridian_probe_duration_seconds_count",
                                     {{"profile", "web"}, {"endpoint", "primary"}})
                              .value_or(0) > 0;
  }));
  const auto run = run_with_input({promtool, "check", "metrics"}, text, 20s);
  REQUIRE_MESSAGE(run.finished, "promtool did not finish in 20 s; killed\n" << run.out);
  CHECK_MESSAGE(run.exit_code == 0, "promtool check metrics: exit " << run.exit_code << "\n" << run.out);
}
