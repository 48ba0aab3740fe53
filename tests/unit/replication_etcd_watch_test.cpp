// The watch stream's parser: whole lines only, every event of a message, errors as EtcdError.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "replication/etcd_watch.h"

using namespace meridian::replication;

TEST_CASE("a watch message split across reads is parsed once its line is complete") {
  const std::string message =
      R"({"result":{"header":{"revision":"7"},"events":[{"kv":{"key":"L20vYQ==","value":"T25saW5l","mod_revision":"7","lease":"42"}},)"
      R"({"type":"DELETE","kv":{"key":"L20vYg==","mod_revision":"7"}}]}})"
      "\n";
  std::string buffer = message.substr(0, 40);
  std::vector<WatchEvent> events;
  parse_watch_stream(buffer, events);
  CHECK(events.empty());
  CHECK(buffer.size() == 40);  // kept for the next read
  buffer += message.substr(40) + R"({"result":{"header":)";
  parse_watch_stream(buffer, events);
  REQUIRE(events.size() == 2);
  CHECK_FALSE(events[0].deleted);
  CHECK(events[0].kv.key == "/m/a");
  CHECK(events[0].kv.value == "Online");
  CHECK(events[0].kv.mod_revision == 7);
  CHECK(events[0].kv.lease == 42);
  CHECK(events[1].deleted);
  CHECK(events[1].kv.key == "/m/b");
  CHECK(buffer == R"({"result":{"header":)");
}

TEST_CASE("a cancelled watch, an error message or a line that is not one end the stream as EtcdError") {
  for (std::string line : {
           R"({"result":{"canceled":true,"compact_revision":"5","cancel_reason":"compacted"}})",
           R"({"error":{"grpc_code":14,"message":"etcdserver: no leader"}})",
           R"({"result":{"events":[{"kv":{"key":"not base64!"}}]}})",
           R"({"result":{"compact_revision":"five"}})",
           R"({"result":5})",
           R"([1,2])",
           "not json",
       }) {
    CAPTURE(line);
    line += "\n";
    std::vector<WatchEvent> events;
    CHECK_THROWS_AS(parse_watch_stream(line, events), EtcdError);
  }
}
