// One etcd watch over the JSON gateway: a POST /v3/watch whose response never ends, each
// message a JSON object on its own line. Driven by libcurl's multi interface, so the
// replication thread waits on the stream and on wakeup() (other threads' work) at once.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "replication/etcd_client.h"

namespace meridian::replication {

// Takes every complete line (one gateway message each) off the front of `buffer` and appends
// their events; what follows the last newline stays for the next call. Throws EtcdError, and
// nothing else, for a line that is not a watch message, an error or a cancellation (compaction).
void parse_watch_stream(std::string& buffer, std::vector<WatchEvent>& events);

class EtcdWatch {
 public:
  EtcdWatch();
  ~EtcdWatch();
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  // Watches every key under `prefix` from `from_revision` on, at the client's current endpoint.
  void start(EtcdClient& client, const std::string& prefix, int64_t from_revision);
  void stop();
  bool running() const { return easy_ != nullptr; }

  // Waits up to `timeout` for the stream (or a wakeup()), and returns the events it brought.
  // Throws EtcdError when the stream ended, failed or etcd cancelled it (a compaction): the
  // caller reads everything again and starts over.
  std::vector<WatchEvent> poll(std::chrono::milliseconds timeout);
  // From any thread: ends a poll() early.
  void wakeup();

 private:
  static size_t on_data(char* data, size_t size, size_t count, void* self);

  CURLM* multi_;
  CurlEasy easy_;
  curl_slist* headers_ = nullptr;
  std::string body_;
  std::string buffer_;  // what has arrived and not yet been parsed
};

}  // namespace meridian::replication
