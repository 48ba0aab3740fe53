// Reads a query's header, question and OPT record, checking what the RFCs require.
#include "server/query.h"

#include <cstring>

namespace meridian::server {
namespace {

constexpr uint16_t type_opt = 41;
constexpr uint16_t option_nsid = 3;
constexpr uint16_t option_ecs = 8;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  size_t position() const { return position_; }
  size_t remaining() const { return data_.size() - position_; }
  bool u8(uint8_t& value) {
    if (remaining() < 1) return false;
    value = data_[position_++];
    return true;
  }
  bool u16(uint16_t& value) {
    if (remaining() < 2) return false;
    value = static_cast<uint16_t>(data_[position_] << 8 | data_[position_ + 1]);
    position_ += 2;
    return true;
  }
  bool u32(uint32_t& value) {
    uint16_t high = 0, low = 0;
    if (!u16(high) || !u16(low)) return false;
    value = uint32_t(high) << 16 | low;
    return true;
  }
  bool skip(size_t count) {
    if (remaining() < count) return false;
    position_ += count;
    return true;
  }
  const uint8_t* here() const { return data_.data() + position_; }

  // Skips a possibly compressed name, checking its labels and that pointers point backwards.
  bool skip_name() {
    size_t length = 0;
    while (true) {
      uint8_t label = 0;
      if (!u8(label)) return false;
      if ((label & 0xc0) == 0xc0) {
        uint8_t low = 0;
        if (!u8(low)) return false;
        const size_t target = size_t(label & 0x3f) << 8 | low;
        return target < position_ - 2;
      }
      if (label & 0xc0) return false;  // 01 and 10 label types are not in use
      if (label == 0) return length + 1 <= max_name_length;
      length += label + 1;
      if (!skip(label)) return false;
    }
  }

 private:
  std::span<const uint8_t> data_;
  size_t position_ = 0;
};

// The question's name, uncompressed (nothing precedes it that a pointer could reach).
bool read_qname(Reader& reader, Query& query) {
  size_t length = 0;
  while (true) {
    uint8_t label = 0;
    if (!reader.u8(label)) return false;
    if (label & 0xc0) return false;
    if (length + 1 + label > max_name_length) return false;
    query.qname[length] = label;
    query.qname_lower[length] = label;
    ++length;
    if (label == 0) break;
    if (reader.remaining() < label) return false;
    std::memcpy(query.qname + length, reader.here(), label);
    for (size_t i = 0; i < label; ++i) {
      const uint8_t c = reader.here()[i];
      query.qname_lower[length + i] = (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
    }
    length += label;
    reader.skip(label);
  }
  query.qname_length = length;
  return true;
}

// RFC 7871 6: family 1 or 2, source prefix within the family, scope 0 in a query, exactly
// ceil(source/8) address bytes, and no bits set past the source prefix.
bool read_client_subnet(const uint8_t* data, size_t length, ClientSubnet& ecs) {
  if (length < 4) return false;
  const uint16_t family = static_cast<uint16_t>(data[0] << 8 | data[1]);
  const uint8_t source = data[2];
  const uint8_t scope = data[3];
  // Written in place: copying a local Address after its variable-length memcpy stalled on store
  // forwarding. A query that fails here is answered FORMERR, which never reads `ecs`.
  geo::Address& address = ecs.address;
  address = geo::Address{};
  if (family == 1) address.family = geo::Family::v4;
  else if (family == 2) address.family = geo::Family::v6;
  else return false;
  if (source > address.max_prefix() || scope != 0) return false;
  const size_t address_length = (source + 7) / 8;
  if (length - 4 != address_length) return false;
  std::memcpy(address.bytes.data(), data + 4, address_length);
  // Bits past the source prefix must be zero (RFC 7871 6); only the last byte can hold any.
  if (source % 8 != 0 && (address.bytes[address_length - 1] & (0xff >> (source % 8))) != 0) return false;
  ecs.source_prefix = source;
  return true;
}

bool read_opt(Reader& reader, Query& query) {
  uint16_t type = 0, udp_size = 0, rdlength = 0;
  uint32_t ttl = 0;
  reader.u16(type);
  if (!reader.u16(udp_size) || !reader.u32(ttl) || !reader.u16(rdlength)) return false;
  if (reader.remaining() < rdlength) return false;
  query.edns = true;
  query.udp_size = udp_size < 512 ? 512 : udp_size;  // RFC 6891 6.2.3
  query.edns_version = static_cast<uint8_t>(ttl >> 16);
  query.dnssec_ok = ttl & 0x8000;
  const uint8_t* options = reader.here();
  size_t offset = 0;
  while (offset < rdlength) {
    if (rdlength - offset < 4) return false;
    const uint16_t code = static_cast<uint16_t>(options[offset] << 8 | options[offset + 1]);
    const uint16_t length = static_cast<uint16_t>(options[offset + 2] << 8 | options[offset + 3]);
    offset += 4;
    if (rdlength - offset < length) return false;
    if (code == option_nsid) {
      query.nsid_requested = true;
    } else if (code == option_ecs) {
      if (query.has_ecs) return false;  // one ECS option per message
      if (!read_client_subnet(options + offset, length, query.ecs)) return false;
      query.has_ecs = true;
    }  // other options are ignored (RFC 6891 6.1.2)
    offset += length;
  }
  reader.skip(rdlength);
  return true;
}

// Skips one resource record; reports whether it was an OPT (which must not be here).
bool skip_record(Reader& reader, bool& is_opt) {
  uint16_t type = 0, rrclass = 0, rdlength = 0;
  uint32_t ttl = 0;
  if (!reader.skip_name() || !reader.u16(type) || !reader.u16(rrclass) || !reader.u32(ttl) ||
      !reader.u16(rdlength))
    return false;
  is_opt = type == type_opt;
  return reader.skip(rdlength);
}

// The answer, authority and additional sections of a query: no OPT but one in additional,
// which fills `query`'s EDNS fields; nothing after them. False when malformed.
bool read_records(std::span<const uint8_t> packet, Reader& reader, unsigned ancount, unsigned nscount,
                  unsigned arcount, Query& query) {
  for (unsigned i = 0; i < ancount + nscount; ++i) {
    bool is_opt = false;
    if (!skip_record(reader, is_opt) || is_opt) return false;
  }
  bool seen_opt = false;
  for (unsigned i = 0; i < arcount; ++i) {
    const size_t start = reader.position();
    uint8_t root = 0xff;
    reader.u8(root);
    uint16_t type = 0;
    if (root == 0 && reader.u16(type) && type == type_opt) {
      // RFC 6891 6.1.1: one OPT, owned by the root name.
      if (seen_opt) return false;
      seen_opt = true;
      Reader opt_reader(packet);
      opt_reader.skip(start + 1);
      if (!read_opt(opt_reader, query)) return false;
      reader = opt_reader;
      continue;
    }
    Reader record_reader(packet);
    record_reader.skip(start);
    bool is_opt = false;
    if (!skip_record(record_reader, is_opt) || is_opt) return false;
    reader = record_reader;
  }
  return reader.remaining() == 0;  // no trailing bytes
}

}  // namespace

ParseOutcome parse_query(std::span<const uint8_t> packet, Query& query) {
  query.clear();
  Reader reader(packet);
  if (packet.size() < 12) return ParseOutcome::drop;
  uint16_t flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  reader.u16(query.id);
  reader.u16(flags);
  reader.u16(qdcount);
  reader.u16(ancount);
  reader.u16(nscount);
  reader.u16(arcount);
  if (flags & 0x8000) return ParseOutcome::drop;  // a response: answering it could loop
  query.opcode = (flags >> 11) & 0x0f;
  query.rd = flags & 0x0100;
  query.cd = flags & 0x0010;

  // Read to the end even when the header or question is wrong, where the message can still be
  // walked: an OPT in it means the FORMERR or NOTIMP carries one too (RFC 6891 6.1.1, 7).
  bool walkable = true;
  if (qdcount == 1) {
    query.has_question = read_qname(reader, query) && reader.u16(query.qtype) && reader.u16(query.qclass);
    walkable = query.has_question;
  } else {
    for (unsigned i = 0; i < qdcount && walkable; ++i) walkable = reader.skip_name() && reader.skip(4);
  }
  const bool well_formed = walkable && read_records(packet, reader, ancount, nscount, arcount, query);
  if (query.opcode != 0) return ParseOutcome::notimp;
  if (qdcount != 1 || !well_formed) return ParseOutcome::formerr;
  if (query.edns && query.edns_version > 0) return ParseOutcome::badvers;
  return ParseOutcome::ok;
}

}  // namespace meridian::server
