// Strict conversions of YAML scalars (strings, numbers, durations, addresses, paths).
#include "conf/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace meridian::conf {

void YamlReader::fail(const YAML::Node& node, const std::string& reason) const {
  throw ConfigError(file_, line_of(node), reason);
}

void YamlReader::require_map(const YAML::Node& node, std::string_view what) const {
  if (!node.IsMap()) fail(node, fmt::format("{} must be a mapping", what));
}

const YAML::Node& Fields::operator[](std::string_view key) const {
  static const YAML::Node undefined(YAML::NodeType::Undefined);
  for (const auto& [name, value] : entries_)
    if (name == key) return value;
  return undefined;
}

Fields YamlReader::check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                              std::string_view what) const {
  require_map(map, what);
  Fields fields;
  for (const auto& entry : map) {
    const auto& key = entry.first.Scalar();
    const std::string_view* known = nullptr;
    for (const auto& name : allowed)
      if (name == key) known = &name;
    if (!known) {
      std::string list;
      for (auto name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      fail(entry.first, fmt::format("unknown key \"{}\" in {} (expected one of: {})", key, what, list));
    }
    // yaml-cpp keeps one of two equal keys silently; a repeated key is almost always a mistake.
    if (fields[*known]) fail(entry.first, fmt::format("key \"{}\" appears twice in {}", key, what));
    // yaml-cpp marks an empty value at the next token, often the next line: blame the key.
    if (entry.second.IsNull()) fail(entry.first, fmt::format("key \"{}\" in {} has no value", key, what));
    fields.entries_.emplace_back(*known, entry.second);
  }
  return fields;
}

void YamlReader::require_sequence(const YAML::Node& node, std::string_view what) const {
  if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
}

std::string YamlReader::string(const YAML::Node& node, std::string_view what) const {
  if (!node.IsScalar()) fail(node, fmt::format("{} must be a string", what));
  return node.Scalar();
}

bool YamlReader::boolean(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) {
    const auto& text = node.Scalar();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  fail(node, fmt::format("{} must be true or false", what));
}

long YamlReader::integer(const YAML::Node& node, std::string_view what, long min, long max) const {
  long value = 0;
  if (node.IsScalar()) {
    const auto& text = node.Scalar();
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc{} && end == text.data() + text.size() && !text.empty()) {
      if (value < min || value > max)
        fail(node, fmt::format("{} must be between {} and {}, not {}", what, min, max, value));
      return value;
    }
  }
  fail(node, fmt::format("{} must be a whole number", what));
}

double YamlReader::real(const YAML::Node& node, std::string_view what) const {
  if (node.IsScalar()) {
    const auto& text = node.Scalar();
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc{} && end == text.data() + text.size() && !text.empty() &&
        std::isfinite(value))
      return value;
  }
  fail(node, fmt::format("{} must be a number", what));
}

model::Duration YamlReader::duration(const YAML::Node& node, std::string_view what) const {
  // Parsed exactly, digit by digit: 2.01s is 2010ms, not 2009.9999... as a double would make it.
  constexpr long long longest = 24LL * 3'600'000;  // a day: longer is certainly a typo
  if (node.IsScalar()) {
    const std::string_view text = node.Scalar();
    size_t at = 0;
    long long whole = 0;
    long long fraction = 0;
    long long fraction_scale = 1;
    bool digits = false;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, digits = true) {
      whole = whole * 10 + (text[at] - '0');
      if (whole > longest) fail(node, fmt::format("{} is longer than a day", what));
    }
    if (at < text.size() && text[at] == '.') {
      for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, digits = true) {
        if (fraction_scale >= 1'000'000'000) fail(node, fmt::format("{} has too many decimals", what));
        fraction = fraction * 10 + (text[at] - '0');
        fraction_scale *= 10;
      }
    }
    const std::string_view unit = text.substr(at);
    long long scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    if (digits && scale > 0) {
      if ((fraction * scale) % fraction_scale != 0)
        fail(node, fmt::format("{} is finer than a millisecond", what));
      const long long ms = whole * scale + fraction * scale / fraction_scale;
      if (ms > longest) fail(node, fmt::format("{} is longer than a day", what));
      return model::Duration(ms);
    }
  }
  fail(node, fmt::format("{} must be a duration such as 10s or 500ms", what));
}

geo::SocketAddress YamlReader::socket_address(const YAML::Node& node, std::string_view what) const {
  auto text = string(node, what);
  auto parsed = geo::SocketAddress::parse(text);
  if (!parsed)
    fail(node, fmt::format("{} \"{}\" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)", what, text));
  return *parsed;
}

std::string YamlReader::path(const YAML::Node& node, std::string_view what) const {
  std::filesystem::path value = string(node, what);
  if (value.empty()) fail(node, fmt::format("{} is empty", what));
  if (value.is_relative()) value = std::filesystem::path(file_).parent_path() / value;
  return value.lexically_normal().string();
}

std::string YamlReader::file_contents(const YAML::Node& node, const std::string& file, std::string_view what) const {
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) fail(node, fmt::format("{} {} is a folder, not a file", what, file));
  std::ifstream in(file);
  if (!in) fail(node, fmt::format("{} {}: {}", what, file, std::strerror(errno)));
  try {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& failure) {
    fail(node, fmt::format("{} {}: {}", what, file, failure.what()));
  }
}

}  // namespace meridian::conf
