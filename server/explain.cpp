// `meridian explain`: the answer a client would get for a traffic-managed name, and why.
#include <fmt/format.h>

#include "conf/config.h"
#include "probes/probes.h"
#include "server/server.h"
#include "server/snapshot.h"

namespace meridian::server {

int explain(const ExplainOptions& options) {
  std::shared_ptr<const model::Config> config;
  std::unique_ptr<Snapshot> snapshot;
  try {
    config = conf::load(options.config_file);
    auto health = std::make_shared<probes::HealthTable>(config->endpoint_count);
    probes::publish_initial_statuses(*config, *health);
    snapshot = std::make_unique<Snapshot>(config, health);
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  }

  routing::Client client;
  const auto slash = options.client.find('/');
  auto address = geo::Address::parse(options.client.substr(0, slash));
  if (!address) {
    fmt::print(stderr, "--client \"{}\" is not an IP address or IP/PREFIX\n", options.client);
    return 1;
  }
  client.address = *address;
  client.source_prefix = address->max_prefix();
  if (slash != std::string::npos) {
    auto cidr = geo::Cidr::parse(options.client);
    if (!cidr) {
      fmt::print(stderr, "--client \"{}\": the prefix is not valid or has host bits set\n", options.client);
      return 1;
    }
    client.source_prefix = cidr->prefix;
  }

  model::WireName name;
  try {
    name = conf::to_wire_name(options.name);
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  }
  const model::Profile* profile = snapshot->profile_for(name);
  if (!profile) {
    fmt::print(stderr, "{} is not a traffic-managed name in {} (no profile has this fqdn)\n",
               options.name, options.config_file);
    return 1;
  }

  // No probe has run: monitored endpoints are CheckingEndpoint, which routing counts as available.
  routing::Context context{*config, snapshot->health(), snapshot->geo(), config->geo.latency.get()};
  routing::Random random(1);
  routing::Trace trace;
  const uint16_t qtype = options.type == "AAAA" ? 28 : 1;
  const auto answer = routing::answer(context, *profile, client, qtype, random, &trace);

  fmt::print("{} {} for client {}\n", options.name, options.type, options.client);
  for (const auto& step : trace.steps) fmt::print("  {}\n", step);
  if (answer.kind == routing::Answer::Kind::nodata || answer.count == 0) {
    fmt::print("answer: NODATA (no record of this type)\n");
  } else {
    for (size_t i = 0; i < answer.count; ++i) {
      const auto& endpoint = *answer.endpoints[i];
      if (answer.kind == routing::Answer::Kind::cname && endpoint.flatten)
        // explain starts no resolver: what the server answers is named, not shown.
        fmt::print("answer: {} {} IN {} (flattened: the {} records of {} as the server last resolved "
                   "them; NODATA while it has none)\n",
                   options.name, answer.ttl, qtype == 28 ? "AAAA" : "A", qtype == 28 ? "AAAA" : "A",
                   endpoint.fqdn);
      else if (answer.kind == routing::Answer::Kind::cname)
        fmt::print("answer: {} {} IN CNAME {}.\n", options.name, answer.ttl, endpoint.fqdn);
      else
        fmt::print("answer: {} {} IN {} {} (endpoint {})\n", options.name, answer.ttl,
                   endpoint.address.family == geo::Family::v4 ? "A" : "AAAA",
                   endpoint.address.to_string(), endpoint.name);
    }
  }
  fmt::print("ecs scope: /{}\n", answer.scope_prefix);
  return 0;
}

}  // namespace meridian::server
