// One zone's names arranged for authoritative lookups: exact names, empty non-terminals,
// delegations and wildcards (RFC 1034 4.3.2, RFC 4592).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/model.h"
#include "server/ldns_handles.h"

namespace meridian::server {

struct RRset {
  uint16_t type = 0;
  std::vector<RrPtr> records;
};

struct Node {
  std::vector<RRset> rrsets;  // empty for an empty non-terminal
  const RRset* find(uint16_t type) const;
};

// Transparent hashing so lookups take string_views into the query buffer.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
};

class ZoneIndex {
 public:
  explicit ZoneIndex(const model::Zone& zone);

  const std::string& origin() const { return origin_; }  // lower-cased wire form
  const Node* node(std::string_view lower_name) const;
  const RRset& soa() const { return *soa_; }
  const RRset& apex_ns() const { return *apex_ns_; }

  // The outcome of looking a name up, before CNAMEs are followed.
  struct Match {
    enum class Kind { exact, wildcard, delegation, nxdomain } kind = Kind::nxdomain;
    const Node* node = nullptr;  // exact/wildcard: the node; delegation: the cut's node
    std::string_view cut;         // delegation: the cut's name
  };
  // `lower_name` must lie inside this zone. A qtype of DS at a cut is the parent's to answer.
  Match find(std::string_view lower_name, uint16_t qtype) const;

 private:
  std::string origin_;
  std::unordered_map<std::string, Node, NameHash, std::equal_to<>> nodes_;
  const RRset* soa_ = nullptr;
  const RRset* apex_ns_ = nullptr;
};

// Wire-name helpers (names are uncompressed label sequences).
size_t label_count(std::string_view name);
std::string_view parent_name(std::string_view name);  // "" for the root

}  // namespace meridian::server
