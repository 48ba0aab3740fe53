// loadgen/wire.cpp: DNS query building and answer checking for the load generator.
#include "loadgen/wire.h"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace loadgen {
namespace {

constexpr uint16_t type_a = 1;
constexpr uint16_t type_cname = 5;
constexpr uint16_t type_aaaa = 28;
constexpr uint16_t type_opt = 41;
constexpr uint16_t option_ecs = 8;

void put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(uint8_t(value >> 8));
  out.push_back(uint8_t(value));
}

uint16_t get16(const uint8_t* at) { return uint16_t(at[0] << 8 | at[1]); }

// Offset just past the name at `offset`, or 0 when it runs off the message.
size_t skip_name(std::span<const uint8_t> message, size_t offset) {
  for (unsigned labels = 0; labels < 128; ++labels) {
    if (offset >= message.size()) return 0;
    const uint8_t length = message[offset];
    if (length == 0) return offset + 1;
    if ((length & 0xc0) == 0xc0) return offset + 2 <= message.size() ? offset + 2 : 0;
    if ((length & 0xc0) != 0) return 0;
    offset += 1 + length;
  }
  return 0;
}

// Offset just past the question section (one question), or 0.
size_t question_end(std::span<const uint8_t> message) {
  if (message.size() < 12) return 0;
  const size_t name_end = skip_name(message, 12);
  if (name_end == 0 || name_end + 4 > message.size()) return 0;
  return name_end + 4;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  const std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.family = 4;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = 6;
    return address;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (family == 4) inet_ntop(AF_INET, bytes.data(), text, sizeof text);
  if (family == 6) inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

uint16_t qtype_from_string(std::string_view text) {
  if (text == "A") return type_a;
  if (text == "AAAA") return type_aaaa;
  if (text == "CNAME") return type_cname;
  if (text == "NS") return 2;
  if (text == "SOA") return 6;
  if (text == "MX") return 15;
  if (text == "TXT") return 16;
  return 0;
}

int rcode_from_string(std::string_view text) {
  if (text == "NOERROR") return 0;
  if (text == "FORMERR") return 1;
  if (text == "SERVFAIL") return 2;
  if (text == "NXDOMAIN") return 3;
  if (text == "NOTIMP") return 4;
  if (text == "REFUSED") return 5;
  if (text == "*") return -1;
  return -2;
}

std::string rcode_to_string(int rcode) {
  static const char* const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  if (rcode >= 0 && rcode < 6) return names[rcode];
  return "RCODE" + std::to_string(rcode);
}

std::vector<uint8_t> build_query(std::string_view qname, uint16_t qtype, bool edns,
                                 const std::optional<ClientSubnet>& subnet) {
  std::vector<uint8_t> out;
  put16(out, 0);       // ID, written per send
  put16(out, 0x0000);  // a resolver asking an authoritative server: RD clear
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, edns ? 1 : 0);
  size_t start = 0;
  while (start < qname.size()) {
    size_t dot = qname.find('.', start);
    if (dot == std::string_view::npos) dot = qname.size();
    const size_t length = dot - start;
    if (length == 0 || length > 63) throw std::invalid_argument("bad name: " + std::string(qname));
    out.push_back(uint8_t(length));
    out.insert(out.end(), qname.begin() + long(start), qname.begin() + long(dot));
    start = dot + 1;
  }
  out.push_back(0);
  put16(out, qtype);
  put16(out, 1);  // IN
  if (!edns) return out;
  out.push_back(0);  // root owner
  put16(out, type_opt);
  put16(out, 1232);  // payload size, as resolvers send since DNS flag day 2020
  put16(out, 0);     // extended rcode, version
  put16(out, 0);     // flags
  if (!subnet) {
    put16(out, 0);
    return out;
  }
  const size_t address_bytes = (subnet->source_prefix + 7) / 8;
  put16(out, uint16_t(4 + 4 + address_bytes));
  put16(out, option_ecs);
  put16(out, uint16_t(4 + address_bytes));
  put16(out, subnet->address.family == 4 ? 1 : 2);
  out.push_back(subnet->source_prefix);
  out.push_back(0);  // scope prefix: 0 in queries
  for (size_t i = 0; i < address_bytes; ++i) {
    uint8_t byte = subnet->address.bytes[i];
    const unsigned bits_left = subnet->source_prefix - unsigned(i) * 8;
    if (bits_left < 8) byte &= uint8_t(0xff << (8 - bits_left));  // RFC 7871: zero past the prefix
    out.push_back(byte);
  }
  return out;
}

std::string Expectation::to_string() const {
  std::string text = rcode < 0 ? "any rcode" : rcode_to_string(rcode);
  if (answers == Answers::none) text += ", no answer";
  if (answers == Answers::any_of) {
    text += ", answer in {";
    for (size_t i = 0; i < allowed.size(); ++i) text += (i ? "," : "") + allowed[i].to_string();
    text += "}";
  }
  return text;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::right: return "right";
    case Verdict::wrong_rcode: return "wrong rcode";
    case Verdict::wrong_answer: return "wrong answer";
    case Verdict::wrong_question: return "wrong question";
    case Verdict::malformed: return "malformed";
    case Verdict::truncated: return "truncated";
  }
  return "?";
}

Verdict check_response(std::span<const uint8_t> query, std::span<const uint8_t> response,
                       const Expectation* expectation) {
  if (response.size() < 12 || (response[2] & 0x80) == 0) return Verdict::malformed;
  if (expectation == nullptr) return Verdict::right;
  if (response[2] & 0x02) return Verdict::truncated;
  const int rcode = response[3] & 0x0f;
  if (expectation->rcode >= 0 && rcode != expectation->rcode) return Verdict::wrong_rcode;

  // The question must come back as asked (RFC 1035 4.1.1; servers echo the case too).
  const size_t asked_end = question_end(query);
  const size_t echoed_end = question_end(response);
  if (get16(response.data() + 4) != 1 || echoed_end == 0 || echoed_end != asked_end ||
      std::memcmp(response.data() + 12, query.data() + 12, asked_end - 12) != 0)
    return Verdict::wrong_question;
  if (expectation->answers == Expectation::Answers::anything) return Verdict::right;

  const uint16_t qtype = get16(query.data() + asked_end - 4);
  const unsigned answer_count = get16(response.data() + 6);
  if (expectation->answers == Expectation::Answers::none)
    return answer_count == 0 ? Verdict::right : Verdict::wrong_answer;

  unsigned addresses = 0;
  size_t offset = echoed_end;
  for (unsigned i = 0; i < answer_count; ++i) {
    offset = skip_name(response, offset);
    if (offset == 0 || offset + 10 > response.size()) return Verdict::malformed;
    const uint16_t type = get16(response.data() + offset);
    const uint16_t length = get16(response.data() + offset + 8);
    offset += 10;
    if (offset + length > response.size()) return Verdict::malformed;
    if (type == qtype && (type == type_a || type == type_aaaa)) {
      IpAddress address;
      address.family = type == type_a ? 4 : 6;
      if (length != (type == type_a ? 4 : 16)) return Verdict::malformed;
      std::memcpy(address.bytes.data(), response.data() + offset, length);
      bool allowed = false;
      for (const auto& candidate : expectation->allowed) allowed = allowed || candidate == address;
      if (!allowed) return Verdict::wrong_answer;
      ++addresses;
    }
    offset += length;
  }
  return addresses > 0 ? Verdict::right : Verdict::wrong_answer;
}

std::string describe_response(std::span<const uint8_t> response) {
  if (response.size() < 12) return "short message";
  std::string text = rcode_to_string(response[3] & 0x0f);
  if (response[2] & 0x02) text += " TC";
  const unsigned answer_count = get16(response.data() + 6);
  text += " answers=" + std::to_string(answer_count);
  size_t offset = question_end(response);
  for (unsigned i = 0; i < answer_count && offset != 0; ++i) {
    offset = skip_name(response, offset);
    if (offset == 0 || offset + 10 > response.size()) break;
    const uint16_t type = get16(response.data() + offset);
    const uint16_t length = get16(response.data() + offset + 8);
    offset += 10;
    if (offset + length > response.size()) break;
    if ((type == type_a && length == 4) || (type == type_aaaa && length == 16)) {
      IpAddress address;
      address.family = type == type_a ? 4 : 6;
      std::memcpy(address.bytes.data(), response.data() + offset, length);
      text += " " + address.to_string();
    } else {
      text += " type" + std::to_string(type);
    }
    offset += length;
  }
  return text;
}

}  // namespace loadgen
