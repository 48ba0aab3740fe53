// server/: the entry points behind the `meridian` subcommands.
#pragma once

#include <string>
#include <vector>

namespace meridian::server {

struct ServeOptions {
  std::string config_file;
  std::vector<std::string> listen;  // overrides server.listen when not empty
  std::string control;              // overrides server.control when not empty
};

// Each returns the process exit code: 0 ok, 1 bad config or input, 2 runtime failure.
int serve(const ServeOptions& options);
int check(const std::string& config_file);

struct ExplainOptions {
  std::string config_file;
  std::string client;  // IP or IP/PREFIX
  std::string type = "A";
  std::string name;
};
int explain(const ExplainOptions& options);

// Sets up the log format, "level component: message key=value", on stderr.
void init_logging();

}  // namespace meridian::server
