// What every fuzz target shares: an invariant that fails is a finding, reported and aborted
// on, so libFuzzer keeps the input as a crash artifact.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace meridian::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

#define MERIDIAN_FUZZ_CHECK(condition) \
  ((condition)                         \
       ? void(0)                       \
       : ::meridian::fuzz::finding(std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " #condition))

}  // namespace meridian::fuzz
