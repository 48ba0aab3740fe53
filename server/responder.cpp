// The authoritative answer logic: zones, CNAME chains, wildcards, referrals, traffic profiles,
// negative answers, EDNS0 (payload size, NSID, ECS) and truncation.
#include "server/responder.h"

#include <cstring>
#include <string>
#include <string_view>

#include "server/ldns_handles.h"
#include "server/query.h"

namespace meridian::server {
namespace {

constexpr uint16_t type_a = 1, type_ns = 2, type_cname = 5, type_soa = 6, type_mx = 15,
                   type_aaaa = 28, type_srv = 33, type_opt = 41, type_ixfr = 251,
                   type_axfr = 252, type_any = 255;
constexpr uint8_t rcode_noerror = 0, rcode_formerr = 1, rcode_nxdomain = 3, rcode_notimp = 4,
                  rcode_refused = 5;
constexpr size_t max_chain = 8;  // CNAMEs followed before giving up (loops, long chains)

std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

std::string lower_wire(const ldns_rdf* name) {
  std::string result(reinterpret_cast<const char*>(ldns_rdf_data(name)), ldns_rdf_size(name));
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return result;
}

ldns_rdf* name_rdf(std::string_view wire) {
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data());
}

// The packet under construction, with the bookkeeping the answer logic needs.
class Answer {
 public:
  Answer(const Query& query, const Snapshot& snapshot) : pkt_(ldns_pkt_new()), snapshot_(snapshot) {
    ldns_pkt_set_id(pkt_.get(), query.id);
    ldns_pkt_set_qr(pkt_.get(), true);
    ldns_pkt_set_opcode(pkt_.get(), static_cast<ldns_pkt_opcode>(query.opcode));
    ldns_pkt_set_rd(pkt_.get(), query.rd);
    ldns_pkt_set_cd(pkt_.get(), query.cd);
    if (query.has_question) {
      ldns_rr* question = ldns_rr_new();
      ldns_rr_set_question(question, true);
      ldns_rr_set_owner(question, name_rdf(as_view(query.qname, query.qname_length)));
      ldns_rr_set_type(question, static_cast<ldns_rr_type>(query.qtype));
      ldns_rr_set_class(question, static_cast<ldns_rr_class>(query.qclass));
      ldns_pkt_push_rr(pkt_.get(), LDNS_SECTION_QUESTION, question);
    }
  }

  ldns_pkt* pkt() { return pkt_.get(); }
  void set_rcode(uint8_t rcode) { ldns_pkt_set_rcode(pkt_.get(), rcode); }
  uint8_t rcode() const { return ldns_pkt_get_rcode(pkt_.get()); }

  // Adds every record of `rrset`, renamed to `owner` when given (wildcard synthesis).
  void add(ldns_pkt_section section, const RRset& rrset, const ldns_rdf* owner = nullptr) {
    for (const auto& record : rrset.records) {
      ldns_rr* copy = ldns_rr_clone(record.get());
      if (owner) {
        ldns_rdf_deep_free(ldns_rr_owner(copy));
        ldns_rr_set_owner(copy, ldns_rdf_clone(owner));
      }
      ldns_pkt_push_rr(pkt_.get(), section, copy);
    }
  }

  void add_negative_soa(const ZoneIndex& zone) {
    // RFC 2308 3: the SOA's TTL in a negative answer is min(SOA TTL, SOA MINIMUM).
    ldns_rr* soa = ldns_rr_clone(zone.soa().records.front().get());
    const uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
    if (minimum < ldns_rr_ttl(soa)) ldns_rr_set_ttl(soa, minimum);
    ldns_pkt_push_rr(pkt_.get(), LDNS_SECTION_AUTHORITY, soa);
  }

  // A and AAAA records for names that NS, MX and SRV records point at, when we hold them.
  void add_target_addresses(const RRset& rrset) {
    int index = -1;
    if (rrset.type == type_ns) index = 0;
    else if (rrset.type == type_mx) index = 1;
    else if (rrset.type == type_srv) index = 3;
    if (index < 0) return;
    for (const auto& record : rrset.records) {
      const ldns_rdf* target = ldns_rr_rdf(record.get(), index);
      if (!target) continue;
      const std::string name = lower_wire(target);
      const ZoneIndex* zone = snapshot_.zone_for(name);
      const Node* node = zone ? zone->node(name) : nullptr;
      if (!node) continue;
      for (uint16_t type : {type_a, type_aaaa})
        if (const RRset* addresses = node->find(type)) add_additional_once(*addresses);
    }
  }

 private:
  void add_additional_once(const RRset& rrset) {
    const ldns_rr_list* additional = ldns_pkt_additional(pkt_.get());
    for (size_t i = 0; i < ldns_rr_list_rr_count(additional); ++i)
      if (ldns_rr_compare(ldns_rr_list_rr(additional, i), rrset.records.front().get()) == 0) return;
    add(LDNS_SECTION_ADDITIONAL, rrset);
  }

  PktPtr pkt_;
  const Snapshot& snapshot_;
};

void add_routed_answer(Answer& answer, const routing::Answer& routed, const model::Profile& profile,
                       const ldns_rdf* owner) {
  for (size_t i = 0; i < routed.count; ++i) {
    const model::Endpoint& endpoint = *routed.endpoints[i];
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, routed.ttl ? routed.ttl : profile.ttl);
    if (routed.kind == routing::Answer::Kind::cname) {
      ldns_rr_set_type(rr, LDNS_RR_TYPE_CNAME);
      ldns_rr_push_rdf(rr, name_rdf(endpoint.fqdn_wire));
    } else if (endpoint.address.family == geo::Family::v4) {
      ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
      ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, endpoint.address.bytes.data()));
    } else {
      ldns_rr_set_type(rr, LDNS_RR_TYPE_AAAA);
      ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, endpoint.address.bytes.data()));
    }
    ldns_pkt_push_rr(answer.pkt(), LDNS_SECTION_ANSWER, rr);
  }
}

// The lowest-numbered RRset at a node, as the minimal answer to ANY (RFC 8482 4.2).
const RRset* any_answer(const Node& node) {
  const RRset* chosen = nullptr;
  for (const auto& rrset : node.rrsets)
    if (!chosen || rrset.type < chosen->type) chosen = &rrset;
  return chosen;
}

struct Resolution {
  unsigned ecs_scope = 0;
  bool referral = false;
};

// Answers `lower` (owner case from `owner`) and follows CNAMEs within our data.
Resolution resolve(Answer& answer, const Responder& responder, const Query& query,
                   const routing::Client& base_client) {
  Resolution result;
  std::string lower(as_view(query.qname_lower, query.qname_length));
  RdfPtr owner(name_rdf(as_view(query.qname, query.qname_length)));
  const ZoneIndex* zone = responder.snapshot.zone_for(lower);
  const uint16_t qtype = query.qtype;

  for (size_t step = 0; step < max_chain; ++step) {
    if (const model::Profile* profile = responder.snapshot.profile_for(lower)) {
      routing::Client client = base_client;
      routing::Context context{responder.snapshot.config(), responder.snapshot.health(),
                               responder.snapshot.geo(),
                               responder.snapshot.config().geo.latency.get()};
      const uint16_t routed_type = qtype == type_any ? type_a : qtype;
      const auto routed = routing::answer(context, *profile, client, routed_type, responder.random);
      result.ecs_scope = std::max(result.ecs_scope, routed.scope_prefix);
      if (routed.kind == routing::Answer::Kind::nodata || routed.count == 0) {
        answer.add_negative_soa(*zone);
        return result;
      }
      add_routed_answer(answer, routed, *profile, owner.get());
      if (routed.kind != routing::Answer::Kind::cname || qtype == type_cname) return result;
      lower = routed.endpoints[0]->fqdn_wire;
      owner.reset(name_rdf(lower));
      zone = responder.snapshot.zone_for(lower);
      if (!zone) return result;
      continue;
    }

    const auto match = zone->find(lower, qtype);
    switch (match.kind) {
      case ZoneIndex::Match::Kind::delegation: {
        if (step > 0) return result;  // a chain into a delegated name: the CNAME suffices
        ldns_pkt_set_aa(answer.pkt(), false);
        const RRset& ns = *match.node->find(type_ns);
        answer.add(LDNS_SECTION_AUTHORITY, ns);
        answer.add_target_addresses(ns);
        result.referral = true;
        return result;
      }
      case ZoneIndex::Match::Kind::nxdomain:
        answer.set_rcode(rcode_nxdomain);  // RFC 6604: the rcode speaks of the last name
        answer.add_negative_soa(*zone);
        return result;
      case ZoneIndex::Match::Kind::exact:
      case ZoneIndex::Match::Kind::wildcard: {
        const ldns_rdf* rename = match.kind == ZoneIndex::Match::Kind::wildcard ? owner.get() : nullptr;
        const Node& node = *match.node;
        const RRset* cname = node.find(type_cname);
        if (cname && qtype != type_cname && qtype != type_any) {
          answer.add(LDNS_SECTION_ANSWER, *cname, rename);
          const ldns_rdf* target = ldns_rr_rdf(cname->records.front().get(), 0);
          lower = lower_wire(target);
          owner.reset(ldns_rdf_clone(target));
          zone = responder.snapshot.zone_for(lower);
          if (!zone) return result;
          continue;
        }
        const RRset* rrset = qtype == type_any ? any_answer(node) : node.find(qtype);
        if (!rrset) {
          answer.add_negative_soa(*zone);
          return result;
        }
        answer.add(LDNS_SECTION_ANSWER, *rrset, rename);
        answer.add_target_addresses(*rrset);
        return result;
      }
    }
  }
  return result;  // chain too long: what we have so far
}

// EDNS option payload for the response: NSID when asked for and configured, ECS echoed.
std::string response_options(const Query& query, const model::ServerSettings& server, unsigned scope) {
  std::string options;
  auto put16 = [&](unsigned value) {
    options.push_back(static_cast<char>(value >> 8));
    options.push_back(static_cast<char>(value & 0xff));
  };
  if (query.nsid_requested && !server.nsid.empty()) {
    put16(3);
    put16(server.nsid.size());
    options += server.nsid;
  }
  if (query.has_ecs) {
    const size_t address_length = (query.ecs.source_prefix + 7) / 8;
    put16(8);
    put16(4 + address_length);
    put16(query.ecs.address.family == geo::Family::v4 ? 1 : 2);
    options.push_back(static_cast<char>(query.ecs.source_prefix));
    // RFC 7871 7.2.1: a source prefix of 0 gets a scope of 0.
    options.push_back(static_cast<char>(query.ecs.source_prefix == 0 ? 0 : scope));
    options.append(reinterpret_cast<const char*>(query.ecs.address.bytes.data()), address_length);
  }
  return options;
}

void set_edns(ldns_pkt* pkt, const Query& query, const model::ServerSettings& server,
              const std::string& options, bool badvers) {
  ldns_pkt_set_edns_udp_size(pkt, server.udp_payload);
  ldns_pkt_set_edns_version(pkt, 0);
  ldns_pkt_set_edns_do(pkt, query.dnssec_ok);
  if (badvers) ldns_pkt_set_edns_extended_rcode(pkt, 1);  // BADVERS = 16: upper bits in OPT
  if (!options.empty())
    ldns_pkt_set_edns_data(pkt, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, options.size(),
                                                      options.data()));
}

void clear_section(ldns_pkt* pkt, ldns_pkt_section section) {
  if (section == LDNS_SECTION_ANSWER) {
    ldns_rr_list_deep_free(ldns_pkt_answer(pkt));
    ldns_pkt_set_answer(pkt, ldns_rr_list_new());
    ldns_pkt_set_ancount(pkt, 0);
  } else if (section == LDNS_SECTION_AUTHORITY) {
    ldns_rr_list_deep_free(ldns_pkt_authority(pkt));
    ldns_pkt_set_authority(pkt, ldns_rr_list_new());
    ldns_pkt_set_nscount(pkt, 0);
  } else {
    ldns_rr_list_deep_free(ldns_pkt_additional(pkt));
    ldns_pkt_set_additional(pkt, ldns_rr_list_new());
    ldns_pkt_set_arcount(pkt, 0);
  }
}

bool to_wire(ldns_pkt* pkt, std::vector<uint8_t>& out) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) return false;
  out.assign(wire, wire + size);
  free(wire);
  return true;
}

}  // namespace

bool Responder::respond(std::span<const uint8_t> packet, const geo::Address& source, bool tcp,
                        std::vector<uint8_t>& out) const {
  Query query;
  const auto outcome = parse_query(packet, query);
  if (outcome == ParseOutcome::drop) {
    ++counters.dropped;
    return false;
  }
  const auto& server = snapshot.config().server;
  Answer answer(query, snapshot);
  auto finish_error = [&](uint8_t rcode, bool echo_edns) {
    answer.set_rcode(rcode);
    if (echo_edns) set_edns(answer.pkt(), query, server, response_options(query, server, 0), false);
    ++counters.responses_by_rcode[rcode];
    return to_wire(answer.pkt(), out);
  };

  switch (outcome) {
    case ParseOutcome::formerr: return finish_error(rcode_formerr, false);
    case ParseOutcome::notimp: return finish_error(rcode_notimp, query.edns);
    case ParseOutcome::badvers:
      set_edns(answer.pkt(), query, server, {}, true);
      ++counters.responses_by_rcode[16];
      return to_wire(answer.pkt(), out);
    default: break;
  }
  if (query.qtype == type_opt) return finish_error(rcode_formerr, query.edns);
  if (query.qclass != LDNS_RR_CLASS_IN || query.qtype == type_axfr || query.qtype == type_ixfr)
    return finish_error(rcode_refused, query.edns);
  if (!snapshot.zone_for(as_view(query.qname_lower, query.qname_length)))
    return finish_error(rcode_refused, query.edns);

  routing::Client client;
  if (query.has_ecs && query.ecs.source_prefix > 0) {
    client.address = query.ecs.address;
    client.source_prefix = query.ecs.source_prefix;
  } else {
    client.address = source;
    client.source_prefix = source.max_prefix();
  }
  ldns_pkt_set_aa(answer.pkt(), true);
  const Resolution resolution = resolve(answer, *this, query, client);
  if (query.edns) set_edns(answer.pkt(), query, server, response_options(query, server, resolution.ecs_scope), false);

  const size_t limit = tcp ? 65535 : query.edns ? std::min<size_t>(query.udp_size, server.udp_payload) : 512;
  if (!to_wire(answer.pkt(), out)) return finish_error(2, query.edns);
  if (out.size() > limit) {
    // Extra addresses are optional, except the glue a referral cannot do without.
    clear_section(answer.pkt(), LDNS_SECTION_ADDITIONAL);
    to_wire(answer.pkt(), out);
    if (out.size() > limit || resolution.referral) {
      clear_section(answer.pkt(), LDNS_SECTION_ANSWER);
      clear_section(answer.pkt(), LDNS_SECTION_AUTHORITY);
      ldns_pkt_set_tc(answer.pkt(), true);
      ++counters.truncated;
      to_wire(answer.pkt(), out);
    }
  }
  ++counters.responses_by_rcode[answer.rcode()];
  return true;
}

}  // namespace meridian::server
