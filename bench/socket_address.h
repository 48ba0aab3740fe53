// ADDR:PORT and [ADDR6]:PORT into a socket address, for the bench tools' command lines.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace bench {

inline bool parse_address(std::string_view text, sockaddr_storage& out, socklen_t& length) {
  std::memset(&out, 0, sizeof out);
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = std::string(text.substr(1, close - 1));
    port = std::string(text.substr(close + 2));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = std::string(text.substr(0, colon));
    port = std::string(text.substr(colon + 1));
  }
  const int number = std::atoi(port.c_str());
  if (number <= 0 || number > 65535) return false;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(number));
    length = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(number));
    length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace bench
