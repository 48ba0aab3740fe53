// Typed, strict access to YAML nodes: every mistake becomes a ConfigError with FILE:LINE.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.h"
#include "conf/model.h"

namespace meridian::conf {

// A mapping's values by key, gathered in one pass: yaml-cpp's node["key"] walks the whole map
// and builds temporaries each time, which dominated loading configs with thousands of profiles.
class Fields {
 public:
  // An undefined node (false in a condition) when the key is absent.
  const YAML::Node& operator[](std::string_view key) const;

 private:
  friend class YamlReader;
  std::vector<std::pair<std::string_view, YAML::Node>> entries_;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  static int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& reason) const;

  void require_map(const YAML::Node& node, std::string_view what) const;
  // Rejects any key of `map` not in `allowed` (typos must not be ignored silently), repeated
  // keys and keys without a value; returns the values. `allowed` must outlive the result
  // (string literals do).
  Fields check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                    std::string_view what) const;
  void require_sequence(const YAML::Node& node, std::string_view what) const;

  std::string string(const YAML::Node& node, std::string_view what) const;
  bool boolean(const YAML::Node& node, std::string_view what) const;
  long integer(const YAML::Node& node, std::string_view what, long min, long max) const;
  double real(const YAML::Node& node, std::string_view what) const;
  // "10s", "500ms", "2m", "1h", "1.5s".
  model::Duration duration(const YAML::Node& node, std::string_view what) const;
  geo::SocketAddress socket_address(const YAML::Node& node, std::string_view what) const;
  // A relative path is taken relative to the config file's folder.
  std::string path(const YAML::Node& node, std::string_view what) const;
  // The whole of `file`, which `node` names as `what`; a folder or a file that cannot be read
  // fails at the node's line ("WHAT FILE: reason").
  std::string file_contents(const YAML::Node& node, const std::string& file, std::string_view what) const;

 private:
  std::string file_;
};

}  // namespace meridian::conf
