// One thread's hold on the current snapshot: refreshed when the store has published a newer
// one, so the shared_ptr's reference count is touched once per reload, not per query.
#pragma once

#include <cstdint>
#include <memory>

#include "server/snapshot.h"

namespace meridian::server {

class SnapshotReader {
 public:
  explicit SnapshotReader(const SnapshotStore& store)
      : store_(store), generation_(store.generation()), snapshot_(store.current()) {}

  const Snapshot& current() {
    const uint64_t generation = store_.generation();
    if (generation != generation_) {
      snapshot_ = store_.current();
      generation_ = generation;
    }
    return *snapshot_;
  }

 private:
  const SnapshotStore& store_;
  uint64_t generation_;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace meridian::server
