// Writes /metrics from the running generation, the snapshots reloads replaced, and the workers.
#include "server/metrics.h"

#include <fmt/format.h>

#include "routing/routing.h"

namespace meridian::server {

namespace {

const char* rcode_name(unsigned rcode) {
  static const char* const names[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode < std::size(names)) return names[rcode];
  if (rcode == 16) return "BADVERS";
  return nullptr;
}

template <typename... Args>
void append(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// A double as Prometheus reads it: shortest exact form.
std::string number(double value) {
  return fmt::format("{}", value);
}

}  // namespace

namespace {

// With `replication:`: the etcd session and what the sites say of each endpoint.
void write_replication(std::string& out, const replication::ReplicaReport& r) {
  header(out, "meridian_replication_info", "gauge", "1, labelled with this replica's site and quorum policy.");
  append(out, "meridian_replication_info{{site=\"{}\",healthy_when=\"{}\"}} 1\n", escape_label(r.site),
         escape_label(r.healthy_when));
  header(out, "meridian_replication_etcd_connected", "gauge",
         "1 while this replica has a session with etcd (lease, watch), 0 while it answers on its last view.");
  append(out, "meridian_replication_etcd_connected {}\n", r.connected ? 1 : 0);
  header(out, "meridian_replication_voting", "gauge",
         "1 while this site's verdicts are in etcd; 0 while disconnected, while another replica holds its "
         "site name, or while its probe loop is stalled.");
  append(out, "meridian_replication_voting {}\n", r.voting ? 1 : 0);
  header(out, "meridian_replication_live_sites", "gauge", "Sites whose lease holds, this one included.");
  append(out, "meridian_replication_live_sites {}\n", r.live_sites.size());
  header(out, "meridian_replication_etcd_errors_total", "counter", "etcd requests or watches that failed.");
  append(out, "meridian_replication_etcd_errors_total {}\n", r.errors);
  header(out, "meridian_replication_sessions_total", "counter", "Sessions with etcd begun (the first, and each reconnect).");
  append(out, "meridian_replication_sessions_total {}\n", r.connects);
  header(out, "meridian_replication_watch_events_total", "counter", "Key changes received from the etcd watch.");
  append(out, "meridian_replication_watch_events_total {}\n", r.events);
  header(out, "meridian_replication_writes_total", "counter", "Keys this replica wrote to or deleted from etcd.");
  append(out, "meridian_replication_writes_total {}\n", r.writes);
  header(out, "meridian_replication_pending_overrides", "gauge",
         "Overrides made while etcd was unreachable, not yet written to it.");
  append(out, "meridian_replication_pending_overrides {}\n", r.pending_overrides);
  header(out, "meridian_endpoint_sites", "gauge",
         "Live sites whose verdict on the endpoint is Online or Degraded (the votes the combined verdict counts).");
  for (const auto& [key, agreement] : r.endpoints) {
    const auto labels = fmt::format("profile=\"{}\",endpoint=\"{}\"", escape_label(key.first), escape_label(key.second));
    append(out, "meridian_endpoint_sites{{{},verdict=\"Online\"}} {}\n", labels, agreement.combined.online);
    append(out, "meridian_endpoint_sites{{{},verdict=\"Degraded\"}} {}\n", labels, agreement.combined.degraded);
  }
}

}  // namespace

std::string escape_label(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      escaped += "\\\\";
    else if (c == '"')
      escaped += "\\\"";
    else if (c == '\n')
      escaped += "\\n";
    else
      escaped += c;
  }
  return escaped;
}

void write_metrics(std::string& out, const Running& running,
                   const std::vector<std::unique_ptr<Worker>>& workers) {
  const model::Config& config = running.snapshot->config();

  AnswerTotals totals = running.freed_counts;
  totals.add(*running.snapshot);
  for (const auto& retired : running.retired) totals.add(*retired);

  header(out, "meridian_build_info", "gauge", "Meridian's version; always 1.");
  append(out, "meridian_build_info{{version=\"{}\"}} 1\n", MERIDIAN_VERSION);

  header(out, "meridian_queries_total", "counter",
         "DNS responses sent, by zone (empty: no zone of ours), rcode and transport.");
  // Every served zone appears with NOERROR on both transports even before its first query, so
  // rate() has a series to start from.
  for (size_t zone = 1; zone <= config.zones.size(); ++zone)
    for (bool tcp : {false, true}) totals.responses[{zone_label(config, zone), tcp}];
  for (const auto& [key, row] : totals.responses)
    for (unsigned rcode = 0; rcode < rcode_count; ++rcode) {
      const char* name = rcode_name(rcode);
      if (!name || (row[rcode] == 0 && rcode != 0)) continue;
      append(out, "meridian_queries_total{{zone=\"{}\",rcode=\"{}\",transport=\"{}\"}} {}\n",
             escape_label(key.first), name, key.second ? "tcp" : "udp", row[rcode]);
    }

  uint64_t dropped_udp = 0, dropped_tcp = 0, truncated = 0, opened = 0, closed = 0, rate_dropped = 0,
           rate_slipped = 0;
  // By the setting that did it, as operators will look for it.
  std::pair<const char*, uint64_t> limited[] = {{"tcp_max_connections_per_client", 0},
                                                {"tcp_max_connections", 0},
                                                {"tcp_max_queries_per_connection", 0},
                                                {"tcp_max_connection_time", 0},
                                                {"tcp_message_timeout", 0},
                                                {"tcp_idle_timeout", 0},
                                                {"stalled", 0}};
  for (const auto& worker : workers) {
    bool tcp_loop = true;  // visit_counters visits the TCP loop's first
    worker->visit_counters([&](const Counters& counters) {
      (tcp_loop ? dropped_tcp : dropped_udp) += counters.dropped.get();
      truncated += counters.truncated.get();
      rate_dropped += counters.rate_limit_dropped.get();
      rate_slipped += counters.rate_limit_slipped.get();
      opened += counters.tcp_opened.get();
      closed += counters.tcp_closed.get();
      const auto& by = counters.tcp_limited;
      const Counter* in_order[] = {&by.per_client,      &by.max_connections, &by.max_queries, &by.max_time,
                                   &by.message_timeout, &by.idle_timeout,    &by.stalled};
      for (size_t i = 0; i < std::size(limited); ++i) limited[i].second += in_order[i]->get();
      tcp_loop = false;
    });
  }
  header(out, "meridian_dropped_queries_total", "counter",
         "Messages that got no answer: shorter than a header, or themselves responses.");
  append(out, "meridian_dropped_queries_total{{transport=\"udp\"}} {}\n", dropped_udp);
  append(out, "meridian_dropped_queries_total{{transport=\"tcp\"}} {}\n", dropped_tcp);
  header(out, "meridian_truncated_responses_total", "counter", "UDP responses sent with TC set.");
  append(out, "meridian_truncated_responses_total {}\n", truncated);
  header(out, "meridian_rate_limited_responses_total", "counter",
         "UDP answers over the rate limit (rrl): dropped, or sent truncated so the client retries over TCP.");
  append(out, "meridian_rate_limited_responses_total{{action=\"dropped\"}} {}\n", rate_dropped);
  append(out, "meridian_rate_limited_responses_total{{action=\"slipped\"}} {}\n", rate_slipped);
  header(out, "meridian_tcp_connections_opened_total", "counter", "TCP connections accepted.");
  append(out, "meridian_tcp_connections_opened_total {}\n", opened);
  header(out, "meridian_tcp_connections_closed_total", "counter", "TCP connections closed.");
  append(out, "meridian_tcp_connections_closed_total {}\n", closed);
  header(out, "meridian_tcp_connections_open", "gauge", "TCP connections open now.");
  append(out, "meridian_tcp_connections_open {}\n", opened >= closed ? opened - closed : 0);
  header(out, "meridian_tcp_connections_limited_total", "counter",
         "TCP connections the server refused or ended, by the setting that did it (stalled: answers "
         "left unread).");
  for (const auto& [limit, count] : limited)
    append(out, "meridian_tcp_connections_limited_total{{limit=\"{}\"}} {}\n", limit, count);

  for (const auto& profile : config.profiles) {
    totals.profile_answers[profile.name];
    totals.profile_nodata[profile.name];
    for (const auto& endpoint : profile.endpoints) totals.endpoint_answers[{profile.name, endpoint.name}];
  }
  header(out, "meridian_profile_answers_total", "counter",
         "Queries routed by the profile (A, AAAA, other types without static data) answered with endpoints.");
  for (const auto& [name, count] : totals.profile_answers)
    append(out, "meridian_profile_answers_total{{profile=\"{}\"}} {}\n", escape_label(name), count);
  header(out, "meridian_profile_nodata_total", "counter",
         "Queries routed by the profile answered NODATA (no endpoint of the type, or the profile disabled).");
  for (const auto& [name, count] : totals.profile_nodata)
    append(out, "meridian_profile_nodata_total{{profile=\"{}\"}} {}\n", escape_label(name), count);
  header(out, "meridian_endpoint_answers_total", "counter",
         "Answers that carried an endpoint (its own profile; a nested answer counts its leaf).");
  for (const auto& [key, count] : totals.endpoint_answers)
    append(out, "meridian_endpoint_answers_total{{profile=\"{}\",endpoint=\"{}\"}} {}\n",
           escape_label(key.first), escape_label(key.second), count);

  // Health, from the running generation.
  const routing::Context context{config, running.snapshot->health(), running.snapshot->geo(),
                                 config.geo.latency.get()};
  const auto reports = running.probes->reports();
  static constexpr model::Status statuses[] = {model::Status::CheckingEndpoint, model::Status::Online,
                                               model::Status::Degraded,         model::Status::Disabled,
                                               model::Status::Inactive,         model::Status::Stopped,
                                               model::Status::NotMonitored};
  std::string status_lines, override_lines, result_lines, histogram_lines;
  for (const auto& profile : config.profiles)
    for (size_t i = 0; i < profile.endpoints.size(); ++i) {
      const auto& endpoint = profile.endpoints[i];
      const auto labels = fmt::format("profile=\"{}\",endpoint=\"{}\"", escape_label(profile.name),
                                      escape_label(endpoint.name));
      const model::Status current = routing::current_status(context, profile, i);
      for (const auto status : statuses)
        append(status_lines, "meridian_endpoint_status{{{},status=\"{}\"}} {}\n", labels,
               model::to_string(status), status == current ? 1 : 0);
      const auto* entry = running.overrides.find({profile.name, endpoint.name});
      for (const auto value : {probes::Override::drain, probes::Override::force_up})
        append(override_lines, "meridian_endpoint_override{{{},override=\"{}\"}} {}\n", labels,
               probes::to_string(value), entry && entry->value == value ? 1 : 0);
      if (endpoint.id >= reports.size() || !reports[endpoint.id].probed) continue;
      probes::ProbeStats stats;
      if (reports[endpoint.id].stats) stats = *reports[endpoint.id].stats;
      const auto replaced = running.replaced_probe_stats.find({profile.name, endpoint.name});
      if (replaced != running.replaced_probe_stats.end()) stats.add(replaced->second);
      append(result_lines, "meridian_probe_results_total{{{},result=\"success\"}} {}\n", labels,
             stats.successes);
      append(result_lines, "meridian_probe_results_total{{{},result=\"failure\"}} {}\n", labels,
             stats.failures);
      for (size_t b = 0; b < stats.at_most.size(); ++b)
        append(histogram_lines, "meridian_probe_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
               number(probes::ProbeStats::bounds[b]), stats.at_most[b]);
      append(histogram_lines, "meridian_probe_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
             stats.timed);
      append(histogram_lines, "meridian_probe_duration_seconds_sum{{{}}} {}\n", labels,
             number(stats.seconds));
      append(histogram_lines, "meridian_probe_duration_seconds_count{{{}}} {}\n", labels, stats.timed);
    }
  header(out, "meridian_endpoint_status", "gauge",
         "1 for the endpoint's status as routing sees it now (overrides applied), 0 for the others.");
  out += status_lines;
  header(out, "meridian_endpoint_override", "gauge", "1 where an admin override is set.");
  out += override_lines;
  header(out, "meridian_probe_results_total", "counter", "Health probe results, by endpoint.");
  out += result_lines;
  header(out, "meridian_probe_duration_seconds", "histogram", "How long health probes took, by endpoint.");
  out += histogram_lines;

  header(out, "meridian_reloads_total", "counter", "Config reloads (SIGHUP or the control API), by result.");
  append(out, "meridian_reloads_total{{result=\"ok\"}} {}\n", running.reloads_ok);
  append(out, "meridian_reloads_total{{result=\"failed\"}} {}\n", running.reloads_failed);
  header(out, "meridian_config_generation", "gauge",
         "The config generation serving: 1 at start, +1 per reload.");
  append(out, "meridian_config_generation {}\n", running.generation);
  header(out, "meridian_config_loaded_timestamp_seconds", "gauge",
         "When the serving config was loaded (Unix time).");
  append(out, "meridian_config_loaded_timestamp_seconds {}\n",
         std::chrono::duration_cast<std::chrono::seconds>(running.loaded_at.time_since_epoch()).count());
  header(out, "meridian_health_generation", "gauge", "Bumps on every endpoint status or override change.");
  std::optional<replication::ReplicaReport> replica;
  if (running.replica) replica = running.replica->report();
  append(out, "meridian_health_generation {}\n", running.health_generation());
  if (replica) write_replication(out, *replica);
}

}  // namespace meridian::server
