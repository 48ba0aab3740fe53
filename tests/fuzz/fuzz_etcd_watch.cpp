// The etcd watch stream as the replication thread reads it (replication/etcd_watch.h): bytes
// from etcd (or from whatever answers on its port), cut into chunks where the network might cut
// them. Whatever arrives, the parser takes whole lines only and fails with EtcdError alone,
// which ends the session; anything else escaping would end the process.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "replication/etcd_watch.h"

using namespace meridian;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;  // the first byte: how the stream is cut
  const std::string stream(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string buffer;
  std::vector<replication::WatchEvent> events;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    buffer.append(stream, at, chunk);
    try {
      replication::parse_watch_stream(buffer, events);
    } catch (const replication::EtcdError&) {
      return 0;  // the session ends; the replica reads everything again
    }
    MERIDIAN_FUZZ_CHECK(buffer.find('\n') == std::string::npos);  // every whole line was taken
  }
  return 0;
}
