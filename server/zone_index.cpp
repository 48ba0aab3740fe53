// Builds a zone's name index from its records and walks it for lookups.
#include "server/zone_index.h"

#include <algorithm>
#include <stdexcept>

namespace meridian::server {
namespace {

constexpr uint16_t type_a = 1;
constexpr uint16_t type_ns = 2;
constexpr uint16_t type_soa = 6;
constexpr uint16_t type_mx = 15;
constexpr uint16_t type_srv = 33;
constexpr uint16_t type_aaaa = 28;
constexpr uint16_t type_svcb = 64;
constexpr uint16_t type_https = 65;
constexpr uint16_t type_dname = 39;
constexpr uint16_t type_ds = 43;

// The SOA's MINIMUM is its rdata's last four bytes (RFC 1035 3.3.13).
uint32_t soa_minimum(const std::string& rdata) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(rdata.data() + rdata.size() - 4);
  return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
}

// The name starting at `offset` in rdata (stored uncompressed), lower-cased.
std::string name_in_rdata(const std::string& rdata, size_t offset) {
  size_t end = offset;
  while (end < rdata.size() && rdata[end] != 0) end += 1 + static_cast<uint8_t>(rdata[end]);
  return lower_name(std::string_view(rdata).substr(offset, end + 1 - offset));
}

}  // namespace

size_t label_count(std::string_view name) {
  size_t count = 0;
  for (size_t i = 0; i < name.size() && name[i] != 0; i += 1 + static_cast<uint8_t>(name[i])) ++count;
  return count;
}

bool is_at_or_below(std::string_view name, std::string_view ancestor) {
  while (name.size() > ancestor.size()) name = parent_name(name);
  return name == ancestor;
}

std::string_view parent_name(std::string_view name) {
  if (name.empty() || name[0] == 0) return {};
  return name.substr(1 + static_cast<uint8_t>(name[0]));
}

std::string lower_name(std::string_view name) {
  std::string result(name);
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return result;
}

int rdata_name_offset(uint16_t type) {
  switch (type) {
    case 2:   // NS
    case 5:   // CNAME
    case 12:  // PTR
    case 39:  // DNAME
      return 0;
    case 15:  // MX: preference, exchange
      return 2;
    case 33:  // SRV: priority, weight, port, target
      return 6;
    case 64:  // SVCB: priority, target, parameters (RFC 9460 2.2)
    case 65:  // HTTPS
      return 2;
    default: return -1;
  }
}

const RRset* Node::find(uint16_t type) const {
  for (const auto& rrset : rrsets)
    if (rrset.type == type) return &rrset;
  return nullptr;
}

ZoneIndex::ZoneIndex(const model::Zone& zone, size_t position)
    : origin_(zone.origin_wire), position_(position) {
  for (const auto& record : zone.records) {
    auto& node = nodes_[record.owner];
    auto it = std::find_if(node.rrsets.begin(), node.rrsets.end(),
                           [&](const RRset& rrset) { return rrset.type == record.type; });
    if (it == node.rrsets.end()) {
      node.rrsets.push_back(RRset{record.type, record.ttl, {}});
      it = node.rrsets.end() - 1;
    }
    it->records.push_back(WireRecord{record.rdata, rdata_name_offset(record.type), {}});
    has_dname_ = has_dname_ || record.type == type_dname;
  }
  // Every ancestor of a name, up to the apex, exists (as an empty non-terminal if nothing else).
  std::vector<std::string> owners;
  for (const auto& [name, node] : nodes_) owners.push_back(name);
  for (const auto& owner : owners) {
    std::string_view name = owner;
    while (name.size() > origin_.size()) {
      name = parent_name(name);
      nodes_.try_emplace(std::string(name));
    }
  }
  std::vector<std::pair<std::string_view, const Node*>> entries;
  entries.reserve(nodes_.size());
  for (const auto& [name, node] : nodes_) entries.emplace_back(name, &node);
  index_ = NameTable<Node>(entries);
  apex_ = &nodes_.at(origin_);
  const auto& apex = *apex_;
  const RRset* soa = apex.find(type_soa);
  if (!soa || !apex.find(type_ns)) throw std::runtime_error("zone without SOA or NS at its apex");
  negative_soa_ = *soa;
  negative_soa_.ttl = std::min(soa->ttl, soa_minimum(soa->records.front().rdata));
  link_additional();
}

// NS, MX, SRV, SVCB and HTTPS answers carry the addresses of the names they point at (RFC 1035
// 3.3.9, RFC 2782, RFC 9460 4.1), found once here rather than per query, and only in this zone
// (as NSD and Knot do). NS targets anywhere in it: at or below a cut they are the glue a
// referral needs, and another zone of ours holding the name (a deeper one) is not where a
// delegation's glue lives. The others only where this zone is authoritative: addresses below a
// cut are glue, which is for referrals alone (RFC 1034 4.2.1), and another zone's data is not
// this answer's.
void ZoneIndex::link_additional() {
  for (auto& [owner, node] : nodes_) {
    for (auto& rrset : node.rrsets) {
      const uint16_t type = rrset.type;
      const bool svcb = type == type_svcb || type == type_https;
      if (type != type_ns && type != type_mx && type != type_srv && !svcb) continue;
      for (auto& record : rrset.records) {
        if (record.rdata.size() < static_cast<size_t>(record.name_offset) + 1) continue;
        std::string target = name_in_rdata(record.rdata, record.name_offset);
        // SvcPriority 0 is AliasMode (RFC 9460 2.4.2), whose target the client asks next for
        // the same type; there "." means no service, in ServiceMode the owner itself (2.5).
        const bool alias = svcb && record.rdata[0] == 0 && record.rdata[1] == 0;
        if (svcb && target.size() == 1) {
          if (alias) continue;
          target = owner;
        }
        if (!is_at_or_below(target, origin_)) continue;
        const Node* holder = nullptr;
        if (type == type_ns) {
          holder = this->node(target);
          record.glue_required = is_at_or_below(target, owner);
        } else {
          const Match match = find(target, type_a);
          if (match.kind == Match::Kind::exact || match.kind == Match::Kind::wildcard) holder = match.node;
        }
        if (!holder) continue;
        for (uint16_t address_type : {type_a, type_aaaa})
          if (const RRset* addresses = holder->find(address_type)) record.additional.push_back(addresses);
        if (alias)
          if (const RRset* next = holder->find(type)) record.additional.push_back(next);
      }
    }
  }
}

const Node* ZoneIndex::node(std::string_view lower_name) const {
  return index_.find(lower_name);
}

ZoneIndex::Match ZoneIndex::find(std::string_view lower_name, uint16_t qtype) const {
  // Walk down from the apex, one label at a time: a delegation on the way occludes what lies
  // below it, and the deepest existing name is the closest encloser (RFC 4592 3.3.1).
  size_t label_starts[128];
  size_t labels = 0;
  for (size_t i = 0; i < lower_name.size() && lower_name[i] != 0 && labels < 128;
       i += 1 + static_cast<uint8_t>(lower_name[i]))
    label_starts[labels++] = i;
  const size_t below_apex = labels - label_count(origin_);
  const Node* closest = apex_;
  size_t closest_start = lower_name.size() - origin_.size();
  for (size_t depth = 1; depth <= below_apex; ++depth) {
    const size_t start = label_starts[below_apex - depth];
    const Node* found = node(lower_name.substr(start));
    if (!found) break;
    closest = found;
    closest_start = start;
    const bool at_qname = start == 0;
    if (found->find(type_ns) && !(at_qname && qtype == type_ds))
      return Match{Match::Kind::delegation, found, start};
  }
  if (closest_start == 0) return Match{Match::Kind::exact, closest, 0};
  // A DNAME redirects every name below its owner, the apex's too (RFC 6672 2.3). Nothing exists
  // below its owner (conf/ refuses such zones), so the walk down always stops there.
  if (has_dname_ && closest->find(type_dname)) return Match{Match::Kind::dname, closest, closest_start};

  // The source of synthesis is "*." prepended to the closest encloser.
  char wildcard[258];
  const std::string_view encloser = lower_name.substr(closest_start);
  wildcard[0] = 1;
  wildcard[1] = '*';
  std::copy(encloser.begin(), encloser.end(), wildcard + 2);
  if (const Node* source = node(std::string_view(wildcard, encloser.size() + 2)))
    return Match{Match::Kind::wildcard, source, 0};
  return Match{Match::Kind::nxdomain, nullptr, 0};
}

}  // namespace meridian::server
