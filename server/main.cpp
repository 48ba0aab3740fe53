// The `meridian` command line: serve, check, explain.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include "server/server.h"

int main(int argc, char** argv) {
  // No fastbins: yaml-cpp frees a large config's millions of small nodes, and consolidating
  // fastbins took a tenth of loading 10,000 profiles (2.00 -> 1.76 s, `meridian check` on
  // bench/make-scale-config.py output). Small allocations still go through the thread caches.
  mallopt(M_MXFAST, 0);
  CLI::App app{"Meridian: an authoritative DNS server that sends each client to the nearest healthy endpoint"};
  app.require_subcommand(1);

  meridian::server::ServeOptions serve;
  auto* serve_command = app.add_subcommand("serve", "Serve the zones and traffic profiles of a config");
  serve_command->add_option("--config", serve.config_file, "YAML config file")->required();
  serve_command->add_option("--listen", serve.listen, "ADDR:PORT to listen on (UDP and TCP); repeatable");
  serve_command->add_option("--control", serve.control, "ADDR:PORT for the control API");

  std::string check_file;
  auto* check_command = app.add_subcommand("check", "Validate a config and its zone files");
  check_command->add_option("--config", check_file, "YAML config file")->required();

  meridian::server::ExplainOptions explain;
  auto* explain_command = app.add_subcommand("explain", "Show the answer a client gets, and why");
  explain_command->add_option("--config", explain.config_file, "YAML config file")->required();
  explain_command->add_option("--client", explain.client, "client IP or IP/PREFIX")->required();
  explain_command->add_option("--type", explain.type, "A or AAAA")->check(CLI::IsMember({"A", "AAAA"}));
  explain_command->add_option("name", explain.name, "the name to look up")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 1;
  }
  meridian::server::init_logging();
  if (*serve_command) return meridian::server::serve(serve);
  if (*check_command) return meridian::server::check(check_file);
  return meridian::server::explain(explain);
}
