// etcd's v3 API through its JSON gateway (grpc-gateway: POST /v3/kv/range and friends, keys
// and values in base64), over libcurl. The gateway rather than gRPC: libcurl is already how
// Meridian speaks HTTP, the gateway is on by default in etcd 3.4 and later, and the few calls
// a replica makes (a lease, puts, one range read, one watch) need no generated stubs.
//
// Blocking and single-threaded: the replication thread owns it. Every request is bounded by
// the timeout; a failure throws EtcdError and the next request goes to the next endpoint.
#pragma once

#include <curl/curl.h>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace meridian::replication {

class EtcdError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EtcdOptions {
  std::vector<std::string> endpoints;  // "http://127.0.0.1:2379", no trailing slash
  std::chrono::milliseconds timeout{2000};
  std::string ca_file, cert_file, key_file;
  std::string username, password;  // empty: no authentication
};

struct KeyValue {
  std::string key, value;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct WatchEvent {
  bool deleted = false;
  KeyValue kv;
};

// One put (with its lease, 0 for none) or delete in a transaction.
struct EtcdWrite {
  std::string key, value;  // value ignored for a delete
  bool erase = false;
  int64_t lease = 0;
};

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

// "/meridian/" -> the key just past every key with that prefix (etcd's range_end).
std::string prefix_end(const std::string& prefix);
std::string base64(const std::string& bytes);
// The gateway writes int64 fields as strings ("revision": "12"); absent is 0. Throws
// std::invalid_argument or std::out_of_range for a string that is not a number.
int64_t json_int(const nlohmann::json& value);
std::string unbase64(const std::string& text);  // throws EtcdError for bad input

class EtcdClient {
 public:
  explicit EtcdClient(EtcdOptions options);

  const std::string& endpoint() const { return options_.endpoints[current_]; }
  // After a failure: the next member (round robin), and a fresh auth token.
  void next_endpoint();

  int64_t grant(std::chrono::seconds ttl);
  // False when the lease is gone (expired or revoked): what it held has been deleted.
  bool keep_alive(int64_t lease);
  void revoke(int64_t lease);
  // Puts and deletes in one transaction (etcd allows 128 operations per transaction by default;
  // callers stay under it).
  using Write = EtcdWrite;
  void write(const std::vector<Write>& writes);
  // Puts `key` on `lease` unless a key of that name lives on another lease (one transaction:
  // compare create_revision == 0). Returns the lease holding it afterwards: `lease` once
  // claimed (a key already on `lease`, or on none, is written over), the other lease when that
  // one holds it, 0 when the key vanished in between.
  int64_t claim(const std::string& key, const std::string& value, int64_t lease);
  struct Range {
    std::vector<KeyValue> kvs;
    int64_t revision = 0;  // the store's revision the read saw; watch from revision + 1
  };
  Range range_prefix(const std::string& prefix);

  // For EtcdWatch: a handle set up for a POST of `body` to `path` on the current endpoint, with
  // TLS and the auth header, and no overall timeout.
  CurlEasy stream(const std::string& path, const std::string& body, curl_slist** headers);

  // One POST; returns the parsed-later body. Throws EtcdError on transport errors, HTTP errors
  // and gateway errors ({"error": ..., "code": ...}); retries once after re-authenticating.
  std::string call(const std::string& path, const std::string& body);

 private:
  CurlEasy prepare(const std::string& path, const std::string& body, curl_slist** headers);
  std::string post(const std::string& path, const std::string& body);
  void authenticate();

  EtcdOptions options_;
  size_t current_ = 0;
  std::string token_;  // etcd auth token, empty before authenticate()
};

}  // namespace meridian::replication
