// Random: xoshiro256** seeded through splitmix64, fast and good enough to split DNS traffic.
#include "routing/routing.h"

namespace meridian::routing {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotate_left(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

}  // namespace

Random::Random(uint64_t seed) {
  // splitmix64 spreads any seed, including 0, into a state that is never all zero.
  for (auto& word : state_) word = splitmix64(seed);
}

uint64_t Random::next() {
  const uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
  const uint64_t shifted = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= shifted;
  state_[3] = rotate_left(state_[3], 45);
  return result;
}

uint64_t Random::below(uint64_t bound) {
  if (bound <= 1) return 0;
  // Reject the few values that would make `% bound` favour small results.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t value = next();
    if (value >= threshold) return value % bound;
  }
}

}  // namespace meridian::routing
