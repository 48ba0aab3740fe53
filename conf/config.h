// conf/: reads the YAML config and its zone files into a validated model::Config.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "conf/model.h"

namespace meridian::conf {

// A config that cannot be used. what() is "FILE:LINE: reason", ready to print.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string reason);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  int line_;
  std::string reason_;
};

// Reads and validates `path` and every zone file it names. Throws ConfigError.
std::shared_ptr<const model::Config> load(const std::string& path);

// The same, from YAML text; `path` names it in messages and anchors relative paths.
std::shared_ptr<const model::Config> load_from_string(std::string_view yaml, const std::string& path);

// Domain names: presentation form <-> lower-cased uncompressed wire form.
// Throws std::invalid_argument for a malformed name.
model::WireName to_wire_name(std::string_view presentation);
std::string from_wire_name(std::string_view wire);
// The name one label up, in wire form ("" above the root).
std::string_view parent_wire_name(std::string_view wire);

}  // namespace meridian::conf
