// server::Responder::respond keeps every UDP response within the client's size limit, even where
// header, question and OPT alone would pass it (found by tests/fuzz/respond.cpp).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "conf_test_support.h"
#include "probes/health_table.h"
#include "server/responder.h"
#include "server/snapshot.h"
#include "server_packet.h"

using namespace meridian;
using testing::Bytes;
using testing::concat;
using testing::ecs;
using testing::option;
using testing::Packet;

namespace {

constexpr unsigned option_nsid = 3, option_ecs = 8;

// A name of exactly 255 wire bytes in example.test.
std::string longest_name() {
  std::string name;
  size_t length = 14;  // "example.test" in wire form, with the root
  while (length < 255) {
    const size_t label = std::min<size_t>(63, 255 - length - 1);
    name += std::string(label, 'a') + ".";
    length += label + 1;
  }
  return name + "example.test";
}

// The EDNS option codes of the OPT record at `opt_at` in `wire`.
std::vector<unsigned> option_codes(const Bytes& wire, size_t opt_at) {
  std::vector<unsigned> codes;
  const size_t rdlength = wire[opt_at + 9] << 8 | wire[opt_at + 10];
  for (size_t at = opt_at + 11; at + 4 <= opt_at + 11 + rdlength;) {
    codes.push_back(wire[at] << 8 | wire[at + 1]);
    at += 4 + (wire[at + 2] << 8 | wire[at + 3]);
  }
  return codes;
}

struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const model::Config> config;
  std::unique_ptr<server::Snapshot> snapshot;
  routing::Random random{1};
  server::Counters counters;

  Fixture() {
    dir.write("example.test.zone", testing::minimal_zone);
    config = conf::load_from_string("server:\n  nsid: " + std::string(255, 'n') +
                                        "\nzones:\n  - {origin: example.test, file: example.test.zone}\n",
                                    (dir.path() / "meridian.yaml").string());
    snapshot = std::make_unique<server::Snapshot>(config, std::make_shared<probes::HealthTable>(0));
  }

  // The UDP response to a query for `name` over EDNS with a 512-byte limit, NSID asked for and
  // an IPv6 /128 ECS option: the most the OPT can carry.
  std::pair<Bytes, server::Response> ask(const std::string& name) {
    const Bytes options = concat({option(option_nsid, {}), ecs(2, 128, 0, Bytes(16, 0x20))});
    const Bytes query = Packet().header(0x4242, 0x0100, 1, 0, 0, 1).question(name).opt(options, 512).data;
    Bytes wire(server::max_response);
    const server::Responder responder{*snapshot, random, counters};
    const auto response = responder.respond(query, *geo::Address::parse("192.0.2.1"), false, wire);
    wire.resize(response.size);
    return {wire, response};
  }
};

}  // namespace

TEST_CASE("a long NSID beside a 255-byte name is left out rather than pass the client's 512 bytes") {
  Fixture fixture;
  const auto [wire, response] = fixture.ask(longest_name());
  REQUIRE(response.size > 0);
  CHECK(response.size <= 512);
  CHECK(response.rcode == 3);  // NXDOMAIN, with the SOA if it fits
  REQUIRE(response.opt_at > 0);
  CHECK(option_codes(wire, response.opt_at) == std::vector<unsigned>{option_ecs});  // ECS echoed, NSID not
}

TEST_CASE("the same NSID beside a short name is answered") {
  Fixture fixture;
  const auto [wire, response] = fixture.ask("www.example.test");
  REQUIRE(response.size > 0);
  CHECK(response.size <= 512);
  REQUIRE(response.opt_at > 0);
  CHECK(option_codes(wire, response.opt_at) == std::vector<unsigned>{option_nsid, option_ecs});
}
