// The resolver's handling of a DNS reply (resolver/answer.h) on raw bytes, for both
// families: addresses of the asked family only, never a crash.
#include <ares.h>

#include <cstdint>

#include "fuzz_support.h"
#include "resolver/answer.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto family = data[0] & 1 ? geo::Family::v6 : geo::Family::v4;
  const int status = data[0] & 2 ? ARES_SUCCESS : (data[0] & 4 ? ARES_ENODATA : ARES_ENOTFOUND);
  const auto answer = resolver::parse_answer(family, status, {data + 1, size - 1});
  for (const auto& address : answer.addresses) MERIDIAN_FUZZ_CHECK(address.family == family);
  return 0;
}
