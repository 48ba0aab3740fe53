// Builds a zone's name index from its records and walks it for lookups.
#include "server/zone_index.h"

#include <algorithm>
#include <stdexcept>

namespace meridian::server {
namespace {

constexpr uint16_t type_ns = 2;
constexpr uint16_t type_soa = 6;
constexpr uint16_t type_ds = 43;

RrPtr make_rr(const model::Record& record) {
  RrPtr rr(ldns_rr_new());
  ldns_rr_set_owner(rr.get(), ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, record.owner.size(),
                                                    record.owner.data()));
  ldns_rr_set_type(rr.get(), static_cast<ldns_rr_type>(record.type));
  ldns_rr_set_class(rr.get(), static_cast<ldns_rr_class>(record.rrclass));
  ldns_rr_set_ttl(rr.get(), record.ttl);
  // ldns reads rdata together with its length, as on the wire.
  std::string wire;
  wire.push_back(static_cast<char>(record.rdata.size() >> 8));
  wire.push_back(static_cast<char>(record.rdata.size() & 0xff));
  wire += record.rdata;
  size_t position = 0;
  if (ldns_wire2rdf(rr.get(), reinterpret_cast<const uint8_t*>(wire.data()), wire.size(),
                    &position) != LDNS_STATUS_OK)
    throw std::runtime_error("cannot rebuild a record of type " + std::to_string(record.type));
  return rr;
}

}  // namespace

size_t label_count(std::string_view name) {
  size_t count = 0;
  for (size_t i = 0; i < name.size() && name[i] != 0; i += 1 + static_cast<uint8_t>(name[i])) ++count;
  return count;
}

std::string_view parent_name(std::string_view name) {
  if (name.empty() || name[0] == 0) return {};
  return name.substr(1 + static_cast<uint8_t>(name[0]));
}

const RRset* Node::find(uint16_t type) const {
  for (const auto& rrset : rrsets)
    if (rrset.type == type) return &rrset;
  return nullptr;
}

ZoneIndex::ZoneIndex(const model::Zone& zone) : origin_(zone.origin_wire) {
  for (const auto& record : zone.records) {
    auto& node = nodes_[record.owner];
    auto it = std::find_if(node.rrsets.begin(), node.rrsets.end(),
                           [&](const RRset& rrset) { return rrset.type == record.type; });
    if (it == node.rrsets.end()) {
      node.rrsets.push_back(RRset{record.type, {}});
      it = node.rrsets.end() - 1;
    }
    it->records.push_back(make_rr(record));
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
  const auto& apex = nodes_.at(origin_);
  soa_ = apex.find(type_soa);
  apex_ns_ = apex.find(type_ns);
  if (!soa_ || !apex_ns_) throw std::runtime_error("zone without SOA or NS at its apex");
}

const Node* ZoneIndex::node(std::string_view lower_name) const {
  auto it = nodes_.find(lower_name);
  return it == nodes_.end() ? nullptr : &it->second;
}

ZoneIndex::Match ZoneIndex::find(std::string_view lower_name, uint16_t qtype) const {
  // Walk down from the apex, one label at a time: a delegation on the way occludes what lies
  // below it, and the deepest existing name is the closest encloser (RFC 4592 3.3.1).
  const size_t total = label_count(lower_name);
  const size_t apex_labels = label_count(origin_);
  std::string_view closest = origin_;
  const Node* closest_node = node(origin_);
  for (size_t depth = apex_labels + 1; depth <= total; ++depth) {
    std::string_view candidate = lower_name;
    for (size_t i = depth; i < total; ++i) candidate = parent_name(candidate);
    const Node* found = node(candidate);
    if (!found) break;
    closest = candidate;
    closest_node = found;
    const bool at_qname = depth == total;
    if (found->find(type_ns) && !(at_qname && qtype == type_ds))
      return Match{Match::Kind::delegation, found, candidate};
  }
  if (closest.size() == lower_name.size()) return Match{Match::Kind::exact, closest_node, {}};

  std::string wildcard("\x01*", 2);
  wildcard.append(closest);
  if (const Node* source = node(wildcard)) return Match{Match::Kind::wildcard, source, {}};
  return Match{Match::Kind::nxdomain, nullptr, {}};
}

}  // namespace meridian::server
