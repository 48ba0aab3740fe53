// Writes a DNS response into a caller's buffer without allocating (RFC 1035 4.1).
//
// Hand-written rather than built as an ldns_pkt: callgrind measured ldns's packet building and
// serialising at 25-35 thousand instructions per answer, most of the query's cost. Owner names
// are always compression pointers to a name already in the message (the question, or a name
// inside earlier rdata); rdata is copied as stored, uncompressed, which RFC 3597 allows for
// every type.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace meridian::server {

enum class Section : uint8_t { answer, authority, additional };

// Where a name sits in the message being written, for owner compression.
struct NameRef {
  uint16_t offset = 0;  // position of the name's first label
  uint16_t length = 0;  // its uncompressed wire length (as written there, uncompressed)
};

class WireWriter {
 public:
  // `limit` is the largest message allowed (512, the EDNS payload, or 65535 for TCP);
  // `reserve` bytes at the end are kept for the OPT record.
  WireWriter(std::span<uint8_t> buffer, size_t limit, size_t reserve);

  // Header (12 bytes) and the question. Returns the question name's reference.
  NameRef start(uint16_t id, uint16_t flags, std::string_view qname, uint16_t qtype, uint16_t qclass);
  void start_without_question(uint16_t id, uint16_t flags);

  // Appends one record of class IN with `owner` as its name. Returns false (and writes nothing)
  // when it does not fit. `rdata_name` is the offset of a name inside rdata whose position the
  // caller wants back in `*name_ref` (or -1).
  bool record(Section section, NameRef owner, uint16_t type, uint32_t ttl, std::span<const uint8_t> rdata,
              int rdata_name = -1, NameRef* name_ref = nullptr);
  // The same in another class (CHAOS): rare, so record() keeps IN as a constant.
  bool record_of_class(uint16_t rrclass, Section section, NameRef owner, uint16_t type, uint32_t ttl,
                       std::span<const uint8_t> rdata);

  // Removes every record of `section` and the sections after it (for truncation).
  void truncate_from(Section section);
  // The additional section as it stands, and back to it: drops what was added since (an RRset
  // that fitted only in part).
  struct Mark {
    size_t position;
    uint16_t count;
  };
  Mark mark_additional() const { return {position_, counts_[2]}; }
  void rewind_additional(Mark mark);

  void set_flags(uint16_t flags);
  uint16_t flags() const;

  // The OPT pseudo-record (RFC 6891); it goes last and always fits in the reserve.
  void opt(uint16_t payload, uint8_t extended_rcode, bool dnssec_ok, std::span<const uint8_t> options);

  size_t size() const { return position_; }
  uint16_t count(Section section) const { return counts_[static_cast<int>(section)]; }

 private:
  void put16(size_t at, uint16_t value);
  void write_owner(NameRef owner);

  uint8_t* data_;
  size_t limit_;
  size_t reserve_;
  size_t position_ = 0;
  uint16_t counts_[3] = {0, 0, 0};
  size_t section_start_[3] = {0, 0, 0};
  bool section_begun_[3] = {false, false, false};
};

}  // namespace meridian::server
