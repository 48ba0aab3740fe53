// server/: the entry points behind the `meridian` subcommands.
#pragma once

#include <string>
#include <vector>

namespace meridian::server {

struct ServeOptions {
  std::string config_file;
  std::vector<std::string> listen;  // overrides server.listen when not empty
  std::string control;              // overrides server.control when not empty
  bool allow_root = false;          // as server.allow_root: true
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

struct CtlOptions {
  std::string command;      // status|drain|enable|force-up|auto|reload
  std::string target;       // PROFILE/ENDPOINT for the overrides
  std::string control;      // ADDR:PORT; default: the config's server.control, else 127.0.0.1:8053
  std::string token_file;   // default: the config's server.control_token_file
  std::string config_file;  // optional: where control and token_file come from
  bool json = false;
  bool force = false;
};
// Exit 0 when the server said yes, 1 with its error message otherwise.
int ctl(const CtlOptions& options);

// Sets up the log format, "level component: message key=value", on stderr.
void init_logging();

}  // namespace meridian::server
