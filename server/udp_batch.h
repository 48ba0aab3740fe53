// Batched UDP: waits for queries with one recvmmsg and sends their answers with one sendmmsg
// (Linux). Each UDP socket has a thread of its own blocked in it (server/udp_receiver.h).
//
// Hand-written rather than libuv's uv_udp_t: libuv 1.44 batches receives but sends each answer
// with its own sendmsg, and the target in bench/ is total CPU per query within 15% of the floor
// responder, which batches both ways (bench/RESULTS.md has the figures).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "geo/net.h"

namespace meridian::server {

class UdpBatch {
 public:
  static constexpr size_t batch = 32;
  static constexpr size_t query_room = 4096;   // larger datagrams are not DNS queries we answer
  static constexpr size_t answer_room = 4096;  // server.udp_payload is at most 4096

  UdpBatch();

  // Waits until at least one datagram is queued on `fd` (a blocking socket), takes up to a
  // batch of what is there, and answers it. First `handler.prepare(queries, sources)` sees the
  // whole batch (a datagram too long to be a query has a span with no data); then
  // `handler.respond(index, source, out)` answers queries[index], returning the answer's length
  // or 0 for none. Returns the datagrams that could not be sent (full socket buffer).
  // At most `width` (up to `batch`) datagrams are taken per call.
  template <typename Handler>
  size_t serve(int fd, size_t width, Handler&& handler);

 private:
  size_t receive(int fd, size_t width);
  size_t send(int fd, size_t count);

  std::unique_ptr<uint8_t[]> queries_;
  std::unique_ptr<uint8_t[]> answers_;
  std::array<mmsghdr, batch> in_{};
  std::array<mmsghdr, batch> out_{};
  std::array<iovec, batch> in_iov_{};
  std::array<iovec, batch> out_iov_{};
  std::array<sockaddr_storage, batch> peers_{};
};

geo::Address address_of(const sockaddr* address);

template <typename Handler>
size_t UdpBatch::serve(int fd, size_t width, Handler&& handler) {
  const size_t received = receive(fd, std::min(width, batch));
  std::array<std::span<const uint8_t>, batch> queries;
  std::array<geo::Address, batch> sources;
  for (size_t i = 0; i < received; ++i) {
    if (in_[i].msg_hdr.msg_flags & MSG_TRUNC) queries[i] = {};  // cut short by query_room: not a query
    else queries[i] = {queries_.get() + i * query_room, in_[i].msg_len};
    sources[i] = address_of(reinterpret_cast<const sockaddr*>(&peers_[i]));
  }
  handler.prepare(std::span<const std::span<const uint8_t>>(queries.data(), received),
                  std::span<const geo::Address>(sources.data(), received));
  size_t answers = 0;
  for (size_t i = 0; i < received; ++i) {
    if (!queries[i].data()) continue;
    std::span<uint8_t> out(answers_.get() + answers * answer_room, answer_room);
    const size_t length = handler.respond(i, sources[i], out);
    if (length == 0) continue;
    out_iov_[answers] = {out.data(), length};
    out_[answers].msg_hdr.msg_name = &peers_[i];
    out_[answers].msg_hdr.msg_namelen = in_[i].msg_hdr.msg_namelen;
    out_[answers].msg_hdr.msg_iov = &out_iov_[answers];
    out_[answers].msg_hdr.msg_iovlen = 1;
    ++answers;
  }
  return answers ? answers - send(fd, answers) : 0;
}

}  // namespace meridian::server
