// The seqlock behind ResolvedTable: atomic words per slot, copied between two sequence loads.
//
// Ordering without standalone fences (which ThreadSanitizer cannot follow): the writer stores
// the odd sequence, then every word with release, then the even sequence with release; the
// reader loads the sequence and every word with acquire. A reader that sees any word of a
// newer write therefore also sees that write's odd sequence (the word's release store carries
// it), so its second sequence load differs and it retries.
#include "resolver/resolved_table.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace meridian::resolver {

// 16 IPv4 words, 16 IPv6 double words, a count word and the sequence: one slot per endpoint,
// aligned so that writers of neighbouring endpoints do not share a cache line with it.
struct alignas(64) ResolvedTable::Slot {
  std::atomic<uint64_t> sequence{0};  // odd while a write is under way
  std::atomic<uint32_t> v4_count{0};
  std::atomic<uint32_t> v6_count{0};
  std::atomic<uint32_t> v4[max_per_family]{};
  std::atomic<uint64_t> v6[max_per_family][2]{};
};

namespace {

void load_v4(const std::atomic<uint32_t>& word, geo::Address& out) {
  uint32_t bits = word.load(std::memory_order_acquire);
  out = geo::Address{};
  out.family = geo::Family::v4;
  std::memcpy(out.bytes.data(), &bits, 4);
}

void load_v6(const std::atomic<uint64_t> (&words)[2], geo::Address& out) {
  uint64_t high = words[0].load(std::memory_order_acquire);
  uint64_t low = words[1].load(std::memory_order_acquire);
  out.family = geo::Family::v6;
  std::memcpy(out.bytes.data(), &high, 8);
  std::memcpy(out.bytes.data() + 8, &low, 8);
}

}  // namespace

ResolvedTable::ResolvedTable(size_t endpoint_count)
    : size_(endpoint_count), slots_(std::make_unique<Slot[]>(endpoint_count)) {}

ResolvedTable::~ResolvedTable() = default;

void ResolvedTable::publish(model::EndpointId id, std::span<const geo::Address> addresses) {
  if (id >= size_) throw std::out_of_range("resolver: no endpoint " + std::to_string(id));
  std::lock_guard lock(writer_);
  Slot& slot = slots_[id];
  const uint64_t sequence = slot.sequence.load(std::memory_order_relaxed);
  slot.sequence.store(sequence + 1, std::memory_order_relaxed);
  uint32_t v4_count = 0, v6_count = 0;
  for (const auto& address : addresses) {
    if (address.family == geo::Family::v4 && v4_count < max_per_family) {
      uint32_t bits;
      std::memcpy(&bits, address.bytes.data(), 4);
      slot.v4[v4_count++].store(bits, std::memory_order_release);
    } else if (address.family == geo::Family::v6 && v6_count < max_per_family) {
      uint64_t high, low;
      std::memcpy(&high, address.bytes.data(), 8);
      std::memcpy(&low, address.bytes.data() + 8, 8);
      slot.v6[v6_count][0].store(high, std::memory_order_release);
      slot.v6[v6_count][1].store(low, std::memory_order_release);
      ++v6_count;
    }
  }
  slot.v4_count.store(v4_count, std::memory_order_release);
  slot.v6_count.store(v6_count, std::memory_order_release);
  slot.sequence.store(sequence + 2, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

template <typename Copy>
size_t ResolvedTable::read_consistent(const Slot& slot, Copy copy) const noexcept {
  while (true) {
    const uint64_t before = slot.sequence.load(std::memory_order_acquire);
    if (before & 1) continue;  // a write is under way: it ends within a few dozen stores
    size_t copied = copy();  // acquire loads: the second sequence load cannot move above them
    if (slot.sequence.load(std::memory_order_relaxed) == before) return copied;
  }
}

size_t ResolvedTable::read(model::EndpointId id, geo::Family family, std::span<geo::Address> out) const noexcept {
  if (id >= size_) return 0;
  const Slot& slot = slots_[id];
  return read_consistent(slot, [&] {
    size_t count = family == geo::Family::v4 ? slot.v4_count.load(std::memory_order_acquire)
                                             : slot.v6_count.load(std::memory_order_acquire);
    // A torn count (from a write that the sequence check will reject) must not overrun.
    count = std::min({count, out.size(), max_per_family});
    for (size_t i = 0; i < count; ++i) {
      if (family == geo::Family::v4)
        load_v4(slot.v4[i], out[i]);
      else
        load_v6(slot.v6[i], out[i]);
    }
    return count;
  });
}

size_t ResolvedTable::read(model::EndpointId id, std::span<geo::Address> out) const noexcept {
  if (id >= size_) return 0;
  const Slot& slot = slots_[id];
  return read_consistent(slot, [&] {
    size_t v4_count = std::min<size_t>(slot.v4_count.load(std::memory_order_acquire), max_per_family);
    size_t v6_count = std::min<size_t>(slot.v6_count.load(std::memory_order_acquire), max_per_family);
    size_t copied = 0;
    for (size_t i = 0; i < v4_count && copied < out.size(); ++i) load_v4(slot.v4[i], out[copied++]);
    for (size_t i = 0; i < v6_count && copied < out.size(); ++i) load_v6(slot.v6[i], out[copied++]);
    return copied;
  });
}

}  // namespace meridian::resolver
