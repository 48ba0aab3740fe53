// The simulator's DNS client: builds the query with ldns, sends it on a connected UDP socket, and
// waits with poll() for the reply that matches it.
#include "sim/dns_client.h"

// clang-format off
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>
// clang-format on

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

namespace meridian::sim {

OwnedDescriptor::~OwnedDescriptor() {
  if (descriptor_ >= 0) close(descriptor_);
}

OwnedDescriptor& OwnedDescriptor::operator=(OwnedDescriptor&& other) noexcept {
  if (this != &other) {
    if (descriptor_ >= 0) close(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, -1);
  }
  return *this;
}

namespace {

struct PacketDeleter {
  void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

struct MallocDeleter {
  void operator()(void* memory) const { free(memory); }
};

constexpr uint16_t edns_payload = 1232;  // the DNS flag day 2020 size: no fragmentation on any path
constexpr uint16_t ecs_option_code = 8;
constexpr size_t dns_header_size = 12;

std::string error(std::string_view what) {
  return "error: " + std::string(what);
}
std::string system_error(std::string_view what) {
  return error(std::string(what) + ": " + std::strerror(errno));
}

// The ECS option (RFC 7871 section 6) framed as EDNS option data: only as many address bytes as
// the source prefix covers, the bits past it zero (a server must refuse anything else).
std::vector<uint8_t> ecs_option(const geo::Cidr& subnet) {
  const size_t address_length = (subnet.prefix + 7) / 8;
  const auto network = subnet.network.masked(subnet.prefix);
  const unsigned family = subnet.network.family == geo::Family::v4 ? 1 : 2;
  const size_t length = 4 + address_length;
  std::vector<uint8_t> option{
      uint8_t(ecs_option_code >> 8), uint8_t(ecs_option_code), uint8_t(length >> 8),   uint8_t(length),
      uint8_t(family >> 8),          uint8_t(family),          uint8_t(subnet.prefix), 0};
  option.insert(option.end(), network.bytes.begin(), network.bytes.begin() + long(address_length));
  return option;
}

// The scope prefix of the reply's ECS option, if it has one.
unsigned scope_prefix_of(const ldns_pkt* reply) {
  const ldns_rdf* data = ldns_pkt_edns_data(reply);
  if (data == nullptr) return 0;
  const uint8_t* bytes = ldns_rdf_data(data);
  const size_t size = ldns_rdf_size(data);
  for (size_t at = 0; at + 4 <= size;) {
    const unsigned code = unsigned(bytes[at] << 8 | bytes[at + 1]);
    const size_t length = size_t(bytes[at + 2] << 8 | bytes[at + 3]);
    if (at + 4 + length > size) return 0;
    if (code == ecs_option_code && length >= 4) return bytes[at + 4 + 3];
    at += 4 + length;
  }
  return 0;
}

std::string rcode_outcome(unsigned rcode) {
  switch (rcode) {
    case LDNS_RCODE_FORMERR: return "FORMERR";
    case LDNS_RCODE_SERVFAIL: return "SERVFAIL";
    case LDNS_RCODE_NXDOMAIN: return "NXDOMAIN";
    case LDNS_RCODE_NOTIMPL: return "NOTIMP";
    case LDNS_RCODE_REFUSED: return "REFUSED";
    default: return error("rcode " + std::to_string(rcode));
  }
}

std::string presentation_name(const ldns_rdf* name) {
  std::unique_ptr<char, MallocDeleter> text(ldns_rdf2str(name));
  if (!text) return {};
  std::string result(text.get());
  if (result.size() > 1 && result.back() == '.') result.pop_back();
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return result;
}

// Whether `reply` answers `query`: same ID, a response, and the same question. Anything else on
// the socket (a late reply to an earlier query, a stray datagram) is not ours to take.
bool answers(const ldns_pkt* reply, const ldns_pkt* query) {
  if (!ldns_pkt_qr(reply) || ldns_pkt_id(reply) != ldns_pkt_id(query)) return false;
  const ldns_rr_list* asked = ldns_pkt_question(query);
  const ldns_rr_list* echoed = ldns_pkt_question(reply);
  if (echoed == nullptr || ldns_rr_list_rr_count(echoed) != 1) return false;
  const ldns_rr* ours = ldns_rr_list_rr(asked, 0);
  const ldns_rr* theirs = ldns_rr_list_rr(echoed, 0);
  return ldns_rr_get_type(ours) == ldns_rr_get_type(theirs) &&
         ldns_rr_get_class(ours) == ldns_rr_get_class(theirs) &&
         ldns_dname_compare(ldns_rr_owner(ours), ldns_rr_owner(theirs)) == 0;
}

DnsReply reply_of(const ldns_pkt* reply, uint16_t qtype) {
  DnsReply result;
  result.scope_prefix = scope_prefix_of(reply);
  if (ldns_pkt_tc(reply)) {
    result.outcome = error("truncated");
    return result;
  }
  const unsigned rcode = unsigned(ldns_pkt_get_rcode(reply)) | unsigned(ldns_pkt_edns_extended_rcode(reply))
                                                                   << 4;
  if (rcode != LDNS_RCODE_NOERROR) {
    result.outcome = rcode_outcome(rcode);
    return result;
  }
  bool of_the_type = false;
  std::optional<uint32_t> lowest_ttl;
  const ldns_rr_list* answer = ldns_pkt_answer(reply);
  for (size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
    const ldns_rr* record = ldns_rr_list_rr(answer, i);
    const auto type = ldns_rr_get_type(record);
    lowest_ttl = std::min(lowest_ttl.value_or(UINT32_MAX), ldns_rr_ttl(record));
    if (type == qtype) of_the_type = true;
    const ldns_rdf* data = ldns_rr_rd_count(record) > 0 ? ldns_rr_rdf(record, 0) : nullptr;
    if (data == nullptr) continue;
    if (type == LDNS_RR_TYPE_CNAME) {
      result.cnames.push_back(presentation_name(data));
    } else if ((type == LDNS_RR_TYPE_A && ldns_rdf_size(data) == 4) ||
               (type == LDNS_RR_TYPE_AAAA && ldns_rdf_size(data) == 16)) {
      geo::Address address;
      address.family = type == LDNS_RR_TYPE_A ? geo::Family::v4 : geo::Family::v6;
      std::memcpy(address.bytes.data(), ldns_rdf_data(data), ldns_rdf_size(data));
      result.addresses.push_back(address);
    }
  }
  result.ttl = lowest_ttl.value_or(0);
  // A CNAME alone (its target out of the zone, or not resolved) is no answer of the type asked.
  result.outcome = of_the_type ? "answer" : "NODATA";
  return result;
}

}  // namespace

DnsClient::DnsClient(const geo::SocketAddress& server)
    : random_(std::random_device{}()), receive_buffer_(65535) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (server.address.family == geo::Family::v4) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(address);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(server.port);
    std::memcpy(&v4.sin_addr, server.address.bytes.data(), 4);
    length = sizeof v4;
  } else {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(server.port);
    std::memcpy(&v6.sin6_addr, server.address.bytes.data(), 16);
    length = sizeof v6;
  }
  socket_ = OwnedDescriptor(socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (socket_.get() < 0)
    throw std::runtime_error(std::string("cannot open a UDP socket: ") + std::strerror(errno));
  // Connected: the kernel drops datagrams from any other address, and reports the server's
  // ICMP port unreachable as ECONNREFUSED instead of leaving us to time out.
  if (connect(socket_.get(), reinterpret_cast<const sockaddr*>(&address), length) < 0)
    throw std::runtime_error("cannot connect a UDP socket to " + server.to_string() + ": " +
                             std::strerror(errno));
}

DnsReply DnsClient::query(std::string_view name, uint16_t qtype, const geo::Cidr& subnet,
                          model::Duration timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  DnsReply failed;

  std::string absolute(name);
  if (absolute.empty() || absolute.back() != '.') absolute += '.';
  ldns_rdf* qname = ldns_dname_new_frm_str(absolute.c_str());
  if (qname == nullptr) {
    failed.outcome = error("invalid name " + std::string(name));
    return failed;
  }
  // No RD: the simulated resolver asks the authoritative server itself.
  Packet query(ldns_pkt_query_new(qname, ldns_rr_type(qtype), LDNS_RR_CLASS_IN, 0));
  if (!query) {
    ldns_rdf_deep_free(qname);  // it takes the name only when it succeeds
    failed.outcome = error("cannot build the query");
    return failed;
  }
  ldns_pkt_set_id(query.get(), uint16_t(std::uniform_int_distribution<unsigned>(0, 0xffff)(random_)));
  ldns_pkt_set_edns_udp_size(query.get(), edns_payload);
  const auto option = ecs_option(subnet);
  ldns_pkt_set_edns_data(query.get(),
                         ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, option.size(), option.data()));

  uint8_t* raw_wire = nullptr;
  size_t wire_size = 0;
  if (ldns_pkt2wire(&raw_wire, query.get(), &wire_size) != LDNS_STATUS_OK) {
    free(raw_wire);
    failed.outcome = error("cannot encode the query");
    return failed;
  }
  std::unique_ptr<uint8_t, MallocDeleter> wire(raw_wire);
  if (send(socket_.get(), wire.get(), wire_size, 0) != ssize_t(wire_size)) {
    failed.outcome = system_error("send");
    return failed;
  }

  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd readable{socket_.get(), POLLIN, 0};
    const int ready = poll(&readable, 1, int(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      failed.outcome = system_error("poll");
      return failed;
    }
    if (ready == 0) break;
    const ssize_t received = recv(socket_.get(), receive_buffer_.data(), receive_buffer_.size(), 0);
    if (received < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      failed.outcome = system_error("recv");
      return failed;
    }
    ldns_pkt* raw_reply = nullptr;
    if (ldns_wire2pkt(&raw_reply, receive_buffer_.data(), size_t(received)) != LDNS_STATUS_OK) {
      // Ours but unreadable (same ID, QR set): the server sent garbage, which is worth reporting.
      const bool ours = size_t(received) >= dns_header_size && (receive_buffer_[2] & 0x80) != 0 &&
                        uint16_t(receive_buffer_[0] << 8 | receive_buffer_[1]) == ldns_pkt_id(query.get());
      if (!ours) continue;
      if (receive_buffer_[2] & 0x02)
        failed.outcome = error("truncated");
      else
        failed.outcome = error("malformed reply");
      return failed;
    }
    Packet reply(raw_reply);
    if (!answers(reply.get(), query.get())) continue;
    return reply_of(reply.get(), qtype);
  }
  failed.outcome = "timeout";
  return failed;
}

}  // namespace meridian::sim
