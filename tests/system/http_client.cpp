// The system tests' HTTP client: cpp-httplib against the server's control port.
#include "http_client.h"

#include <httplib.h>

namespace meridian::test {

HttpReply http_request(const std::string& method, uint16_t port, const std::string& path,
                       const std::string& token) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result result = method == "GET"      ? client.Get(path, headers)
                           : method == "POST"   ? client.Post(path, headers, "", "application/json")
                           : method == "PUT"    ? client.Put(path, headers, "", "application/json")
                           : method == "DELETE" ? client.Delete(path, headers)
                                                : client.Options(path, headers);
  HttpReply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.body = result->body;
  reply.content_type = result->get_header_value("Content-Type");
  reply.allow = result->get_header_value("Allow");
  return reply;
}

}  // namespace meridian::test
