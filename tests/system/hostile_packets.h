// Hostile DNS messages for the hostile-traffic test: each call makes one, of a kind chosen by
// the generator's seeded random source, so a failing run is repeated with the same seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace meridian::test {

class HostilePackets {
 public:
  // What the messages are about: names in a zone the server serves ("example.test").
  HostilePackets(uint64_t seed, std::string zone);

  // One hostile message, and the name of its kind (for the test's tally).
  struct Message {
    std::vector<uint8_t> bytes;
    const char* kind;
  };
  Message next();

  // The kinds next() chooses from, each about equally often.
  static constexpr const char* kinds[] = {
      "random bytes",   "truncated query", "compression loop", "label count",    "bad label",
      "opcode",         "class",           "EDNS payload",     "EDNS malformed", "ECS impossible prefix",
      "section counts", "response bit"};

 private:
  std::vector<uint8_t> header(uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
  std::vector<uint8_t> question(uint16_t type, uint16_t klass);
  std::vector<uint8_t> valid_query();
  uint32_t below(uint32_t bound) { return static_cast<uint32_t>(random_() % bound); }

  std::mt19937_64 random_;
  std::vector<uint8_t> zone_wire_;  // the zone's name in wire form
};

}  // namespace meridian::test
