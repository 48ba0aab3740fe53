// One zone's names arranged for authoritative lookups: exact names, empty non-terminals,
// delegations and wildcards (RFC 1034 4.3.2, RFC 4592). Records are kept in wire form, ready
// to be copied into a response.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/model.h"

namespace meridian::server {

struct RRset;

struct WireRecord {
  std::string rdata;     // uncompressed wire form
  int name_offset = -1;  // where the name inside rdata starts (NS, CNAME, PTR, MX, SRV), else -1
  // NS, MX, SRV: the A and AAAA RRsets of the name this record points at, where we hold them.
  std::vector<const RRset*> target_addresses;
};

struct RRset {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<WireRecord> records;
};

struct Node {
  std::vector<RRset> rrsets;  // empty for an empty non-terminal
  const RRset* find(uint16_t type) const;
};

// Transparent hashing so lookups take string_views into the query buffer.
// Wire names are short: eight bytes per step, mixed by multiplication, inline. std::hash's
// out-of-line Murmur took a tenth of a static answer (bench/answer-time.sh). The keys come from
// the config, so a query name cannot make a bucket longer than the config made it. Not
// noexcept on purpose: libstdc++ then stores each key's hash, and a miss compares hashes along
// the bucket instead of rehashing every key in it.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const {
    uint64_t hash = name.size() * 0x9e3779b97f4a7c15ull;
    size_t at = 0;
    for (; at + 8 <= name.size(); at += 8) {
      uint64_t word;
      std::memcpy(&word, name.data() + at, 8);
      hash = (hash ^ word) * 0xff51afd7ed558ccdull;
      hash ^= hash >> 32;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, name.data() + at, name.size() - at);
    hash = (hash ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return hash ^ (hash >> 29);
  }
};

class ZoneIndex {
 public:
  explicit ZoneIndex(const model::Zone& zone);

  const std::string& origin() const { return origin_; }  // lower-cased wire form
  const Node* node(std::string_view lower_name) const;
  // The SOA as a negative answer carries it: TTL = min(SOA TTL, MINIMUM) (RFC 2308 3).
  const RRset& negative_soa() const { return negative_soa_; }

  // The outcome of looking a name up, before CNAMEs are followed.
  struct Match {
    enum class Kind { exact, wildcard, delegation, nxdomain } kind = Kind::nxdomain;
    const Node* node = nullptr;  // exact/wildcard: the node; delegation: the cut's node
    size_t start = 0;            // delegation: where the cut's name starts inside the name
  };
  // `lower_name` must lie inside this zone. A qtype of DS at a cut is the parent's to answer.
  Match find(std::string_view lower_name, uint16_t qtype) const;

  // Calls `visit(RRset&)` for every RRset (the snapshot links additional addresses with it).
  template <typename Visit>
  void for_each_rrset(Visit&& visit) {
    for (auto& [name, node] : nodes_)
      for (auto& rrset : node.rrsets) visit(rrset);
  }

 private:
  std::string origin_;
  std::unordered_map<std::string, Node, NameHash, std::equal_to<>> nodes_;
  const Node* apex_ = nullptr;  // nodes_ never moves its nodes
  RRset negative_soa_;
};

// Wire-name helpers (names are uncompressed label sequences).
size_t label_count(std::string_view name);
std::string_view parent_name(std::string_view name);  // "" for the root
std::string lower_name(std::string_view name);
// The offset of the domain name inside rdata of `type`, or -1 when it carries none we follow.
int rdata_name_offset(uint16_t type);

}  // namespace meridian::server
