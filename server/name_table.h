// A read-only map from wire names to pointers, built once per snapshot. Open addressing over
// one flat array of slots, each holding the name's full hash and where its bytes sit in one
// shared buffer: a lookup reads one slot and, when the hash matches, one name. With 10,000
// profiles an unordered_map cost a cache miss per bucket, per node and per key string.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meridian::server {

// Wire names are short: eight bytes per step, mixed by multiplication, inline. std::hash's
// out-of-line Murmur took a tenth of a static answer (bench/answer-time.sh). The keys come from
// the config, so a query name cannot make a bucket longer than the config made it. Not
// noexcept on purpose: libstdc++ then stores each key's hash, and a miss compares hashes along
// the bucket instead of rehashing every key in it.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const {
    uint64_t hash = name.size() * 0x9e3779b97f4a7c15ull;
    size_t at = 0;
    for (; at + 8 <= name.size(); at += 8) {
      uint64_t word;
      std::memcpy(&word, name.data() + at, 8);
      hash = (hash ^ word) * 0xff51afd7ed558ccdull;
      hash ^= hash >> 32;
    }
    uint64_t tail = 0;  // byte by byte: a memcpy of variable length is a call into libc
    for (size_t i = 0; at + i < name.size(); ++i)
      tail |= uint64_t(static_cast<uint8_t>(name[at + i])) << (8 * i);
    hash = (hash ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return hash ^ (hash >> 29);
  }
};

template <typename Value>
class NameTable {
 public:
  NameTable() = default;
  // Names must be distinct (conf/ rejects duplicates); a repeated name throws.
  explicit NameTable(const std::vector<std::pair<std::string_view, const Value*>>& entries) {
    size_t capacity = 8;
    while (capacity < entries.size() * 2) capacity *= 2;  // at most half full: short probes
    slots_.resize(capacity);
    mask_ = capacity - 1;
    for (const auto& [name, value] : entries) {
      if (find(name)) throw std::invalid_argument("name listed twice in a name table");
      const uint64_t hash = NameHash{}(name);
      size_t at = hash & mask_;
      while (slots_[at].value) at = (at + 1) & mask_;
      slots_[at] = Slot{hash, static_cast<uint32_t>(names_.size()), static_cast<uint32_t>(name.size()), value};
      names_.append(name);
    }
  }

  const Value* find(std::string_view name) const { return find(name, NameHash{}(name)); }
  // `hash` must be NameHash{}(name): for callers that hashed the name already.
  const Value* find(std::string_view name, uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    for (size_t at = hash & mask_;; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (!slot.value) return nullptr;
      if (slot.hash == hash && slot.length == name.size()) {
        // The caller reads the value next: fetch it while the name is compared.
        __builtin_prefetch(slot.value);
        if (std::memcmp(names_.data() + slot.offset, name.data(), name.size()) == 0) return slot.value;
      }
    }
  }

  // Look-ahead for a batch of lookups (server/batch_responder.h), in two steps that each start a
  // cache miss and wait for none: the slot a hash leads to, then the name and value of the entry
  // whose hash matches (its name still unchecked).
  void prefetch_slot(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }
  void prefetch_entry(uint64_t hash) const {
    if (slots_.empty()) return;
    for (size_t at = hash & mask_;; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (!slot.value) return;
      if (slot.hash != hash) continue;
      __builtin_prefetch(names_.data() + slot.offset);
      __builtin_prefetch(slot.value);
      return;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;  // into names_
    uint32_t length = 0;
    const Value* value = nullptr;  // null: empty slot
  };
  std::vector<Slot> slots_;
  std::string names_;
  size_t mask_ = 0;
};

}  // namespace meridian::server
