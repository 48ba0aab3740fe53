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
#include "server/name_table.h"

namespace meridian::server {

struct RRset;

struct WireRecord {
  std::string rdata;     // uncompressed wire form
  // Where the name inside rdata starts (NS, CNAME, PTR, MX, SRV, SVCB, HTTPS), else -1.
  int name_offset = -1;
  // NS, MX, SRV, SVCB, HTTPS: the additional data of the name this record points at, from this
  // zone alone (ZoneIndex::link_additional says which): its A and AAAA RRsets, after them for an
  // AliasMode SVCB or HTTPS record the target's RRset of the same type.
  std::vector<const RRset*> additional;
  // NS: the name lies at or below the NS owner, so a referral without its addresses is useless
  // (in-domain glue, RFC 9471): they must fit, or the answer is truncated.
  bool glue_required = false;
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

class ZoneIndex {
 public:
  // `position`: the zone's place in the config's list, which counters are indexed by.
  explicit ZoneIndex(const model::Zone& zone, size_t position = 0);

  const std::string& origin() const { return origin_; }  // lower-cased wire form
  size_t position() const { return position_; }
  const Node* node(std::string_view lower_name) const;
  // The SOA as a negative answer carries it: TTL = min(SOA TTL, MINIMUM) (RFC 2308 3).
  const RRset& negative_soa() const { return negative_soa_; }

  // The outcome of looking a name up, before CNAMEs are followed.
  struct Match {
    enum class Kind { exact, wildcard, delegation, dname, nxdomain } kind = Kind::nxdomain;
    // exact/wildcard: the node; delegation: the cut's node; dname: the DNAME owner's node
    const Node* node = nullptr;
    size_t start = 0;  // delegation, dname: where that owner's name starts inside the name
  };
  // `lower_name` must lie inside this zone. A qtype of DS at a cut is the parent's to answer.
  Match find(std::string_view lower_name, uint16_t qtype) const;

 private:
  void link_additional();

  std::string origin_;
  size_t position_ = 0;
  std::unordered_map<std::string, Node, NameHash, std::equal_to<>> nodes_;  // owns the nodes
  NameTable<Node> index_;       // finds them: one flat array, built once nodes_ is complete
  const Node* apex_ = nullptr;  // nodes_ never moves its nodes
  bool has_dname_ = false;      // only then does find() look for DNAMEs on the way down
  RRset negative_soa_;
};

// Wire-name helpers (names are uncompressed label sequences).
size_t label_count(std::string_view name);
std::string_view parent_name(std::string_view name);  // "" for the root
// Whether `name` is `ancestor` or a name below it (both lower-cased wire form).
bool is_at_or_below(std::string_view name, std::string_view ancestor);
std::string lower_name(std::string_view name);
// The offset of the domain name inside rdata of `type`, or -1 when it carries none we follow.
int rdata_name_offset(uint16_t type);

}  // namespace meridian::server
