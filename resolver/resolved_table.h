// The resolved-address table: per endpoint, the addresses its FQDN target resolved to, written
// by the probe thread and read by DNS workers without locks and without allocating.
//
// Each endpoint has a fixed slot (at most max_per_family addresses of each family) guarded by
// a seqlock: a writer bumps the slot's sequence to odd, stores the addresses, bumps it to even;
// a reader copies the addresses between two loads of the sequence and retries when the
// sequence was odd or moved. Reads never block and never allocate; they retry only while a
// write of that very slot is under way (a few dozen stores). Every word is a std::atomic (plain
// moves on x86), so a racing read is a retry, never undefined behaviour.
// Writers are serialised by a mutex that readers never touch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "conf/model.h"
#include "geo/net.h"

namespace meridian::resolver {

class ResolvedTable {
 public:
  // Addresses kept per endpoint and family; publish() drops the rest.
  static constexpr size_t max_per_family = 8;
  static constexpr size_t max_addresses = 2 * max_per_family;

  // Every endpoint starts with no address.
  explicit ResolvedTable(size_t endpoint_count);
  ~ResolvedTable();
  ResolvedTable(const ResolvedTable&) = delete;
  ResolvedTable& operator=(const ResolvedTable&) = delete;

  // Replaces an endpoint's addresses (in the order given, the first max_per_family of each
  // family), then bumps generation(). Any thread. Throws std::out_of_range for an unknown id.
  void publish(model::EndpointId id, std::span<const geo::Address> addresses);

  // Copies up to out.size() of the endpoint's addresses of `family` into `out`; returns how
  // many it copied. An unknown id has none. Wait-free unless a write of this slot is in
  // progress (then it retries); never allocates.
  size_t read(model::EndpointId id, geo::Family family, std::span<geo::Address> out) const noexcept;
  // Both families from one consistent version: IPv4 first, then IPv6.
  size_t read(model::EndpointId id, std::span<geo::Address> out) const noexcept;

  // Bumps after every publish(), once the new addresses are readable.
  uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  size_t size() const noexcept { return size_; }

 private:
  struct Slot;
  template <typename Copy>
  size_t read_consistent(const Slot& slot, Copy copy) const noexcept;

  size_t size_;
  std::unique_ptr<Slot[]> slots_;
  std::mutex writer_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace meridian::resolver
