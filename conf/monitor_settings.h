// Monitor settings as written (every key optional) and their merge into a model::Monitor.
#pragma once

#include <optional>

#include "conf/model.h"
#include "conf/yaml_reader.h"

namespace meridian::conf {

// What one `monitor:` mapping says; unset keys inherit from the level above.
struct MonitorSettings {
  std::optional<model::MonitorProtocol> protocol;
  std::optional<uint16_t> port;
  std::optional<std::string> path;
  std::optional<std::vector<std::pair<std::string, std::string>>> headers;
  std::optional<model::Duration> interval;
  std::optional<model::Duration> timeout;
  std::optional<unsigned> tolerated_failures;
  std::optional<unsigned> healthy_threshold;
  std::optional<std::vector<model::StatusRange>> expected_status;
  std::optional<bool> tls_verify;
  int line = 0;  // of the mapping that set timeout or interval last, for the timeout check

  // The keys of `over` win.
  MonitorSettings merged_with(const MonitorSettings& over) const;
};

MonitorSettings read_monitor(const YamlReader& reader, const YAML::Node& node);

// Applies Azure's defaults to what is unset; throws ConfigError if timeout >= interval.
model::Monitor resolve_monitor(const YamlReader& reader, const MonitorSettings& settings);

}  // namespace meridian::conf
