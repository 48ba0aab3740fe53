// loadgen/workload.cpp: query files, ECS client spreads from a MaxMind DB, geo expectations.
#include "loadgen/workload.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

namespace loadgen {
namespace {

struct MmdbCloser {
  void operator()(MMDB_s* database) const noexcept {
    MMDB_close(database);
    delete database;
  }
};
using MmdbHandle = std::unique_ptr<MMDB_s, MmdbCloser>;

MmdbHandle open_mmdb(const std::string& path) {
  auto database = std::make_unique<MMDB_s>();
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, database.get());
  if (status != MMDB_SUCCESS) throw std::runtime_error(path + ": " + MMDB_strerror(status));
  return MmdbHandle(database.release());
}

// A network found in the database's search tree.
struct Network {
  IpAddress base;
  unsigned prefix = 0;
};

bool bit_of(const std::array<uint8_t, 16>& bytes, unsigned bit) {
  return (bytes[bit / 8] >> (7 - bit % 8)) & 1;
}
void set_bit(std::array<uint8_t, 16>& bytes, unsigned bit, bool value) {
  const uint8_t mask = uint8_t(0x80 >> (bit % 8));
  if (value)
    bytes[bit / 8] |= mask;
  else
    bytes[bit / 8] &= uint8_t(~mask);
}

// IPv6 space that MaxMind databases alias to the IPv4 tree (::ffff:0:0/96, 2001::/32 Teredo,
// 2002::/16 6to4): walking it again would count IPv4 networks twice.
bool is_alias(const std::array<uint8_t, 16>& bytes, unsigned depth) {
  static const std::array<uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const std::array<uint8_t, 16> teredo{0x20, 0x01};
  static const std::array<uint8_t, 16> six_to_four{0x20, 0x02};
  auto under = [&](const std::array<uint8_t, 16>& prefix, unsigned length) {
    if (depth < length) return false;
    for (unsigned bit = 0; bit < length; ++bit)
      if (bit_of(bytes, bit) != bit_of(prefix, bit)) return false;
    return true;
  };
  return under(mapped, 96) || under(teredo, 32) || under(six_to_four, 16);
}

// Depth-first walk of the search tree, collecting every network that points at data.
void walk(const MMDB_s& database, uint32_t node, unsigned depth, std::array<uint8_t, 16>& bits,
          std::vector<Network>& out) {
  MMDB_search_node_s search_node;
  if (MMDB_read_node(&database, node, &search_node) != MMDB_SUCCESS) return;
  const bool v6_tree = database.metadata.ip_version == 6;
  const unsigned width = v6_tree ? 128 : 32;
  for (int side = 0; side < 2; ++side) {
    set_bit(bits, depth, side == 1);
    const auto type = side ? search_node.right_record_type : search_node.left_record_type;
    const auto record = side ? search_node.right_record : search_node.left_record;
    if (v6_tree && is_alias(bits, depth + 1)) continue;
    if (type == MMDB_RECORD_TYPE_SEARCH_NODE && depth + 1 < width) {
      walk(database, uint32_t(record), depth + 1, bits, out);
    } else if (type == MMDB_RECORD_TYPE_DATA) {
      Network network;
      const unsigned prefix = depth + 1;
      bool v4 = !v6_tree;
      if (v6_tree && prefix >= 96) {  // IPv4 lives at ::/96 in an IPv6 tree
        v4 = true;
        for (unsigned byte = 0; byte < 12; ++byte) v4 = v4 && bits[byte] == 0;
      }
      if (v4) {
        network.base.family = 4;
        const unsigned offset = v6_tree ? 12 : 0;
        for (unsigned byte = 0; byte < 4; ++byte) network.base.bytes[byte] = bits[offset + byte];
        network.prefix = v6_tree ? prefix - 96 : prefix;
      } else {
        network.base.family = 6;
        network.base.bytes = bits;
        network.prefix = prefix;
      }
      // Zero the host bits (bits past `prefix` are left from other branches).
      const unsigned family_width = v4 ? 32 : 128;
      for (unsigned bit = network.prefix; bit < family_width; ++bit) set_bit(network.base.bytes, bit, false);
      out.push_back(network);
    }
  }
  set_bit(bits, depth, false);
}

// The country a database gives for an address: GeoIP2 layout or the flat ip-location-db one.
std::string country_of(MMDB_s& database, const IpAddress& address) {
  sockaddr_storage storage{};
  if (address.family == 4) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    std::memcpy(&v4->sin_addr, address.bytes.data(), 4);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    std::memcpy(&v6->sin6_addr, address.bytes.data(), 16);
  }
  int error = 0;
  MMDB_lookup_result_s result = MMDB_lookup_sockaddr(&database, reinterpret_cast<sockaddr*>(&storage), &error);
  if (error != MMDB_SUCCESS || !result.found_entry) return "";
  MMDB_entry_data_s data;
  if (MMDB_get_value(&result.entry, &data, "country", "iso_code", nullptr) == MMDB_SUCCESS && data.has_data &&
      data.type == MMDB_DATA_TYPE_UTF8_STRING)
    return std::string(data.utf8_string, data.data_size);
  if (MMDB_get_value(&result.entry, &data, "country_code", nullptr) == MMDB_SUCCESS && data.has_data &&
      data.type == MMDB_DATA_TYPE_UTF8_STRING)
    return std::string(data.utf8_string, data.data_size);
  return "";
}

std::map<std::string, IpAddress> parse_geo_answers(const std::string& text) {
  std::map<std::string, IpAddress> answers;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto equals = item.find('=');
    auto address = equals == std::string::npos ? std::nullopt : IpAddress::parse(item.substr(equals + 1));
    if (!address) throw std::runtime_error("--geo-answers: \"" + item + "\" is not CODE=ADDRESS");
    answers[item.substr(0, equals)] = *address;
  }
  if (!answers.contains("*")) throw std::runtime_error("--geo-answers needs a default, *=ADDRESS");
  return answers;
}

// Picks `count` client subnets from the networks: random /24s (/56s) inside the bigger
// networks, the network itself when it is smaller, spread evenly over networks.
std::vector<ClientSubnet> pick_clients(const std::vector<Network>& networks, unsigned count, unsigned family,
                                       unsigned source_prefix, std::mt19937_64& random) {
  std::vector<ClientSubnet> clients;
  if (networks.empty() || count == 0) return clients;
  std::set<std::pair<std::array<uint8_t, 16>, unsigned>> seen;
  const unsigned width = family == 4 ? 32 : 128;
  for (unsigned attempt = 0; clients.size() < count && attempt < count * 20; ++attempt) {
    const Network& network = networks[random() % networks.size()];
    ClientSubnet client;
    client.address = network.base;
    client.source_prefix = uint8_t(std::max(source_prefix, network.prefix));
    for (unsigned bit = network.prefix; bit < client.source_prefix && bit < width; ++bit)
      set_bit(client.address.bytes, bit, random() & 1);
    if (seen.insert({client.address.bytes, client.source_prefix}).second) clients.push_back(client);
  }
  return clients;
}

}  // namespace

std::vector<QueryLine> read_query_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(path + ": cannot open");
  std::vector<QueryLine> lines;
  std::string text;
  for (unsigned number = 1; std::getline(file, text); ++number) {
    const auto hash = text.find('#');
    if (hash != std::string::npos) text.erase(hash);
    std::stringstream stream(text);
    std::string qname, qtype, rcode, answers, extra;
    if (!(stream >> qname)) continue;
    const std::string where = fmt::format("{}:{}", path, number);
    if (!(stream >> qtype >> rcode >> answers) || (stream >> extra))
      throw std::runtime_error(where + ": expected QNAME QTYPE RCODE ANSWERS");
    QueryLine line;
    line.source = where;
    line.qname = qname;
    if (!line.qname.empty() && line.qname.back() == '.') line.qname.pop_back();
    line.qtype = qtype_from_string(qtype);
    if (line.qtype == 0) throw std::runtime_error(where + ": unknown qtype " + qtype);
    line.expectation.rcode = rcode_from_string(rcode);
    if (line.expectation.rcode < -1) throw std::runtime_error(where + ": unknown rcode " + rcode);
    if (answers == "*") {
      line.expectation.answers = Expectation::Answers::anything;
    } else if (answers == "-") {
      line.expectation.answers = Expectation::Answers::none;
    } else if (answers == "geo") {
      line.expectation.answers = Expectation::Answers::any_of;
      line.geo = true;
    } else {
      line.expectation.answers = Expectation::Answers::any_of;
      std::stringstream list(answers);
      std::string item;
      while (std::getline(list, item, '|')) {
        auto address = IpAddress::parse(item);
        if (!address) throw std::runtime_error(where + ": \"" + item + "\" is not an address");
        line.expectation.allowed.push_back(*address);
      }
    }
    lines.push_back(std::move(line));
  }
  if (lines.empty()) throw std::runtime_error(path + ": no queries");
  return lines;
}

Workload build_workload(const WorkloadOptions& options) {
  const auto lines = read_query_file(options.query_file);
  std::mt19937_64 random(options.seed);
  Workload workload;

  std::vector<ClientSubnet> clients;
  MmdbHandle database;
  if (!options.geo_db.empty()) {
    database = open_mmdb(options.geo_db);
    std::vector<Network> networks;
    std::array<uint8_t, 16> bits{};
    walk(*database, 0, 0, bits, networks);
    std::vector<Network> v4, v6;
    for (const auto& network : networks) (network.base.family == 4 ? v4 : v6).push_back(network);
    const unsigned v4_count =
        v6.empty() ? options.ecs_clients : v4.empty() ? 0 : unsigned(options.ecs_clients * options.ecs_v4_share);
    clients = pick_clients(v4, v4_count, 4, options.ecs_v4_prefix, random);
    auto more = pick_clients(v6, options.ecs_clients - unsigned(clients.size()), 6, options.ecs_v6_prefix, random);
    clients.insert(clients.end(), more.begin(), more.end());
    if (clients.empty()) throw std::runtime_error(options.geo_db + ": no networks to draw clients from");
    workload.summary = fmt::format("{} client subnets ({} IPv4) from {} networks of {}", clients.size(),
                                   clients.size() - more.size(), networks.size(), options.geo_db);
  }

  std::map<std::string, IpAddress> geo_answers;
  const bool any_geo = std::any_of(lines.begin(), lines.end(), [](const auto& line) { return line.geo; });
  if (any_geo && options.check) {
    if (!database || options.geo_answers.empty())
      throw std::runtime_error("a query expects a geo answer: give --geo-db and --geo-answers");
    geo_answers = parse_geo_answers(options.geo_answers);
  }

  // One entry per client (cycling through the lines), or one per line without ECS.
  const size_t count = clients.empty() ? lines.size() : std::max(lines.size(), clients.size());
  std::map<std::string, unsigned> countries;
  for (size_t i = 0; i < count; ++i) {
    const QueryLine& line = lines[i % lines.size()];
    std::optional<ClientSubnet> subnet;
    if (!clients.empty()) subnet = clients[i % clients.size()];
    workload.queries.push_back(build_query(line.qname, line.qtype, options.edns || subnet.has_value(), subnet));
    workload.largest_query = std::max(workload.largest_query, workload.queries.back().size());
    if (!options.check) continue;
    Expectation expectation = line.expectation;
    if (line.geo) {
      // The server looks up the ECS address (host bits zeroed), so look up the same one.
      IpAddress looked_up = subnet->address;
      const unsigned width = looked_up.family == 4 ? 32 : 128;
      for (unsigned bit = subnet->source_prefix; bit < width; ++bit) set_bit(looked_up.bytes, bit, false);
      const std::string country = country_of(*database, looked_up);
      ++countries[country.empty() ? "unknown" : country];
      const auto found = geo_answers.find(country);
      expectation.allowed = {found != geo_answers.end() ? found->second : geo_answers.at("*")};
    }
    workload.expectations.push_back(std::move(expectation));
  }
  // Equal-length queries next to each other let the sender batch them with UDP GSO.
  std::vector<size_t> order(workload.queries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return workload.queries[a].size() < workload.queries[b].size();
  });
  Workload sorted;
  sorted.largest_query = workload.largest_query;
  for (size_t index : order) {
    sorted.queries.push_back(std::move(workload.queries[index]));
    if (!workload.expectations.empty()) sorted.expectations.push_back(std::move(workload.expectations[index]));
  }
  sorted.summary = fmt::format("{} distinct queries from {} line(s) of {}", sorted.queries.size(), lines.size(),
                               options.query_file);
  if (!workload.summary.empty()) sorted.summary += "; " + workload.summary;
  if (!countries.empty()) {
    std::vector<std::pair<unsigned, std::string>> by_count;
    for (const auto& [country, n] : countries) by_count.emplace_back(n, country);
    std::sort(by_count.rbegin(), by_count.rend());
    sorted.summary += fmt::format("; {} countries, top:", countries.size());
    for (size_t i = 0; i < by_count.size() && i < 6; ++i)
      sorted.summary += fmt::format(" {}={}", by_count[i].second, by_count[i].first);
  }
  return sorted;
}

}  // namespace loadgen
