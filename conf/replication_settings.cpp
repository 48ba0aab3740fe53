// Reads the `replication:` section, checking what can be checked before etcd is reached.
#include "conf/replication_settings.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>

namespace meridian::conf {
namespace {

// Site names become etcd key segments and metric labels: keep them to what needs no escaping.
bool valid_site(const std::string& site) {
  if (site.empty() || site.size() > 63) return false;
  for (const char c : site)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

std::string read_password(const YamlReader& reader, const YAML::Node& node, const std::string& file) {
  std::string text = reader.file_contents(node, file, "password_file");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) reader.fail(node, fmt::format("password_file {} is empty", file));
  return text;
}

}  // namespace

model::ReplicationSettings read_replication(const YamlReader& reader, const YAML::Node& node) {
  model::ReplicationSettings settings;
  settings.enabled = true;
  settings.line = YamlReader::line_of(node);
  reader.require_map(node, "replication");
  const auto f = reader.check_keys(node,
                                   {"site", "etcd", "prefix", "healthy_when", "lease_ttl", "timeout", "tls",
                                    "username", "password_file"},
                                   "replication");
  if (!f["site"]) reader.fail(node, "replication needs a site: this replica's name among the replicas");
  settings.site = reader.string(f["site"], "replication site");
  if (!valid_site(settings.site))
    reader.fail(f["site"], fmt::format("site \"{}\" must be 1..63 letters, digits, '-', '_' or '.'", settings.site));

  if (!f["etcd"]) reader.fail(node, "replication needs etcd: the client URLs of the etcd members");
  reader.require_sequence(f["etcd"], "replication etcd");
  std::set<std::string> seen;
  for (const auto& entry : f["etcd"]) {
    auto url = reader.string(entry, "etcd URL");
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    const bool tls = url.starts_with("https://");
    if (!(tls || url.starts_with("http://")) || url.find('/', tls ? 8 : 7) != std::string::npos ||
        url.size() <= (tls ? 8u : 7u))
      reader.fail(entry, fmt::format("etcd URL \"{}\" must be http://HOST:PORT or https://HOST:PORT", url));
    if (!seen.insert(url).second) reader.fail(entry, fmt::format("etcd URL {} is listed twice", url));
    settings.etcd.push_back(url);
  }
  if (settings.etcd.empty()) reader.fail(f["etcd"], "replication etcd lists no URL");

  if (const auto& n = f["prefix"]) {
    settings.prefix = reader.string(n, "replication prefix");
    if (!settings.prefix.starts_with('/')) reader.fail(n, "prefix must start with '/'");
    if (!settings.prefix.ends_with('/')) settings.prefix += '/';
  }
  if (const auto& n = f["healthy_when"]) {
    const auto text = reader.string(n, "healthy_when");
    if (text != "majority") {
      const double fraction = reader.real(n, "healthy_when");
      if (!(fraction > 0 && fraction < 1))
        reader.fail(n, "healthy_when must be majority or a fraction between 0 and 1 (Route 53 uses 0.18)");
      settings.healthy_fraction = fraction;
    }
  }
  if (const auto& n = f["lease_ttl"]) {
    settings.lease_ttl = reader.duration(n, "lease_ttl");
    // etcd leases are whole seconds; below 2 s one keep-alive delay would expire them.
    if (settings.lease_ttl < std::chrono::seconds(2) || settings.lease_ttl > std::chrono::minutes(5) ||
        settings.lease_ttl.count() % 1000 != 0)
      reader.fail(n, "lease_ttl must be whole seconds from 2s to 5m");
  }
  if (const auto& n = f["timeout"]) {
    settings.timeout = reader.duration(n, "replication timeout");
    if (settings.timeout < std::chrono::milliseconds(100))
      reader.fail(n, "replication timeout must be at least 100ms");
  }
  if (settings.timeout * 3 > settings.lease_ttl)
    reader.fail(f["timeout"] ? f["timeout"] : node,
                "replication timeout must be at most a third of lease_ttl, or one slow request would let the lease expire");
  if (const auto& n = f["tls"]) {
    const auto t = reader.check_keys(n, {"ca", "cert", "key"}, "replication tls");
    // Read now, as password_file is: a missing file is a config error, not a replica that
    // silently never joins.
    const auto readable = [&](const YAML::Node& v, const char* what) {
      auto file = reader.path(v, what);
      reader.file_contents(v, file, what);
      return file;
    };
    if (const auto& v = t["ca"]) settings.ca_file = readable(v, "tls ca");
    if (const auto& v = t["cert"]) settings.cert_file = readable(v, "tls cert");
    if (const auto& v = t["key"]) settings.key_file = readable(v, "tls key");
    if (settings.cert_file.empty() != settings.key_file.empty())
      reader.fail(n, "tls cert and key go together");
    for (const auto& url : settings.etcd)
      if (url.starts_with("http://"))
        reader.fail(n, fmt::format("tls is set but etcd URL {} is plain http://; write https://", url));
  }
  if (const auto& n = f["username"]) settings.username = reader.string(n, "replication username");
  if (const auto& n = f["password_file"]) {
    if (settings.username.empty()) reader.fail(n, "password_file needs a username");
    settings.password = read_password(reader, n, reader.path(n, "password_file"));
  } else if (!settings.username.empty()) {
    reader.fail(f["username"], "username needs a password_file");
  }
  return settings;
}

}  // namespace meridian::conf
