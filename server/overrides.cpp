// Admin overrides: the set, its state file (atomic writes) and its application to a health table.
#include "server/overrides.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace meridian::server {

namespace {

std::optional<probes::Override> parse_override(const std::string& text) {
  if (text == "drain") return probes::Override::drain;
  if (text == "force-up") return probes::Override::force_up;
  return std::nullopt;
}

std::optional<Clock::time_point> parse_time(const std::string& text) {
  // iso_time()'s form; the fraction is read as a fraction (".5" is 500 ms), whole text or nothing.
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  size_t at = static_cast<size_t>(consumed);
  int millis = 0;
  if (at < text.size() && text[at] == '.') {
    int scale = 100;
    size_t digits = 0;
    for (++at; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, ++digits) {
      millis += (text[at] - '0') * scale;
      scale /= 10;
    }
    if (digits == 0) return std::nullopt;
  }
  if (at + 1 != text.size() || text[at] != 'Z') return std::nullopt;
  // timegm() would quietly roll month 13 or second 61 over into another time.
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0 || millis < 0 ||
      millis > 999)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t seconds = timegm(&tm);
  if (seconds < 0) return std::nullopt;
  return Clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

[[noreturn]] void fail(const std::string& file, const std::string& reason) {
  throw StateFileError(fmt::format("{}: {}", file, reason));
}

void write_all(int fd, const std::string& text, const std::string& file) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(file, std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string iso_time(Clock::time_point at) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const time_t seconds = static_cast<time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, millis % 1000);
}

Overrides Overrides::load(const std::string& file) {
  Overrides overrides;
  std::ifstream in(file);
  if (!in) {
    if (errno == ENOENT) return overrides;
    fail(file, std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& error) {
    fail(file, fmt::format("not JSON: {}", error.what()));
  }
  if (!json.is_object() || !json.contains("version") || !json["version"].is_number_integer() ||
      json["version"].get<int64_t>() != 1 || !json.contains("overrides") || !json["overrides"].is_array())
    fail(file, "not a Meridian state file (version 1 with an \"overrides\" list)");
  size_t index = 0;
  for (const auto& item : json["overrides"]) {
    const auto where = fmt::format("overrides[{}]", index++);
    if (!item.is_object() || !item.contains("profile") || !item["profile"].is_string() ||
        !item.contains("endpoint") || !item["endpoint"].is_string() || !item.contains("override") ||
        !item["override"].is_string())
      fail(file, where + " needs string fields profile, endpoint and override");
    const auto value = parse_override(item["override"].get<std::string>());
    if (!value) fail(file, where + ": override must be \"drain\" or \"force-up\"");
    OverrideEntry entry{*value, Clock::now()};
    if (item.contains("since") && item["since"].is_string()) {
      const auto since = parse_time(item["since"].get<std::string>());
      if (!since) fail(file, where + ": since is not a time like 2026-12-02T12:00:00.000Z");
      entry.since = *since;
    }
    overrides.set({item["profile"].get<std::string>(), item["endpoint"].get<std::string>()}, entry);
  }
  return overrides;
}

void Overrides::save(const std::string& file) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, entry] : entries_)
    list.push_back({{"profile", key.first},
                    {"endpoint", key.second},
                    {"override", probes::to_string(entry.value)},
                    {"since", iso_time(entry.since)}});
  const std::string text = nlohmann::json{{"version", 1}, {"overrides", list}}.dump(2) + "\n";

  const std::string temporary = file + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(temporary, std::strerror(errno));
  try {
    write_all(fd, text, temporary);
    if (::fsync(fd) != 0) fail(temporary, std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(file, std::strerror(error));
  }
  // The rename is durable only once the folder is.
  const auto slash = file.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void Overrides::set(const Key& key, OverrideEntry entry) {
  if (entry.value == probes::Override::none)
    entries_.erase(key);
  else
    entries_[key] = entry;
}

const OverrideEntry* Overrides::find(const Key& key) const {
  const auto found = entries_.find(key);
  return found == entries_.end() ? nullptr : &found->second;
}

std::vector<Overrides::Key> Overrides::apply(const model::Config& config, probes::HealthTable& health) {
  std::map<Key, OverrideEntry> kept;
  for (const auto& profile : config.profiles)
    for (const auto& endpoint : profile.endpoints) {
      const auto found = entries_.find({profile.name, endpoint.name});
      if (found == entries_.end()) continue;
      health.set_override(endpoint.id, found->second.value);
      kept.insert(*found);
    }
  std::vector<Key> dropped;
  for (const auto& [key, entry] : entries_)
    if (!kept.count(key)) dropped.push_back(key);
  entries_ = std::move(kept);
  return dropped;
}

}  // namespace meridian::server
