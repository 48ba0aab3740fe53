// The `meridian` command line: serve, check, explain, ctl, simulate.
#include <malloc.h>

#include <CLI/CLI.hpp>

#include "server/server.h"
#include "sim/sim.h"

int main(int argc, char** argv) {
  // No fastbins: yaml-cpp frees a large config's millions of small nodes, and consolidating
  // fastbins took a tenth of loading 10,000 profiles (2.00 -> 1.76 s, `meridian check` on
  // bench/make-scale-config.py output). Small allocations still go through the thread caches.
  mallopt(M_MXFAST, 0);
  CLI::App app{
      "Meridian: an authoritative DNS server that sends each client to the nearest healthy endpoint"};
  app.require_subcommand(1);

  meridian::server::ServeOptions serve;
  auto* serve_command = app.add_subcommand("serve", "Serve the zones and traffic profiles of a config");
  serve_command->add_option("--config", serve.config_file, "YAML config file")->required();
  serve_command->add_option("--listen", serve.listen, "ADDR:PORT to listen on (UDP and TCP); repeatable");
  serve_command->add_option("--control", serve.control, "ADDR:PORT for the control API");
  serve_command->add_flag("--allow-root", serve.allow_root,
                          "stay root when started as root with no server.user (as server.allow_root: true)");

  std::string check_file;
  auto* check_command = app.add_subcommand("check", "Validate a config and its zone files");
  check_command->add_option("--config", check_file, "YAML config file")->required();

  meridian::server::ExplainOptions explain;
  auto* explain_command = app.add_subcommand("explain", "Show the answer a client gets, and why");
  explain_command->add_option("--config", explain.config_file, "YAML config file")->required();
  explain_command->add_option("--client", explain.client, "client IP or IP/PREFIX")->required();
  explain_command->add_option("--type", explain.type, "A or AAAA")->check(CLI::IsMember({"A", "AAAA"}));
  explain_command->add_option("name", explain.name, "the name to look up")->required();

  meridian::server::CtlOptions ctl;
  auto* ctl_command = app.add_subcommand("ctl", "Talk to a running server's control API");
  ctl_command->add_option("command", ctl.command, "status, drain, enable, force-up, auto or reload")
      ->required()
      ->check(CLI::IsMember({"status", "drain", "enable", "force-up", "auto", "reload"}));
  ctl_command->add_option("endpoint", ctl.target, "PROFILE/ENDPOINT (drain, enable, force-up, auto)");
  ctl_command->add_option("--control", ctl.control, "ADDR:PORT of the control API (default 127.0.0.1:8053)");
  ctl_command->add_option("--token-file", ctl.token_file, "file holding the control token");
  ctl_command->add_option("--config", ctl.config_file, "take --control and --token-file from this config");
  ctl_command->add_flag("--json", ctl.json, "print the server's JSON reply");
  ctl_command->add_flag("--force", ctl.force, "drain even the last available endpoint of a profile");

  meridian::sim::SimulateOptions simulate;
  auto* simulate_command = app.add_subcommand(
      "simulate", "Rehearse a failover: fake regions, a fault timeline, who got which answer when");
  simulate_command->add_option("scenario", simulate.scenario, "scenario YAML file")->required();
  simulate_command->add_flag("--virtual", simulate.virtual_time,
                             "run on a simulated clock (same routing and probe policy, no sockets)");
  simulate_command->add_option("--json", simulate.json_file, "write the report as JSON to FILE");
  simulate_command->add_option("--svg", simulate.svg_file, "write the report as an SVG timeline to FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 1;
  }
  meridian::server::init_logging();
  if (*serve_command) return meridian::server::serve(serve);
  if (*check_command) return meridian::server::check(check_file);
  if (*ctl_command) return meridian::server::ctl(ctl);
  if (*simulate_command) return meridian::sim::simulate(simulate);
  return meridian::server::explain(explain);
}
