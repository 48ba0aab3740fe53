// The response writer: header, question, records with pointer owners, OPT, truncation.
#include "server/wire_writer.h"

#include <cstring>

namespace meridian::server {

WireWriter::WireWriter(std::span<uint8_t> buffer, size_t limit, size_t reserve)
    : data_(buffer.data()), limit_(limit < buffer.size() ? limit : buffer.size()), reserve_(reserve) {}

void WireWriter::put16(size_t at, uint16_t value) {
  data_[at] = static_cast<uint8_t>(value >> 8);
  data_[at + 1] = static_cast<uint8_t>(value);
}

void WireWriter::start_without_question(uint16_t id, uint16_t flags) {
  put16(0, id);
  put16(2, flags);
  std::memset(data_ + 4, 0, 8);
  position_ = 12;
}

NameRef WireWriter::start(uint16_t id, uint16_t flags, std::string_view qname, uint16_t qtype, uint16_t qclass) {
  start_without_question(id, flags);
  std::memcpy(data_ + 12, qname.data(), qname.size());
  position_ = 12 + qname.size();
  put16(position_, qtype);
  put16(position_ + 2, qclass);
  position_ += 4;
  put16(4, 1);
  return NameRef{12, static_cast<uint16_t>(qname.size())};
}

void WireWriter::set_flags(uint16_t flags) { put16(2, flags); }
uint16_t WireWriter::flags() const { return static_cast<uint16_t>(data_[2] << 8 | data_[3]); }

void WireWriter::write_owner(NameRef owner) {
  // A pointer reaches only the first 16 KiB; past that (large TCP answers), repeat the name.
  if (owner.offset < 0x4000) {
    put16(position_, static_cast<uint16_t>(0xc000 | owner.offset));
    position_ += 2;
  } else {
    std::memmove(data_ + position_, data_ + owner.offset, owner.length);
    position_ += owner.length;
  }
}

bool WireWriter::record(Section section, NameRef owner, uint16_t type, uint32_t ttl,
                        std::span<const uint8_t> rdata, int rdata_name, NameRef* name_ref) {
  const size_t owner_size = owner.offset < 0x4000 ? 2 : owner.length;
  const size_t needed = owner_size + 10 + rdata.size();
  if (position_ + needed + reserve_ > limit_) return false;
  const int index = static_cast<int>(section);
  if (!section_begun_[index]) {
    section_begun_[index] = true;
    section_start_[index] = position_;
  }
  write_owner(owner);
  put16(position_, type);
  put16(position_ + 2, 1);  // IN
  put16(position_ + 4, static_cast<uint16_t>(ttl >> 16));
  put16(position_ + 6, static_cast<uint16_t>(ttl));
  put16(position_ + 8, static_cast<uint16_t>(rdata.size()));
  position_ += 10;
  if (rdata_name >= 0 && name_ref) {
    name_ref->offset = static_cast<uint16_t>(position_ + rdata_name);
    // The name runs to its root label; rdata names are stored uncompressed.
    size_t at = rdata_name;
    while (at < rdata.size() && rdata[at] != 0) at += 1 + rdata[at];
    name_ref->length = static_cast<uint16_t>(at + 1 - rdata_name);
  }
  std::memcpy(data_ + position_, rdata.data(), rdata.size());
  position_ += rdata.size();
  ++counts_[index];
  put16(6 + 2 * index, counts_[index]);
  return true;
}

bool WireWriter::record_of_class(uint16_t rrclass, Section section, NameRef owner, uint16_t type, uint32_t ttl,
                                 std::span<const uint8_t> rdata) {
  if (!record(section, owner, type, ttl, rdata)) return false;
  put16(position_ - rdata.size() - 8, rrclass);  // before TTL (4) and RDLENGTH (2)
  return true;
}

void WireWriter::truncate_from(Section section) {
  for (int index = static_cast<int>(section); index < 3; ++index) {
    if (section_begun_[index] && section_start_[index] < position_) position_ = section_start_[index];
    section_begun_[index] = false;
    counts_[index] = 0;
    put16(6 + 2 * index, 0);
  }
}

void WireWriter::rewind_additional(Mark mark) {
  position_ = mark.position;
  counts_[2] = mark.count;
  put16(10, mark.count);
}

void WireWriter::opt(uint16_t payload, uint8_t extended_rcode, bool dnssec_ok, std::span<const uint8_t> options) {
  data_[position_] = 0;  // the root name
  put16(position_ + 1, 41);
  put16(position_ + 3, payload);
  data_[position_ + 5] = extended_rcode;
  data_[position_ + 6] = 0;  // version 0
  put16(position_ + 7, dnssec_ok ? 0x8000 : 0);
  put16(position_ + 9, static_cast<uint16_t>(options.size()));
  std::memcpy(data_ + position_ + 11, options.data(), options.size());
  position_ += 11 + options.size();
  put16(10, static_cast<uint16_t>(counts_[2] + 1));
}

}  // namespace meridian::server
