// Parses latency CSV files: one measured round-trip time per client network and location.
#include "conf/latency_table.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "conf/config.h"

namespace meridian::conf {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::shared_ptr<const model::LatencyTable> read_latency_table(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ConfigError(path, 0, "cannot read the latency table");
  // Rows for the same network may be spread over the file: gather them before building.
  std::map<std::string, std::pair<geo::Cidr, model::LatencyRow>> rows;
  std::map<std::string, int> first_line;
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    const auto text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    if (number == 1 && text.starts_with("client_cidr")) continue;  // a header line
    std::string_view fields[3];
    size_t count = 0;
    size_t start = 0;
    while (count < 3) {
      const auto comma = text.find(',', start);
      fields[count++] = trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (count != 3 || text.find(',', start) != std::string_view::npos)
      throw ConfigError(path, number, "expected three fields: client_cidr,location,rtt_ms");
    auto cidr = geo::Cidr::parse(fields[0]);
    if (!cidr)
      throw ConfigError(path, number, fmt::format("\"{}\" is not a CIDR prefix with no host bits set", fields[0]));
    if (fields[1].empty()) throw ConfigError(path, number, "the location is empty");
    double rtt = 0;
    auto [end, error] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), rtt);
    if (error != std::errc{} || end != fields[2].data() + fields[2].size() || !std::isfinite(rtt) || rtt < 0)
      throw ConfigError(path, number, fmt::format("rtt_ms \"{}\" is not a non-negative number", fields[2]));
    auto& entry = rows.try_emplace(cidr->to_string(), *cidr, model::LatencyRow{}).first->second;
    first_line.try_emplace(cidr->to_string(), number);
    for (const auto& [location, _] : entry.second)
      if (location == fields[1])
        throw ConfigError(path, number, fmt::format("{} and {} are measured twice", fields[0], fields[1]));
    entry.second.emplace_back(std::string(fields[1]), rtt);
  }
  auto table = std::make_shared<model::LatencyTable>();
  for (auto& [key, entry] : rows) table->insert(entry.first, std::move(entry.second));
  table->freeze();
  return table;
}

}  // namespace meridian::conf
