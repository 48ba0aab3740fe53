// recvmmsg/sendmmsg on a blocking UDP socket, with buffers allocated once per socket.
#include "server/udp_batch.h"

#include <cerrno>
#include <cstring>

namespace meridian::server {

geo::Address address_of(const sockaddr* from) {
  geo::Address address;
  if (from->sa_family == AF_INET) {
    address.family = geo::Family::v4;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in*>(from)->sin_addr, 4);
  } else {
    address.family = geo::Family::v6;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(from)->sin6_addr, 16);
  }
  return address;
}

UdpBatch::UdpBatch()
    : queries_(std::make_unique<uint8_t[]>(batch * query_room)),
      answers_(std::make_unique<uint8_t[]>(batch * answer_room)) {
  for (size_t i = 0; i < batch; ++i) {
    in_iov_[i] = {queries_.get() + i * query_room, query_room};
    in_[i].msg_hdr.msg_name = &peers_[i];
    in_[i].msg_hdr.msg_iov = &in_iov_[i];
    in_[i].msg_hdr.msg_iovlen = 1;
  }
}

size_t UdpBatch::receive(int fd, size_t width) {
  // recvmmsg writes back the address length (and msg_len, msg_flags); the rest stays as set up.
  for (size_t i = 0; i < width; ++i) in_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  int received;
  do {
    // Blocks for the first datagram only, then takes what else is already queued.
    received = recvmmsg(fd, in_.data(), static_cast<unsigned>(width), MSG_WAITFORONE, nullptr);
  } while (received < 0 && errno == EINTR);
  return received < 0 ? 0 : static_cast<size_t>(received);
}

size_t UdpBatch::send(int fd, size_t count) {
  size_t position = 0;
  size_t delivered = 0;
  while (position < count) {
    const int result = sendmmsg(fd, out_.data() + position, count - position, MSG_DONTWAIT);
    if (result < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // dropped, as a full network would
      ++position;  // one bad destination (a pending ICMP error, say): skip it, send the rest
      continue;
    }
    position += static_cast<size_t>(result);
    delivered += static_cast<size_t>(result);
  }
  return delivered;
}

}  // namespace meridian::server
