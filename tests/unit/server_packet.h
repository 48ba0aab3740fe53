// Hand-built DNS messages for the server unit tests: a Packet assembled field by field, and
// EDNS options (ECS among them) to put in its OPT record.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace meridian::testing {

using Bytes = std::vector<uint8_t>;

// A DNS message assembled field by field.
struct Packet {
  Bytes data;

  Packet& u8(unsigned value) {
    data.push_back(static_cast<uint8_t>(value));
    return *this;
  }
  Packet& u16(unsigned value) { return u8(value >> 8).u8(value & 0xff); }
  Packet& u32(uint32_t value) { return u16(value >> 16).u16(value & 0xffff); }
  Packet& raw(const Bytes& bytes) {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return *this;
  }
  // "www.example.test" as labels and the root; "" is the root alone.
  Packet& name(std::string_view text) {
    while (!text.empty()) {
      const auto dot = text.find('.');
      const auto label = text.substr(0, dot);
      u8(label.size());
      for (char c : label) u8(static_cast<uint8_t>(c));
      text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    }
    return u8(0);
  }
  Packet& header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Packet& question(std::string_view qname = "www.example.test", unsigned qtype = 1, unsigned qclass = 1) {
    return name(qname).u16(qtype).u16(qclass);
  }
  // A resource record owned by `owner` with the given rdata.
  Packet& record(std::string_view owner, unsigned type, const Bytes& rdata, unsigned rrclass = 1,
                 uint32_t ttl = 300) {
    return name(owner).u16(type).u16(rrclass).u32(ttl).u16(rdata.size()).raw(rdata);
  }
  // An OPT pseudo-record (owned by the root) carrying `options` (already framed).
  Packet& opt(const Bytes& options = {}, unsigned udp_size = 1232, unsigned version = 0, bool dnssec_ok = false) {
    return u8(0).u16(41).u16(udp_size).u8(0).u8(version).u16(dnssec_ok ? 0x8000 : 0).u16(options.size()).raw(options);
  }
};

// One EDNS option: code, length, data.
inline Bytes option(unsigned code, const Bytes& data) {
  Bytes result{static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code), static_cast<uint8_t>(data.size() >> 8),
               static_cast<uint8_t>(data.size())};
  result.insert(result.end(), data.begin(), data.end());
  return result;
}

inline Bytes ecs(unsigned family, unsigned source, unsigned scope, const Bytes& address) {
  Bytes data{static_cast<uint8_t>(family >> 8), static_cast<uint8_t>(family), static_cast<uint8_t>(source),
             static_cast<uint8_t>(scope)};
  data.insert(data.end(), address.begin(), address.end());
  return option(8, data);
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes result;
  for (const auto& part : parts) result.insert(result.end(), part.begin(), part.end());
  return result;
}

}  // namespace meridian::testing
