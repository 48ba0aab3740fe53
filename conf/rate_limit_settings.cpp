#include "conf/rate_limit_settings.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace meridian::conf {

model::RateLimitSettings read_rate_limit(const YamlReader& reader, const YAML::Node& node) {
  model::RateLimitSettings rrl;
  rrl.line = YamlReader::line_of(node);
  const auto f = reader.check_keys(
      node, {"enabled", "responses_per_second", "slip", "ipv4_prefix", "ipv6_prefix", "whitelist"}, "rrl");
  if (const auto& n = f["enabled"]) rrl.enabled = reader.boolean(n, "rrl enabled");
  // A bucket holds 16 * rate sixteenths of a token in 24 bits (server/rate_limiter.h).
  if (const auto& n = f["responses_per_second"])
    rrl.responses_per_second = reader.integer(n, "rrl responses_per_second", 1, 1000000);
  if (const auto& n = f["slip"]) rrl.slip = reader.integer(n, "rrl slip", 0, 100);
  if (const auto& n = f["ipv4_prefix"]) rrl.ipv4_prefix = reader.integer(n, "rrl ipv4_prefix", 8, 32);
  if (const auto& n = f["ipv6_prefix"]) rrl.ipv6_prefix = reader.integer(n, "rrl ipv6_prefix", 16, 128);
  auto table = std::make_shared<geo::CidrTable<uint8_t>>();
  if (const auto& n = f["whitelist"]) {
    reader.require_sequence(n, "rrl whitelist");
    for (const auto& entry : n) {
      const auto text = reader.string(entry, "whitelist prefix");
      const auto cidr = geo::Cidr::parse(text);
      if (!cidr)
        reader.fail(entry, fmt::format("whitelist prefix \"{}\" is not a CIDR prefix with no host bits set", text));
      try {
        table->insert(*cidr, 1);
      } catch (const std::invalid_argument&) {
        reader.fail(entry, fmt::format("whitelist prefix {} is listed twice", text));
      }
      rrl.whitelist.push_back(*cidr);
    }
  }
  table->freeze();
  rrl.whitelist_table = std::move(table);
  return rrl;
}

}  // namespace meridian::conf
