// A small HTTP client for the control API in system tests (cpp-httplib's, on 127.0.0.1).
#pragma once

#include <cstdint>
#include <string>

namespace meridian::test {

struct HttpReply {
  int status = 0;  // 0: no reply (connection failed)
  std::string body;
  std::string content_type;
  std::string allow;  // the Allow header (405)
};

// `token` non-empty: sent as "Authorization: Bearer TOKEN".
HttpReply http_request(const std::string& method, uint16_t port, const std::string& path,
                       const std::string& token = "");
inline HttpReply http_get(uint16_t port, const std::string& path, const std::string& token = "") {
  return http_request("GET", port, path, token);
}
inline HttpReply http_post(uint16_t port, const std::string& path, const std::string& token = "") {
  return http_request("POST", port, path, token);
}

}  // namespace meridian::test
