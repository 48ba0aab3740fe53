// What the etcd client sends without a server: keys in base64, and a prefix's range end.
#include <doctest/doctest.h>

#include <string>

#include "replication/etcd_client.h"

using namespace meridian::replication;

TEST_CASE("keys and values travel in base64, any byte included") {
  CHECK(base64("/m/a") == "L20vYQ==");
  CHECK(unbase64("L20vYQ==") == "/m/a");
  CHECK(base64("") == "");
  CHECK(unbase64("") == "");
  std::string every;
  for (int c = 0; c < 256; ++c) every += static_cast<char>(c);
  CHECK(unbase64(base64(every)) == every);
  CHECK_THROWS_AS(unbase64("not base64!"), EtcdError);
}

TEST_CASE("a prefix's range end is the first key past every key under it") {
  CHECK(prefix_end("/meridian/") == "/meridian0");
  CHECK(prefix_end("a\xff") == "b");
  CHECK(prefix_end(std::string("\xff\xff")) == std::string(1, '\0'));  // every key
}

TEST_CASE("an etcd that does not answer is an EtcdError naming it, within the timeout") {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  EtcdOptions options;
  options.endpoints = {"http://127.0.0.1:1"};
  options.timeout = std::chrono::milliseconds(500);
  EtcdClient client(options);
  try {
    client.grant(std::chrono::seconds(5));
    FAIL("grant succeeded without etcd");
  } catch (const EtcdError& error) {
    CHECK(std::string(error.what()).find("http://127.0.0.1:1/v3/lease/grant") != std::string::npos);
  }
}
