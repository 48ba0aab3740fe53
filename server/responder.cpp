// The authoritative answer logic: zones, CNAME chains, wildcards, referrals, traffic profiles,
// negative answers, EDNS0 (payload size, NSID, ECS) and truncation.
#include "server/responder.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "server/query.h"
#include "server/wire_writer.h"

namespace meridian::server {
namespace {

constexpr uint16_t type_ns = 2, type_cname = 5, type_ds = 43, type_opt = 41, type_ixfr = 251, type_axfr = 252,
                   type_any = 255;
constexpr uint16_t type_dname = 39, type_svcb = 64, type_https = 65, type_txt = 16;
constexpr uint16_t class_in = 1, class_chaos = 3, class_any = 255;
// Extended DNS Errors (RFC 8914 4) a REFUSED carries, saying why.
constexpr uint16_t option_ede = 15;
constexpr uint16_t ede_prohibited = 18, ede_not_authoritative = 20, ede_not_supported = 21;
constexpr uint8_t rcode_formerr = 1, rcode_nxdomain = 3, rcode_notimp = 4, rcode_refused = 5,
                  rcode_yxdomain = 6;
constexpr uint16_t flag_qr = 0x8000, flag_aa = 0x0400, flag_tc = 0x0200, flag_rd = 0x0100, flag_cd = 0x0010;
constexpr size_t max_chain = 8;     // CNAMEs followed before giving up (loops, long chains)
constexpr size_t max_targets = 64;  // NS/MX/SRV/SVCB/HTTPS records whose addresses may ride along

std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The suffix of a name already in the message, e.g. the zone apex inside the query name.
NameRef suffix_of(NameRef name, size_t suffix_length) {
  return NameRef{static_cast<uint16_t>(name.offset + name.length - suffix_length),
                 static_cast<uint16_t>(suffix_length)};
}

// Everything one response is being built from.
class Build {
 public:
  // `client` is who the answer is for: the ECS address when the query had one, else the source.
  Build(const Responder& responder, const Query& query, WireWriter& writer, const geo::Address& client,
        unsigned client_prefix)
      : responder_(responder),
        query_(query),
        writer_(writer),
        client_address_(client),
        client_prefix_(client_prefix) {}

  unsigned ecs_scope = 0;
  bool referral = false;
  bool wildcard = false;  // some step of the chain came from a wildcard
  bool truncated = false;
  uint8_t rcode = 0;

  // `zone` holds the query name (the caller found it to decide REFUSED).
  void resolve(const ZoneIndex& zone, NameRef question);

 private:
  bool add(Section section, NameRef owner, const RRset& rrset, bool collect_targets);
  void add_negative_soa(const ZoneIndex& zone, NameRef current);
  // `answered`: the answer's RRset, never repeated in additional (an AliasMode loop). The test
  // for the common case (A, AAAA, CNAME answers: no target) stays inline.
  void add_target_addresses(const RRset* answered = nullptr) {
    if (target_count_ != 0) add_targets(answered);
  }
  void add_targets(const RRset* answered);
  bool answer_profile(const model::Profile& profile, NameRef& owner, std::string_view& next);
  // RFC 6672 3.2: writes the DNAME owned by `node` (whose name starts at `start` in `name`) and
  // the CNAME synthesised from it: the name's labels above the owner, then the DNAME's target,
  // lower-cased into `buffer`. Moves `name` and `owner` on to that target; false when there is
  // nothing to follow (no room, or a name too long: YXDOMAIN). Rare: kept out of resolve().
  [[gnu::noinline]] bool follow_dname(const Node& node, size_t start, std::string_view& name, NameRef& owner,
                                      char* buffer);

  const Responder& responder_;
  const Query& query_;
  WireWriter& writer_;
  const geo::Address& client_address_;
  unsigned client_prefix_;
  // Made by the first profile on the way (routing fills in its location once for the chain);
  // a static answer never pays for its 112 bytes of zeroes.
  std::optional<routing::Client> client_;
  // NS/MX/SRV/SVCB/HTTPS records written, with where their target name sits, for the additional
  // section.
  // Only the first target_count_ are set: no 1 KiB of zeroes per query. So Target has no
  // default member initializers (NameRef's would make the array zero itself).
  struct Target {
    uint16_t offset, length;  // a NameRef
    const WireRecord* record;
    NameRef where() const { return NameRef{offset, length}; }
  };
  std::array<Target, max_targets> targets_;
  size_t target_count_ = 0;
};

bool Build::add(Section section, NameRef owner, const RRset& rrset, bool collect_targets) {
  for (const auto& record : rrset.records) {
    NameRef target;
    const auto* rdata = reinterpret_cast<const uint8_t*>(record.rdata.data());
    if (!writer_.record(section, owner, rrset.type, rrset.ttl, {rdata, record.rdata.size()},
                        record.name_offset, &target)) {
      truncated = true;
      return false;
    }
    if (collect_targets && !record.additional.empty() && target_count_ < max_targets) {
      // TargetName "." is the owner itself (RFC 9460 2.5.2): its addresses go under the owner.
      if ((rrset.type == type_svcb || rrset.type == type_https) && record.rdata[record.name_offset] == 0)
        target = owner;
      targets_[target_count_++] = {target.offset, target.length, &record};
    }
  }
  return true;
}

void Build::add_negative_soa(const ZoneIndex& zone, NameRef current) {
  // The apex is a suffix of the name being answered, already in the message.
  add(Section::authority, suffix_of(current, zone.origin().size()), zone.negative_soa(), false);
}

void Build::add_targets(const RRset* answered) {
  std::array<const RRset*, max_targets * 2> written;  // only the first written_count are read
  size_t written_count = 0;
  if (answered) written[written_count++] = answered;
  // A referral's in-domain glue first: it must fit, or the client must retry over TCP (RFC
  // 9471). Everything else is optional and left out, RRset by RRset, when it does not fit (RFC
  // 2181 9). An AliasMode SVCB or HTTPS RRset added here adds its own targets in turn, further
  // down targets_ (RFC 9460 4.1), each RRset once.
  for (const bool required_pass : {true, false}) {
    if (required_pass && !referral) continue;
    for (size_t i = 0; i < target_count_; ++i) {
      const bool required = referral && targets_[i].record->glue_required;
      if (required != required_pass) continue;
      for (const RRset* rrset : targets_[i].record->additional) {
        if (std::find(written.begin(), written.begin() + written_count, rrset) != written.begin() + written_count)
          continue;
        const auto mark = writer_.mark_additional();
        const size_t targets_before = target_count_;
        const bool chained = rrset->type == type_svcb || rrset->type == type_https;
        if (!add(Section::additional, targets_[i].where(), *rrset, chained)) {
          if (required) return;  // `truncated` stays set
          writer_.rewind_additional(mark);
          target_count_ = targets_before;  // their names were rewound with them
          truncated = false;
          continue;
        }
        if (written_count < written.size()) written[written_count++] = rrset;
      }
    }
  }
}

bool Build::follow_dname(const Node& node, size_t start, std::string_view& name, NameRef& owner,
                         char* buffer) {
  const RRset& dname = *node.find(type_dname);
  const std::string& target = dname.records.front().rdata;
  if (!add(Section::answer, suffix_of(owner, name.size() - start), dname, false)) return false;
  if (start + target.size() > max_name_length) {
    rcode = rcode_yxdomain;  // the synthesised name would be too long (RFC 6672 2.2)
    return false;
  }
  std::memcpy(buffer, name.data(), start);
  for (size_t i = 0; i < target.size(); ++i) {
    const char c = target[i];
    buffer[start + i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  const size_t length = start + target.size();
  NameRef synthesised;
  if (!writer_.record(Section::answer, owner, type_cname, dname.ttl,
                      {reinterpret_cast<const uint8_t*>(buffer), length}, 0, &synthesised)) {
    truncated = true;
    return false;
  }
  owner = synthesised;
  name = std::string_view(buffer, length);
  return true;
}

bool Build::answer_profile(const model::Profile& profile, NameRef& owner, std::string_view& next) {
  const auto& snapshot = responder_.snapshot;
  if (!client_) {
    // Copied from a constant: GCC clears a value-initialised Client with rep stos, which costs
    // more than copying its 112 bytes in vector moves.
    static const routing::Client blank{};
    client_.emplace(blank);
    client_->address = client_address_;
    client_->source_prefix = client_prefix_;
  }
  routing::Client& client = *client_;
  const routing::Context context{snapshot.config(), snapshot.health(), snapshot.geo(),
                                 snapshot.config().geo.latency.get()};
  const uint16_t qtype = query_.qtype == type_any ? uint16_t(1) : query_.qtype;
  const auto routed = routing::answer(context, profile, client, qtype, responder_.random);
  ecs_scope = std::max(ecs_scope, routed.scope_prefix);
  const auto& counters = responder_.answers;
  const size_t position = snapshot.position_of(profile);
  // Counted as the query ends: a flattened endpoint with nothing resolved is NODATA after all.
  auto nodata = [&] {
    counters.profile_nodata(position).bump();
    return false;
  };
  auto answered = [&] {
    counters.profile_answer(position).bump();
    for (size_t i = 0; i < routed.count; ++i)
      counters.endpoint_answer(routing::answered_id(routed, i)).bump();
    return true;
  };
  if (routed.kind == routing::Answer::Kind::nodata || routed.count == 0) return nodata();
  NameRef target{};
  for (size_t i = 0; i < routed.count; ++i) {
    const model::Endpoint& endpoint = *routed.endpoints[i];
    bool fits = true;
    if (routed.kind == routing::Answer::Kind::cname && endpoint.flatten) {
      // flatten: the target's resolved addresses instead of a CNAME (allowed at a zone apex).
      // Nothing resolved yet, or none of this family: NODATA, never a CNAME after all.
      const bool v6 = qtype == 28;
      if (qtype != 1 && !v6) return nodata();
      geo::Address addresses[resolver::ResolvedTable::max_per_family];
      const auto* table = snapshot.resolved();
      const size_t count =
          table ? table->read(endpoint.id, v6 ? geo::Family::v6 : geo::Family::v4, addresses) : 0;
      if (count == 0) return nodata();
      for (size_t a = 0; a < count && fits; ++a)
        fits = writer_.record(Section::answer, owner, qtype, routed.ttl,
                              {addresses[a].bytes.data(), v6 ? 16u : 4u});
      if (fits) {
        next = {};
        return answered();
      }
    } else if (routed.kind == routing::Answer::Kind::cname) {
      const auto* name = reinterpret_cast<const uint8_t*>(endpoint.fqdn_wire.data());
      fits = writer_.record(Section::answer, owner, type_cname, routed.ttl, {name, endpoint.fqdn_wire.size()},
                            0, &target);
      next = endpoint.fqdn_wire;
    } else {
      const geo::Address& address = *routed.addresses[i];  // not endpoint.address: no line of the Endpoint
      const bool v4 = address.family == geo::Family::v4;
      fits = writer_.record(Section::answer, owner, v4 ? 1 : 28, routed.ttl,
                            {address.bytes.data(), v4 ? 4u : 16u});
    }
    if (!fits) {
      truncated = true;
      return answered();
    }
  }
  if (routed.kind == routing::Answer::Kind::cname)
    owner = target;
  else
    next = {};
  return answered();
}

void Build::resolve(const ZoneIndex& query_zone, NameRef question) {
  const auto& snapshot = responder_.snapshot;
  const uint16_t qtype = query_.qtype;
  // Each name of the chain, lower-cased: a CNAME back to one of them is a loop, and the chain
  // ends there, every record in it once (RFC 2181 5: no record twice in an answer).
  // Plain pointers, left uninitialised: a string_view array would be zeroed on every query.
  const char* chain[max_chain];
  size_t chain_length[max_chain];
  char lower[max_chain + 1][max_name_length];  // one more: the last step may still write a target
  std::string_view name = as_view(query_.qname_lower, query_.qname_length);
  NameRef owner = question;
  const ZoneIndex* zone = &query_zone;

  for (size_t step = 0; step < max_chain && !truncated; ++step) {
    for (size_t earlier = 0; earlier < step; ++earlier)
      if (std::string_view(chain[earlier], chain_length[earlier]) == name) return;
    chain[step] = name.data();
    chain_length[step] = name.size();
    const model::Profile* profile = snapshot.profile_for(name);
    // A profile answers A and AAAA at its name; other types come from static data sharing
    // the name (SOA and NS at an apex), else from the profile (a CNAME, or NODATA).
    if (profile && qtype != 1 && qtype != 28 && qtype != type_any) {
      const Node* node = zone->node(name);
      if (node && !node->rrsets.empty()) profile = nullptr;
    }
    if (profile) {
      std::string_view next;
      if (!answer_profile(*profile, owner, next)) {
        add_negative_soa(*zone, owner);
        return;
      }
      if (next.empty() || qtype == type_cname) return;
      name = next;  // an FQDN endpoint: follow the CNAME when we serve its target
      zone = snapshot.zone_for(name);
      if (!zone) return;
      continue;
    }

    const auto match = zone->find(name, qtype);
    switch (match.kind) {
      case ZoneIndex::Match::Kind::delegation: {
        // A chain into a delegated name keeps its authoritative CNAMEs and adds the referral
        // (RFC 1034 4.3.2 step 3b), which is then optional: left out when it does not fit.
        if (step == 0) {
          writer_.set_flags(writer_.flags() & ~flag_aa);
          referral = true;
        }
        const NameRef cut = suffix_of(owner, name.size() - match.start);
        if (add(Section::authority, cut, *match.node->find(type_ns), true)) {
          add_target_addresses();
        } else if (step > 0) {
          writer_.truncate_from(Section::authority);
          truncated = false;
        }
        return;
      }
      case ZoneIndex::Match::Kind::nxdomain:
        rcode = rcode_nxdomain;  // RFC 6604: the rcode speaks of the last name in the chain
        add_negative_soa(*zone, owner);
        return;
      case ZoneIndex::Match::Kind::dname:
        if (!follow_dname(*match.node, match.start, name, owner, lower[step + 1]) || qtype == type_cname)
          return;
        zone = snapshot.zone_for(name);
        if (!zone) return;
        continue;
      case ZoneIndex::Match::Kind::exact:
      case ZoneIndex::Match::Kind::wildcard: {
        if (match.kind == ZoneIndex::Match::Kind::wildcard) wildcard = true;
        const Node& node = *match.node;
        const RRset* cname = node.find(type_cname);
        if (cname && qtype != type_cname && qtype != type_any) {
          NameRef target;
          const auto& record = cname->records.front();
          const auto* rdata = reinterpret_cast<const uint8_t*>(record.rdata.data());
          if (!writer_.record(Section::answer, owner, type_cname, cname->ttl, {rdata, record.rdata.size()}, 0,
                              &target)) {
            truncated = true;
            return;
          }
          owner = target;
          char* next = lower[step + 1];
          const size_t length = std::min(record.rdata.size(), sizeof lower[0]);
          for (size_t i = 0; i < length; ++i) {
            const char c = record.rdata[i];
            next[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
          }
          name = std::string_view(next, length);
          zone = snapshot.zone_for(name);
          if (!zone) return;
          continue;
        }
        const RRset* rrset = nullptr;
        if (qtype == type_any) {  // RFC 8482 4.2: one RRset, the lowest-numbered, not all
          for (const auto& candidate : node.rrsets)
            if (!rrset || candidate.type < rrset->type) rrset = &candidate;
        } else {
          rrset = node.find(qtype);
        }
        if (!rrset) {
          add_negative_soa(*zone, owner);
          return;
        }
        if (add(Section::answer, owner, *rrset, true)) add_target_addresses(rrset);
        return;
      }
    }
  }
}

// EDNS options for the response: NSID when asked for and configured, ECS echoed. Returns the
// length; the ECS scope byte is at `*scope_at` (or -1) so it can be set once routing is done.
// `room`: what the options may take beside header, question and OPT within the size limit.
// ECS always fits (24 bytes at most); a long NSID may not, beside a long name: it is left out.
size_t response_options(const Query& query, const model::ServerSettings& server, size_t room, uint8_t* out,
                        int* scope_at) {
  size_t length = 0;
  auto put16 = [&](unsigned value) {
    out[length++] = static_cast<uint8_t>(value >> 8);
    out[length++] = static_cast<uint8_t>(value);
  };
  *scope_at = -1;
  const size_t ecs_length = query.has_ecs ? 8 + (query.ecs.source_prefix + 7) / 8 : 0;
  if (query.nsid_requested && !server.nsid.empty() && 4 + server.nsid.size() + ecs_length <= room) {
    put16(3);
    put16(server.nsid.size());
    std::memcpy(out + length, server.nsid.data(), server.nsid.size());
    length += server.nsid.size();
  }
  if (query.has_ecs) {
    const size_t address_length = (query.ecs.source_prefix + 7) / 8;
    put16(8);
    put16(4 + address_length);
    put16(query.ecs.address.family == geo::Family::v4 ? 1 : 2);
    out[length++] = query.ecs.source_prefix;
    *scope_at = static_cast<int>(length);
    out[length++] = 0;
    std::memcpy(out + length, query.ecs.address.bytes.data(), address_length);
    length += address_length;
  }
  return length;
}

// CHAOS TXT (RFC 4892): id.server answers the NSID string, version.bind and version.server the
// configured version. Null when the answer is REFUSED, with the Extended DNS Error in `*ede`: a
// name of ours whose string is unset is Prohibited (hidden, as NSD's hide-identity and
// hide-version), a type other than TXT or ANY Not Supported, any other name Not Authoritative.
const std::string* chaos_text(const Query& query, const model::ServerSettings& server, uint16_t* ede) {
  const std::string_view name = as_view(query.qname_lower, query.qname_length);
  using namespace std::string_view_literals;  // split after each length: "\x04" "bind", not \x04b
  const std::string* text = nullptr;
  if (name == "\x02" "id" "\x06" "server" "\x00"sv) {
    text = &server.nsid;
  } else if (name == "\x07" "version" "\x04" "bind" "\x00"sv ||
             name == "\x07" "version" "\x06" "server" "\x00"sv) {
    text = &server.version;
  } else {
    *ede = ede_not_authoritative;
    return nullptr;
  }
  if (query.qtype != type_txt && query.qtype != type_any) {
    *ede = ede_not_supported;
    return nullptr;
  }
  if (text->empty()) {
    *ede = ede_prohibited;
    return nullptr;
  }
  return text;
}

// Writes the CHAOS answer (AA, class CH, TTL 0 so that no cache keeps it) and returns 0, or
// returns the REFUSED's Extended DNS Error. Rare: kept out of respond(), and returning the code
// rather than writing it through a pointer keeps respond()'s copy of it in a register.
[[gnu::noinline]] uint16_t answer_chaos(const Query& query, const model::ServerSettings& server,
                                        WireWriter& writer, NameRef question) {
  uint16_t ede = 0;
  const std::string* text = chaos_text(query, server, &ede);
  if (!text) return ede;
  uint8_t rdata[256];  // one TXT string: conf/ keeps both strings at 1..255 bytes
  rdata[0] = static_cast<uint8_t>(text->size());
  std::memcpy(rdata + 1, text->data(), text->size());
  writer.set_flags(writer.flags() | flag_aa);
  if (!writer.record_of_class(class_chaos, Section::answer, question, type_txt, 0, {rdata, 1 + text->size()}))
    writer.set_flags(writer.flags() | flag_tc);
  return 0;
}

}  // namespace

Response Responder::respond(std::span<const uint8_t> packet, const geo::Address& source, bool tcp,
                            std::span<uint8_t> out) const {
  Query query;
  const auto outcome = parse_query(packet, query);
  return respond(query, outcome, source, tcp, out);
}

Response Responder::respond(const Query& query, ParseOutcome outcome, const geo::Address& source, bool tcp,
                            std::span<uint8_t> out) const {
  if (outcome == ParseOutcome::drop) {
    counters.dropped.bump();
    return {};
  }
  const auto& server = snapshot.config().server;
  // Every answer to a query with an OPT carries ours, FORMERR too, so the client can tell a
  // format error from a server without EDNS (RFC 6891 6.1.1, 7); a FORMERR echoes no option.
  const bool edns = query.edns;
  uint8_t options[300];
  int scope_at = -1;
  const size_t limit = tcp          ? max_response
                       : query.edns ? std::min<size_t>(query.udp_size, server.udp_payload)
                                    : 512;
  const size_t fixed = 12 + (query.has_question ? query.qname_length + 4 : 0) + 11;  // header, question, OPT
  size_t options_length =  // an Extended DNS Error may be added below, when it fits
      edns && outcome != ParseOutcome::formerr ? response_options(query, server, limit - fixed, options, &scope_at)
                                               : 0;
  WireWriter writer(out, limit, edns ? 11 + options_length : 0);
  const uint16_t flags =
      flag_qr | uint16_t(query.opcode) << 11 | (query.rd ? flag_rd : 0) | (query.cd ? flag_cd : 0);

  NameRef question{};
  if (query.has_question)
    question =
        writer.start(query.id, flags, as_view(query.qname, query.qname_length), query.qtype, query.qclass);
  else
    writer.start_without_question(query.id, flags);

  Response response;
  response.question_end = static_cast<uint16_t>(writer.size());
  size_t zone_position = 0;  // counted under no zone until one is found
  auto finish = [&](uint8_t rcode, unsigned scope, AnswerKind kind) {
    writer.set_flags(static_cast<uint16_t>((writer.flags() & ~0x000f) | (rcode & 0x0f)));
    if (edns) {
      if (scope_at >= 0) options[scope_at] = query.ecs.source_prefix == 0 ? 0 : static_cast<uint8_t>(scope);
      response.opt_at = static_cast<uint16_t>(writer.size());
      writer.opt(server.udp_payload, static_cast<uint8_t>(rcode >> 4), query.dnssec_ok,
                 {options, options_length});
    }
    answers.response(zone_position, rcode).bump();
    response.size = writer.size();
    response.rcode = rcode;
    response.kind = kind;
    response.zone = static_cast<uint32_t>(zone_position);
    return response;
  };
  auto error = [&](uint8_t rcode) { return finish(rcode, 0, AnswerKind::error); };

  switch (outcome) {
    case ParseOutcome::formerr: return error(rcode_formerr);
    case ParseOutcome::notimp:
      // RD and CD mean something in a QUERY alone (RFC 1035 4.1.1, RFC 4035 3.2): not echoed.
      writer.set_flags(writer.flags() & ~(flag_rd | flag_cd));
      return error(rcode_notimp);
    case ParseOutcome::badvers: return error(16);  // BADVERS: upper bits in the OPT
    default: break;
  }
  if (query.qtype == type_opt) return error(rcode_formerr);
  // Why the answer is REFUSED, as an Extended DNS Error INFO-CODE (RFC 8914 4); 0: it is not.
  // Every refusal leaves by one exit, so the IN path builds no closure for it.
  uint16_t refusal = 0;
  if (query.qclass != class_in) [[unlikely]] {
    if (query.qclass == class_chaos) {
      refusal = answer_chaos(query, server, writer, question);
      if (refusal == 0) return finish(0, 0, AnswerKind::positive);
    } else if (query.qclass != class_any) {
      // QCLASS ANY (RFC 1035 3.2.5) asks for every class we hold, which is IN alone: answered
      // as IN, the records of class IN, the question as asked.
      refusal = ede_not_supported;
    }
  }
  const std::string_view qname = as_view(query.qname_lower, query.qname_length);
  const ZoneIndex* zone = nullptr;
  if (refusal == 0) {
    // No zone transfers at all (zones come from files on every replica): Not Supported, not
    // Prohibited, which would say some other client may.
    if (query.qtype == type_axfr || query.qtype == type_ixfr) refusal = ede_not_supported;
    else if (!(zone = snapshot.zone_for(qname))) refusal = ede_not_authoritative;
  }
  if (refusal != 0) [[unlikely]] {
    // The EDE goes to a query with EDNS where the client's payload has room for it (an answer
    // with no records always has).
    if (edns && options_length + 6 <= sizeof options && writer.size() + 11 + options_length + 6 <= limit) {
      const uint8_t option[6] = {0, option_ede, 0, 2, static_cast<uint8_t>(refusal >> 8),
                                 static_cast<uint8_t>(refusal)};
      std::memcpy(options + options_length, option, sizeof option);
      options_length += sizeof option;
    }
    return error(rcode_refused);
  }
  zone_position = zone->position() + 1;
  // DS lives on the parent's side of a cut (RFC 4035 3.1.4.1): at a zone's apex it comes from
  // the parent zone when we serve that too and it delegates the name (else from the zone).
  if (query.qtype == type_ds && qname == zone->origin()) {
    const ZoneIndex* parent = snapshot.zone_for(parent_name(qname));
    const Node* cut = parent ? parent->node(qname) : nullptr;
    if (cut && cut->find(type_ns)) zone = parent;
  }

  const bool by_ecs = query.has_ecs && query.ecs.source_prefix > 0;
  writer.set_flags(writer.flags() | flag_aa);
  Build build(*this, query, writer, by_ecs ? query.ecs.address : source,
              by_ecs ? query.ecs.source_prefix : source.max_prefix());
  build.resolve(*zone, question);
  if (build.truncated) {
    writer.truncate_from(Section::answer);
    writer.set_flags(writer.flags() | flag_tc);
    counters.truncated.bump();
    response.truncated = true;
  }
  response.wildcard = build.wildcard;
  AnswerKind kind = AnswerKind::positive;
  if (build.rcode == rcode_nxdomain) kind = AnswerKind::nxdomain;
  else if (build.rcode != 0) kind = AnswerKind::error;
  else if (build.referral) kind = AnswerKind::referral;
  else if (writer.count(Section::answer) == 0 && !build.truncated) kind = AnswerKind::nodata;
  return finish(build.rcode, build.ecs_scope, kind);
}

}  // namespace meridian::server
