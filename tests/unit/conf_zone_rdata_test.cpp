// conf::read_zone_file refuses records whose rdata, given in RFC 3597's \# form, lacks the layout
// of its type where the server reads it: the names it follows, the SOA's MINIMUM, address sizes
// (found by tests/fuzz/zone.cpp: an MX with a broken name crashed the snapshot's build).
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "conf/config.h"
#include "conf/model.h"
#include "conf/zone_file.h"
#include "conf_test_support.h"

using namespace meridian;

namespace {

// The zone example.test with `record` as its line 6; the error reading it, if any.
std::string read_error(std::string_view record,
                       std::string_view soa = "@ IN SOA ns hostmaster 1 7200 3600 1209600 60") {
  testing::TempDir dir;
  model::Zone zone;
  zone.origin = "example.test";
  zone.origin_wire = conf::to_wire_name(zone.origin);
  zone.file = dir.write("zone.db", "$ORIGIN example.test.\n$TTL 300\n" + std::string(soa) +
                                       "\n  IN NS ns\nns IN A 192.0.2.1\n" + std::string(record) + "\n");
  zone.line = 7;
  try {
    conf::read_zone_file(zone, "meridian.yaml");
  } catch (const conf::ConfigError& error) {
    return error.what();
  }
  return "";
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.ends_with(suffix);
}

}  // namespace

TEST_CASE("an MX whose exchange name runs past its rdata is refused at its line") {
  // ldns reads this as preference 1 and an exchange of a 10-byte label holding two bytes.
  const auto error = read_error(R"(mx IN MX 1 \# 4 0a000001)");
  CHECK(error.find("zone.db:6: ") != std::string::npos);
  CHECK(ends_with(error, "record mx.example.test: malformed MX rdata"));
}

TEST_CASE("NS, CNAME, PTR, DNAME, MX and SRV records without a name in their rdata are refused") {
  for (const char* record :
       {R"(sub IN NS \# 0)", R"(c IN CNAME \# 0)", R"(p IN PTR \# 0)", R"(d IN DNAME \# 0)",
        R"(mx IN MX \# 0)", R"(mx IN MX \# 2 000a)", R"(s IN SRV \# 4 00000000)"})
    CHECK_MESSAGE(ends_with(read_error(record), "rdata"), std::string(record));
}

TEST_CASE("an SOA without its five numbers is refused") {
  CHECK(ends_with(read_error("", R"(@ IN SOA \# 2 0000)"), "malformed SOA rdata"));
}

TEST_CASE("an address record without its address is refused") {
  CHECK(ends_with(read_error(R"(a IN A \# 0)"), "malformed A rdata"));
  CHECK(ends_with(read_error(R"(a IN AAAA \# 0)"), "malformed AAAA rdata"));
}

TEST_CASE("well-formed rdata in the \\# form still loads") {
  CHECK(read_error(R"(mx IN MX \# 8 000a046d61696c00)") == "");
  CHECK(read_error(R"(c IN CNAME \# 5 0377777700)") == "");
  CHECK(read_error(R"(s IN SRV \# 7 00000000000000)") == "");  // target "." (RFC 2782: no service)
  CHECK(read_error(R"(legacy IN TYPE65400 \# 4 0a000001)") == "");
}
