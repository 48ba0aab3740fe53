// geo/cidr_table.h: longest-prefix match from IP prefixes to values (subnets, latency tables).
//
// Layout, and why: after freeze() the prefixes of each family are grouped by prefix length,
// longest first, and each group is one sorted array of 128-bit keys. A lookup masks the
// address once per group and binary-searches it, so the first hit is the longest match.
// Real tables (subnet lists, latency tables of /24s and /48s) use a handful of distinct lengths,
// so this is a few binary searches over flat memory: no pointer-chasing trie, no hashing, and
// nothing allocated on the query path. Building goes through an ordered map, which also finds
// duplicate prefixes at insert() time, where the caller can still say which line was wrong.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "geo/net.h"

namespace meridian::geo {

template <typename Value>
class CidrTable {
 public:
  // What match() found: the value of the longest prefix holding the address and that prefix's
  // length (an ECS scope, for instance). value is null when no prefix holds the address.
  struct Match {
    const Value* value = nullptr;
    unsigned prefix = 0;
    explicit operator bool() const noexcept { return value != nullptr; }
  };

  // Adds one prefix. Throws std::invalid_argument when the same prefix (same family, network
  // and length) is already in the table, and std::logic_error after freeze(): a table is built
  // once and then shared read-only between threads.
  void insert(const Cidr& cidr, Value value) {
    if (frozen_) throw std::logic_error("CidrTable::insert after freeze");
    const Address& network = cidr.network;
    if (cidr.prefix > network.max_prefix())
      throw std::invalid_argument("prefix length out of range: " + cidr.to_string());
    const Key key = key_of(network) & mask_of(cidr.prefix);
    auto [position, inserted] = pending_.try_emplace(
        PendingKey{family_index(network.family), cidr.prefix, key}, std::move(value));
    (void)position;
    if (!inserted) throw std::invalid_argument("duplicate prefix " + cidr.to_string());
  }

  // Ends building: lays the prefixes out for lookups. Calling it again does nothing.
  void freeze() {
    if (frozen_) return;
    values_.reserve(pending_.size());
    // pending_ is ordered by (family, prefix, key): each run of equal (family, prefix) is one
    // group, already sorted by key.
    for (auto& [pending_key, value] : pending_) {
      auto& groups = groups_[pending_key.family];
      if (groups.empty() || groups.back().prefix != pending_key.prefix)
        groups.push_back(Group{pending_key.prefix, mask_of(pending_key.prefix), {}});
      groups.back().entries.push_back(
          Entry{pending_key.key, static_cast<uint32_t>(values_.size())});
      values_.push_back(std::move(value));
    }
    for (auto& groups : groups_) std::reverse(groups.begin(), groups.end());  // longest first
    pending_.clear();
    frozen_ = true;
  }

  bool frozen() const noexcept { return frozen_; }

  // The longest prefix holding the address. Only a frozen table finds anything.
  Match match(const Address& address) const noexcept {
    assert(frozen_ && "CidrTable::match before freeze");
    const Key key = key_of(address);
    for (const Group& group : groups_[family_index(address.family)]) {
      const Key wanted = key & group.mask;
      auto it = std::lower_bound(group.entries.begin(), group.entries.end(), wanted,
                                 [](const Entry& entry, const Key& k) { return entry.key < k; });
      if (it != group.entries.end() && it->key == wanted)
        return Match{&values_[it->value], group.prefix};
    }
    return Match{};
  }

  // The value of the longest prefix holding the address, or null.
  const Value* find(const Address& address) const noexcept { return match(address).value; }

  size_t size() const noexcept { return frozen_ ? values_.size() : pending_.size(); }
  bool empty() const noexcept { return size() == 0; }

 private:
  // An address as two 64-bit words, most significant first; IPv4 uses the top 32 bits, so one
  // mask formula serves both families.
  struct Key {
    uint64_t high = 0;
    uint64_t low = 0;
    auto operator<=>(const Key&) const = default;
    Key operator&(const Key& mask) const noexcept { return Key{high & mask.high, low & mask.low}; }
  };
  struct Entry {
    Key key;
    uint32_t value = 0;  // index into values_
  };
  struct Group {
    unsigned prefix = 0;
    Key mask;
    std::vector<Entry> entries;  // sorted by key
  };
  struct PendingKey {
    size_t family = 0;
    unsigned prefix = 0;
    Key key;
    auto operator<=>(const PendingKey&) const = default;
  };

  static size_t family_index(Family family) noexcept { return family == Family::v4 ? 0 : 1; }

  static Key key_of(const Address& address) noexcept {
    Key key;
    const size_t size = address.size();
    for (size_t i = 0; i < 8; ++i) key.high = (key.high << 8) | (i < size ? address.bytes[i] : 0);
    for (size_t i = 8; i < 16; ++i) key.low = (key.low << 8) | (i < size ? address.bytes[i] : 0);
    return key;
  }

  static Key mask_of(unsigned prefix) noexcept {
    const uint64_t ones = ~uint64_t{0};
    Key mask;
    mask.high = prefix == 0 ? 0 : prefix >= 64 ? ones : ones << (64 - prefix);
    mask.low = prefix <= 64 ? 0 : prefix >= 128 ? ones : ones << (128 - prefix);
    return mask;
  }

  std::map<PendingKey, Value> pending_;       // while building
  std::vector<Value> values_;                 // after freeze(); stable, so Match::value stays valid
  std::array<std::vector<Group>, 2> groups_;  // per family, longest prefix first
  bool frozen_ = false;
};

}  // namespace meridian::geo
