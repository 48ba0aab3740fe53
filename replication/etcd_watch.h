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
  void parse_lines(std::vector<WatchEvent>& events);

  CURLM* multi_;
  CurlEasy easy_;
  curl_slist* headers_ = nullptr;
  std::string body_;
  std::string buffer_;  // what has arrived and not yet been parsed
  bool created_ = false;
};

}  // namespace meridian::replication
