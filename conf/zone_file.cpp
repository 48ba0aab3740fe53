// Reads RFC 1035 master files ($ORIGIN, $TTL, relative names, RFC 3597 unknown types) with ldns
// and checks what an authoritative server needs: one SOA and NS at the apex, data in-zone,
// no CNAME beside other data.
#include "conf/zone_file.h"

#include <ldns/ldns.h>
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "conf/config.h"

namespace meridian::conf {
namespace {

using RdfPtr = std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)>;
using RrPtr = std::unique_ptr<ldns_rr, decltype(&ldns_rr_free)>;
using FilePtr = std::unique_ptr<FILE, decltype(&fclose)>;

std::string wire_of(const ldns_rdf* name) {
  RdfPtr copy(ldns_rdf_clone(name), ldns_rdf_deep_free);
  ldns_dname2canonical(copy.get());
  return std::string(reinterpret_cast<const char*>(ldns_rdf_data(copy.get())), ldns_rdf_size(copy.get()));
}

std::string rdata_of(const ldns_rr* rr) {
  std::unique_ptr<ldns_buffer, decltype(&ldns_buffer_free)> buffer(ldns_buffer_new(512), ldns_buffer_free);
  if (ldns_rr_rdata2buffer_wire(buffer.get(), rr) != LDNS_STATUS_OK)
    throw std::runtime_error("cannot encode rdata");
  return std::string(reinterpret_cast<const char*>(ldns_buffer_begin(buffer.get())),
                     ldns_buffer_position(buffer.get()));
}

// Blank and comment-only lines ahead in `file`, which ldns skips before the next record;
// the file position is left where it was.
int lines_before_next_record(FILE* file) {
  const long position = ftell(file);
  int skipped = 0;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, file)) {
    const char* c = buffer;
    while (*c == ' ' || *c == '\t' || *c == '\r') ++c;
    if (*c != '\n' && *c != ';' && *c != '\0') break;
    if (*c == ';' && !strchr(c, '\n')) break;  // a comment longer than the buffer: stop counting
    ++skipped;
  }
  fseek(file, position, SEEK_SET);
  return skipped;
}

// Moves `at` past the uncompressed name starting there; false when it is not one (a label past
// the end, a compression pointer or another label type, longer than 255 bytes).
bool skip_name(const std::string& rdata, size_t& at) {
  const size_t start = at;
  while (at < rdata.size()) {
    const auto label = static_cast<uint8_t>(rdata[at]);
    if (label > 63) return false;
    at += 1 + label;
    if (at - start > 255) return false;
    if (label == 0) return true;
  }
  return false;
}

// Whether the rdata of a type the server reads has that type's layout: addresses of their size,
// the names it follows or adds addresses for (RFC 1035 3.3, RFC 2782, RFC 6672) and the SOA's
// MINIMUM. ldns checks what it parses from presentation form, but RFC 3597's \# form gives
// any type any bytes, and ldns takes rdata that ends early (even empty) as it is.
bool well_formed_rdata(uint16_t type, const std::string& rdata) {
  size_t at = 0;
  switch (type) {
    case LDNS_RR_TYPE_A: return rdata.size() == 4;
    case LDNS_RR_TYPE_AAAA: return rdata.size() == 16;
    case LDNS_RR_TYPE_NS:
    case LDNS_RR_TYPE_CNAME:
    case LDNS_RR_TYPE_PTR:
    case LDNS_RR_TYPE_DNAME: return skip_name(rdata, at) && at == rdata.size();
    case LDNS_RR_TYPE_MX: at = 2; return skip_name(rdata, at) && at == rdata.size();
    case LDNS_RR_TYPE_SRV: at = 6; return skip_name(rdata, at) && at == rdata.size();
    case LDNS_RR_TYPE_SOA: return skip_name(rdata, at) && skip_name(rdata, at) && rdata.size() - at == 20;
    default: return true;
  }
}

std::string type_name(uint16_t type) {
  std::unique_ptr<char, decltype(&free)> text(ldns_rr_type2str(static_cast<ldns_rr_type>(type)), free);
  return text ? text.get() : std::to_string(type);
}

bool is_subdomain_or_equal(const std::string& name, const std::string& origin) {
  // Both are lower-cased wire names; compare whole labels from the right.
  if (name.size() < origin.size()) return false;
  if (name.compare(name.size() - origin.size(), origin.size(), origin) != 0) return false;
  size_t offset = 0;
  const size_t target = name.size() - origin.size();
  while (offset < target) offset += 1 + static_cast<unsigned char>(name[offset]);
  return offset == target;
}

}  // namespace

void read_zone_file(model::Zone& zone, const std::string& config_file) {
  FilePtr file(fopen(zone.file.c_str(), "r"), fclose);
  if (!file) throw ConfigError(config_file, zone.line, "cannot open zone file " + zone.file);

  RdfPtr origin(nullptr, ldns_rdf_deep_free);
  {
    ldns_rdf* raw = nullptr;
    if (ldns_str2rdf_dname(&raw, (zone.origin + ".").c_str()) != LDNS_STATUS_OK)
      throw ConfigError(config_file, zone.line, "malformed zone origin \"" + zone.origin + "\"");
    origin.reset(raw);
  }

  // Read record by record (rather than ldns_zone_new_frm_fp) so every error has its line.
  uint32_t default_ttl = 3600;
  ldns_rdf* current_origin = ldns_rdf_clone(origin.get());
  ldns_rdf* previous = nullptr;
  int line = 1;
  std::unique_ptr<ldns_rdf*, void (*)(ldns_rdf**)> cleanup(&current_origin, [](ldns_rdf** r) {
    if (*r) ldns_rdf_deep_free(*r);
  });
  std::unique_ptr<ldns_rdf*, void (*)(ldns_rdf**)> cleanup_previous(&previous, [](ldns_rdf** r) {
    if (*r) ldns_rdf_deep_free(*r);
  });

  std::map<std::pair<std::string, uint16_t>, uint32_t> rrset_ttl;
  std::set<std::tuple<std::string, uint16_t, std::string>> seen;
  struct Kinds {
    bool cname = false;
    bool other = false;
  };
  std::map<std::string, Kinds> kinds_at;
  std::map<std::string, int, std::less<>> dname_at;      // owner -> line (found by string_view)
  std::vector<std::pair<std::string, int>> owner_lines;  // every record's owner and line
  bool have_soa = false;
  while (!feof(file.get())) {
    ldns_rr* raw = nullptr;
    const int start_line = line + lines_before_next_record(file.get());
    ldns_status status =
        ldns_rr_new_frm_fp_l(&raw, file.get(), &default_ttl, &current_origin, &previous, &line);
    if (status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_TTL ||
        status == LDNS_STATUS_SYNTAX_ORIGIN)
      continue;
    const int record_line = start_line;  // a record's errors belong to its first line
    if (status == LDNS_STATUS_SYNTAX_INCLUDE)
      throw ConfigError(zone.file, record_line, "$INCLUDE is not supported");
    if (status != LDNS_STATUS_OK) throw ConfigError(zone.file, record_line, ldns_get_errorstr_by_id(status));
    RrPtr rr(raw, ldns_rr_free);
    model::Record record;
    record.owner = wire_of(ldns_rr_owner(rr.get()));
    record.type = ldns_rr_get_type(rr.get());
    record.rrclass = ldns_rr_get_class(rr.get());
    record.ttl = ldns_rr_ttl(rr.get());
    record.rdata = rdata_of(rr.get());
    const std::string owner_text = from_wire_name(record.owner);

    if (!well_formed_rdata(record.type, record.rdata))
      throw ConfigError(zone.file, record_line,
                        "record " + owner_text + ": malformed " + type_name(record.type) + " rdata");
    if (record.rrclass != LDNS_RR_CLASS_IN)
      throw ConfigError(zone.file, record_line, "record " + owner_text + " is not of class IN");
    if (!is_subdomain_or_equal(record.owner, zone.origin_wire))
      throw ConfigError(zone.file, record_line,
                        "record " + owner_text + " is outside the zone " + zone.origin);
    if (record.type == LDNS_RR_TYPE_SOA) {
      if (record.owner != zone.origin_wire)
        throw ConfigError(zone.file, record_line, "SOA record " + owner_text + " is not at the zone apex");
      if (have_soa) throw ConfigError(zone.file, record_line, "a second SOA record at the zone apex");
      have_soa = true;
    }
    // An RRset is a set (RFC 2181 5): identical records collapse into one.
    if (!seen.emplace(record.owner, record.type, record.rdata).second) continue;
    // RFC 2181 5.2: all records of an RRset share one TTL; like BIND, keep the first one.
    auto [it, inserted] = rrset_ttl.emplace(std::pair{record.owner, record.type}, record.ttl);
    if (!inserted) record.ttl = it->second;
    // A CNAME owns its name alone (RFC 1034 3.6.2, RFC 2181 10.1).
    auto& kinds = kinds_at[record.owner];
    const bool is_cname = record.type == LDNS_RR_TYPE_CNAME;
    if (is_cname && kinds.cname)
      throw ConfigError(zone.file, record_line, "more than one CNAME at " + owner_text);
    if ((is_cname && kinds.other) || (!is_cname && kinds.cname))
      throw ConfigError(zone.file, record_line, "CNAME and other data at " + owner_text);
    (is_cname ? kinds.cname : kinds.other) = true;
    if (record.type == LDNS_RR_TYPE_DNAME && !dname_at.emplace(record.owner, record_line).second)
      throw ConfigError(zone.file, record_line, "more than one DNAME at " + owner_text);
    owner_lines.emplace_back(record.owner, record_line);
    zone.records.push_back(std::move(record));
  }
  // Nothing may exist below a DNAME's owner: the DNAME redirects every name there (RFC 6672 2.3).
  if (!dname_at.empty()) {
    for (const auto& [owner, record_line] : owner_lines) {
      for (std::string_view above = parent_wire_name(owner); above.size() >= zone.origin_wire.size();
           above = parent_wire_name(above)) {
        const auto dname = dname_at.find(above);
        if (dname != dname_at.end())
          throw ConfigError(zone.file, record_line,
                            "record " + from_wire_name(owner) + " lies below the DNAME at " +
                                from_wire_name(dname->first) + " (line " + std::to_string(dname->second) +
                                ")");
      }
    }
  }

  if (!have_soa) throw ConfigError(config_file, zone.line, "zone " + zone.origin + " has no SOA record");
  const bool have_ns = std::any_of(zone.records.begin(), zone.records.end(), [&](const auto& r) {
    return r.owner == zone.origin_wire && r.type == LDNS_RR_TYPE_NS;
  });
  if (!have_ns)
    throw ConfigError(config_file, zone.line, "zone " + zone.origin + " has no NS record at its apex");
}

}  // namespace meridian::conf
