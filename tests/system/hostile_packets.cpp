#include "hostile_packets.h"

#include <iterator>

namespace meridian::test {
namespace {

void put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

// An OPT record: root owner, `payload` as its class, `options` as its rdata.
std::vector<uint8_t> opt(uint16_t payload, const std::vector<uint8_t>& options, uint8_t version = 0) {
  std::vector<uint8_t> rr{0};
  put16(rr, 41);
  put16(rr, payload);
  rr.insert(rr.end(), {0, version, 0, 0});
  put16(rr, static_cast<uint16_t>(options.size()));
  append(rr, options);
  return rr;
}

}  // namespace

HostilePackets::HostilePackets(uint64_t seed, std::string zone) : random_(seed) {
  size_t start = 0;
  while (start < zone.size()) {
    const size_t dot = zone.find('.', start);
    const size_t end = dot == std::string::npos ? zone.size() : dot;
    zone_wire_.push_back(static_cast<uint8_t>(end - start));
    zone_wire_.insert(zone_wire_.end(), zone.begin() + start, zone.begin() + end);
    start = end + 1;
  }
  zone_wire_.push_back(0);
}

std::vector<uint8_t> HostilePackets::header(uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                                            uint16_t ar) {
  std::vector<uint8_t> out;
  put16(out, static_cast<uint16_t>(random_()));
  for (uint16_t field : {flags, qd, an, ns, ar}) put16(out, field);
  return out;
}

// A name under the zone (sometimes the apex), type and class as given.
std::vector<uint8_t> HostilePackets::question(uint16_t type, uint16_t klass) {
  std::vector<uint8_t> out;
  static const char* const labels[] = {"www", "mail", "nope", "sub", "a", "xn--bcher-kva"};
  for (uint32_t n = below(3); n > 0; --n) {
    const std::string label = labels[below(std::size(labels))];
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  append(out, zone_wire_);
  put16(out, type);
  put16(out, klass);
  return out;
}

std::vector<uint8_t> HostilePackets::valid_query() {
  static const uint16_t types[] = {1, 28, 15, 16, 2, 6, 255, 33, 5};
  auto out = header(below(2) ? 0x0100 : 0, 1, 0, 0, 1);
  append(out, question(types[below(std::size(types))], 1));
  append(out, opt(1232, {}));
  return out;
}

HostilePackets::Message HostilePackets::next() {
  const uint32_t kind = below(std::size(kinds));
  std::vector<uint8_t> out;
  switch (kind) {
    case 0: {  // random bytes, mostly with QR clear so the parser reads them
      out.resize(below(600));
      for (auto& byte : out) byte = static_cast<uint8_t>(random_());
      if (out.size() > 2 && below(4) != 0) out[2] &= 0x7f;
      break;
    }
    case 1: {  // a valid query cut short anywhere
      out = valid_query();
      out.resize(below(static_cast<uint32_t>(out.size())));
      break;
    }
    case 2: {  // compression pointers that point at themselves, at each other, or forward
      out = header(0, 1, 0, 0, 0);
      switch (below(3)) {
        case 0: out.insert(out.end(), {0xc0, 12}); break;                            // itself
        case 1: out.insert(out.end(), {1, 'a', 0xc0, 14, 1, 'b', 0xc0, 12}); break;  // a loop of two
        default: out.insert(out.end(), {0xc0, static_cast<uint8_t>(20 + below(200))}); break;  // forward
      }
      put16(out, 1);
      put16(out, 1);
      break;
    }
    case 3: {  // as many labels as fit, or more than 255 bytes of name
      out = header(0, 1, 0, 0, 0);
      const uint32_t count = 100 + below(200);
      for (uint32_t i = 0; i < count; ++i) out.insert(out.end(), {1, static_cast<uint8_t>('a' + i % 26)});
      append(out, zone_wire_);
      put16(out, 1);
      put16(out, 1);
      break;
    }
    case 4: {  // label lengths over 63: the reserved 0x40 and 0x80 label types, or past the end
      out = header(0, 1, 0, 0, 0);
      out.push_back(static_cast<uint8_t>(64 + below(128)));
      for (uint32_t n = below(80); n > 0; --n) out.push_back('x');
      append(out, zone_wire_);
      put16(out, 1);
      put16(out, 1);
      break;
    }
    case 5: {  // every opcode, with the rest a valid query
      out = header(static_cast<uint16_t>(below(16) << 11 | (below(2) ? 0x0100 : 0) | (below(2) ? 0x0010 : 0)),
                   1, 0, 0, below(2));
      append(out, question(1, 1));
      if (out[11]) append(out, opt(1232, {}));
      break;
    }
    case 6: {  // every class: IN, CH, HS, NONE, ANY, and anything
      static const uint16_t classes[] = {1, 3, 4, 254, 255, 0, 2, 65535};
      const uint16_t klass = below(4) ? classes[below(std::size(classes))] : static_cast<uint16_t>(random_());
      out = header(0, 1, 0, 0, 0);
      append(out, question(below(2) ? 16 : static_cast<uint16_t>(random_()), klass));
      break;
    }
    case 7: {  // EDNS payload claims from 0 to 65535, versions above 0, the DO bit
      static const uint16_t payloads[] = {0, 1, 511, 512, 4096, 65535};
      out = header(0, 1, 0, 0, 1);
      append(out, question(255, 1));
      auto record =
          opt(payloads[below(std::size(payloads))], {}, below(3) == 0 ? static_cast<uint8_t>(random_()) : 0);
      if (below(2)) record[7] = 0x80;  // DO
      append(out, record);
      break;
    }
    case 8: {  // OPT records that lie: two of them, a bad owner, rdata length past the end, options cut
      out = header(0, 1, 0, 0, 2);
      append(out, question(1, 1));
      switch (below(4)) {
        case 0:
          append(out, opt(1232, {}));
          append(out, opt(1232, {}));
          break;
        case 1: {
          auto record = opt(1232, {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
          record[record.size() - 13] = 0xff;  // rdata length low byte, far past the end
          append(out, record);
          out[11] = 1;
          break;
        }
        case 2:
          append(out, opt(1232, {0, 3, 0, 200, 'x'}));
          out[11] = 1;
          break;  // NSID claiming 200 bytes
        default: {
          auto record = opt(1232, {});
          record[0] = 3;  // an owner that is not the root
          append(out, record);
          out[11] = 1;
          break;
        }
      }
      break;
    }
    case 9: {  // ECS that cannot be: prefixes over the family's length, unknown families, a scope
               // in a query, address bytes longer or shorter than the prefix says
      std::vector<uint8_t> ecs;
      const uint16_t family =
          below(3) == 0 ? static_cast<uint16_t>(below(5)) : static_cast<uint16_t>(1 + below(2));
      const uint8_t source =
          static_cast<uint8_t>(below(3) == 0 ? below(256) : (family == 2 ? 129 + below(10) : 33 + below(10)));
      const uint8_t scope = static_cast<uint8_t>(below(2) ? below(200) : 0);
      std::vector<uint8_t> address(below(20));
      for (auto& byte : address) byte = static_cast<uint8_t>(random_());
      put16(ecs, 8);
      put16(ecs,
            static_cast<uint16_t>(4 + address.size() + (below(4) == 0 ? below(5) : 0)));  // sometimes lying
      put16(ecs, family);
      ecs.push_back(source);
      ecs.push_back(scope);
      append(ecs, address);
      out = header(0, 1, 0, 0, 1);
      append(out, question(1, 1));
      append(out, opt(1232, ecs));
      break;
    }
    case 10: {  // question counts of 0, 2 or 65535; answers, authority and additional in a query
      const uint16_t qd = below(3) == 0 ? 0 : below(2) ? 2 : 65535;
      out = header(0, qd, static_cast<uint16_t>(below(3)), static_cast<uint16_t>(below(3)),
                   static_cast<uint16_t>(below(3)));
      for (uint32_t n = below(3); n > 0; --n) append(out, question(1, 1));
      break;
    }
    default: {  // a response, which must never be answered (a reflection loop otherwise)
      out = valid_query();
      out[2] |= 0x80;
      break;
    }
  }
  return {std::move(out), kinds[kind]};
}

}  // namespace meridian::test
