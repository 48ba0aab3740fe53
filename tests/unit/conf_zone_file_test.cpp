// conf::read_zone_file: master-file syntax read into model::Records, and every zone mistake reported with the zone file's name and line.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "conf/model.h"
#include "conf/zone_file.h"
#include "conf_test_support.h"

using namespace meridian;
using testing::TempDir;

namespace {

constexpr uint16_t type_a = 1, type_ns = 2, type_cname = 5, type_soa = 6, type_txt = 16,
                   type_aaaa = 28;

// Reads `text` as the zone file of `origin`, as the config's zone at line 7 would.
struct ZoneFile {
  TempDir dir;
  std::string path;
  model::Zone zone;

  explicit ZoneFile(std::string_view text, const std::string& origin = "example.test") {
    path = dir.write("zone.db", text);
    zone.origin = origin;
    zone.origin_wire = conf::to_wire_name(origin);
    zone.file = path;
    zone.line = 7;
  }
  void read() { conf::read_zone_file(zone, "meridian.yaml"); }
  conf::ConfigError error() {
    try {
      read();
    } catch (const conf::ConfigError& error) {
      return error;
    }
    FAIL("the zone loaded, but an error was expected");
    return conf::ConfigError("", 0, "");
  }
};

std::vector<const model::Record*> records(const model::Zone& zone, std::string_view owner, uint16_t type) {
  const auto wire = conf::to_wire_name(owner);
  std::vector<const model::Record*> found;
  for (const auto& record : zone.records)
    if (record.owner == wire && record.type == type) found.push_back(&record);
  return found;
}

std::string bytes(std::initializer_list<uint8_t> values) { return std::string(values.begin(), values.end()); }

uint32_t u32_at(const std::string& data, size_t offset) {
  REQUIRE(offset + 4 <= data.size());
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<uint8_t>(data[offset + i]);
  return value;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// An apex every valid zone starts with (lines 1-4).
constexpr std::string_view apex =
    "$ORIGIN example.test.\n"
    "$TTL 3600\n"
    "@   IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
    "    IN NS  ns1\n";

}  // namespace

// --- what is read -----------------------------------------------------------------------------

TEST_CASE("$ORIGIN, $TTL and relative names make absolute owners and default TTLs") {
  ZoneFile file(R"($TTL 300
@        IN SOA ns1 hostmaster 1 7200 3600 1209600 300
         IN NS  ns1
ns1      IN A   192.0.2.53
www  60  IN A   192.0.2.10
$ORIGIN sub.example.test.
host     IN A   192.0.2.20
$TTL 120
late     IN A   192.0.2.30
)");
  file.read();
  const auto ns1 = records(file.zone, "ns1.example.test", type_a);
  REQUIRE(ns1.size() == 1);
  CHECK(ns1[0]->ttl == 300);
  CHECK(ns1[0]->rdata == bytes({192, 0, 2, 53}));
  REQUIRE(records(file.zone, "www.example.test", type_a).size() == 1);
  CHECK(records(file.zone, "www.example.test", type_a)[0]->ttl == 60);
  REQUIRE(records(file.zone, "host.sub.example.test", type_a).size() == 1);
  CHECK(records(file.zone, "host.sub.example.test", type_a)[0]->ttl == 300);
  REQUIRE(records(file.zone, "late.sub.example.test", type_a).size() == 1);
  CHECK(records(file.zone, "late.sub.example.test", type_a)[0]->ttl == 120);
  // The apex NS target is relative to the zone's origin.
  const auto ns = records(file.zone, "example.test", type_ns);
  REQUIRE(ns.size() == 1);
  CHECK(ns[0]->rdata == conf::to_wire_name("ns1.example.test"));
}

TEST_CASE("records continue the previous owner when the line starts with blanks") {
  ZoneFile file(std::string(apex) + "www IN A 192.0.2.10\n"
                                    "    IN AAAA 2001:db8::10\n");
  file.read();
  CHECK(records(file.zone, "www.example.test", type_a).size() == 1);
  CHECK(records(file.zone, "www.example.test", type_aaaa).size() == 1);
}

TEST_CASE("a multi-line SOA in parentheses with comments is read whole") {
  ZoneFile file(R"($ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1.example.test. hostmaster.example.test. (
                2026112401 ; serial
                7200       ; refresh
                3600       ; retry
                1209600    ; expire
                300 )      ; minimum
        IN NS   ns1
ns1     IN A    192.0.2.53
)");
  file.read();
  const auto soa = records(file.zone, "example.test", type_soa);
  REQUIRE(soa.size() == 1);
  const auto mname = conf::to_wire_name("ns1.example.test");
  const auto rname = conf::to_wire_name("hostmaster.example.test");
  const auto& rdata = soa[0]->rdata;
  REQUIRE(rdata.size() == mname.size() + rname.size() + 20);
  CHECK(rdata.substr(0, mname.size()) == mname);
  CHECK(rdata.substr(mname.size(), rname.size()) == rname);
  const size_t numbers = mname.size() + rname.size();
  CHECK(u32_at(rdata, numbers) == 2026112401);
  CHECK(u32_at(rdata, numbers + 4) == 7200);
  CHECK(u32_at(rdata, numbers + 8) == 3600);
  CHECK(u32_at(rdata, numbers + 12) == 1209600);
  CHECK(u32_at(rdata, numbers + 16) == 300);
  CHECK(records(file.zone, "example.test", type_ns).size() == 1);
  CHECK(records(file.zone, "ns1.example.test", type_a).size() == 1);
}

TEST_CASE("a TXT record keeps several strings and decodes quote, semicolon and decimal escapes") {
  ZoneFile file(std::string(apex) +
                R"(notes IN TXT "first string" "second \"quoted\" string" "semi\;colon" "tab\009end")" "\n");
  file.read();
  const auto txt = records(file.zone, "notes.example.test", type_txt);
  REQUIRE(txt.size() == 1);
  const std::string expected = std::string("\x0c" "first string") + "\x16" "second \"quoted\" string" +
                               "\x0a" "semi;colon" + "\x07" "tab\tend";
  CHECK(txt[0]->rdata == expected);
}

TEST_CASE("an unknown type in RFC 3597 form keeps its type number and raw rdata") {
  ZoneFile file(std::string(apex) + "legacy IN TYPE65400 \\# 4 0a000001\n");
  file.read();
  const auto legacy = records(file.zone, "legacy.example.test", 65400);
  REQUIRE(legacy.size() == 1);
  CHECK(legacy[0]->rdata == bytes({0x0a, 0x00, 0x00, 0x01}));
  CHECK(legacy[0]->rrclass == 1);
}

TEST_CASE("a known type written in RFC 3597 generic form reads as that type") {
  ZoneFile file(std::string(apex) + "generic IN A \\# 4 c0000201\n");
  file.read();
  const auto a = records(file.zone, "generic.example.test", type_a);
  REQUIRE(a.size() == 1);
  CHECK(a[0]->rdata == bytes({192, 0, 2, 1}));
}

TEST_CASE("owners are lower-cased in wire form; names inside rdata keep their case") {
  ZoneFile file(std::string(apex) + "WWW.Example.TEST. IN A 192.0.2.10\n"
                                    "Alias IN CNAME Target.Example.TEST.\n");
  file.read();
  bool found_www = false;
  for (const auto& record : file.zone.records)
    if (record.type == type_a && record.rdata == bytes({192, 0, 2, 10})) {
      found_www = true;
      CHECK(record.owner == std::string("\3www\7example\4test\0", 18));
    }
  CHECK(found_www);
  const auto alias = records(file.zone, "alias.example.test", type_cname);
  REQUIRE(alias.size() == 1);
  CHECK(alias[0]->rdata == std::string("\6Target\7Example\4TEST\0", 21));
}

TEST_CASE("identical records collapse into one, whatever the owner's case") {
  ZoneFile file(std::string(apex) + "www IN A 192.0.2.10\n"
                                    "www IN A 192.0.2.10\n"
                                    "WWW IN A 192.0.2.10\n"
                                    "www IN A 192.0.2.11\n");
  file.read();
  CHECK(records(file.zone, "www.example.test", type_a).size() == 2);
}

TEST_CASE("records of one RRset with differing TTLs all take the first TTL") {
  ZoneFile file(std::string(apex) + "www 300 IN A    192.0.2.10\n"
                                    "www 600 IN A    192.0.2.11\n"
                                    "www 900 IN AAAA 2001:db8::10\n");
  file.read();
  const auto a = records(file.zone, "www.example.test", type_a);
  REQUIRE(a.size() == 2);
  CHECK(a[0]->ttl == 300);
  CHECK(a[1]->ttl == 300);
  const auto aaaa = records(file.zone, "www.example.test", type_aaaa);
  REQUIRE(aaaa.size() == 1);
  CHECK(aaaa[0]->ttl == 900);
}

TEST_CASE("the system tests' fixture zone loads through the config") {
  auto config = conf::load_from_string(testing::with_zone("zones:\n"
                                                          "  - origin: example.test\n"
                                                          "    file: ZONE\n"),
                                       "meridian.yaml");
  REQUIRE(config->zones.size() == 1);
  const auto& zone = config->zones[0];
  CHECK(records(zone, "legacy.example.test", 65400).size() == 1);
  CHECK(records(zone, "big.example.test", type_txt).size() == 20);
  CHECK(records(zone, "*.apps.example.test", type_a).size() == 1);
}

TEST_CASE("the root zone can be served") {
  TempDir dir;
  dir.write("root.zone", ".   IN SOA a.root-servers.test. hostmaster.test. 1 7200 3600 1209600 300\n"
                         ".   IN NS  a.root-servers.test.\n"
                         "a.root-servers.test. IN A 192.0.2.1\n");
  std::shared_ptr<const model::Config> config;
  try {
    config = conf::load_from_string("zones:\n"
                                    "  - origin: \".\"\n"
                                    "    file: root.zone\n",
                                    (dir.path() / "meridian.yaml").string());
  } catch (const conf::ConfigError& error) {
    FAIL(std::string(error.what()));
  }
  REQUIRE(config->zones.size() == 1);
  CHECK(config->zones[0].origin_wire == std::string(1, '\0'));
  CHECK(config->zones[0].records.size() == 3);
}

// --- what is rejected -------------------------------------------------------------------------

TEST_CASE("a syntax error names the zone file and the line, past comments and blank lines") {
  ZoneFile file(std::string(apex) + "; a comment\n"
                                    "\n"
                                    "www IN A 192.0.2.10\n"
                                    "\n"
                                    "bad IN A 192.0.2.999\n"
                                    "ok  IN A 192.0.2.11\n");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 9);
  CHECK_FALSE(error.reason().empty());
}

TEST_CASE("a syntax error after a multi-line SOA is counted on the right line") {
  ZoneFile file(R"($ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1 hostmaster (
                1 7200 3600
                1209600 300 )
        IN NS   ns1
ns1     IN A    192.0.2.53
www     IN AAAA not-an-address
)");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 8);
}

TEST_CASE("a syntax error inside a multi-line record points into the record, not past its end") {
  ZoneFile file(R"($ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1 hostmaster (
                20261124x1 ; serial
                7200 3600 1209600
                300 )
        IN NS   ns1
)");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() >= 3);
  CHECK(error.line() <= 4);
}

TEST_CASE("a syntax error on a last line without a newline is reported at that line") {
  ZoneFile file(std::string(apex) + "www IN A 192.0.2.10\n"
                                    "bad IN A nonsense");
  const auto error = file.error();
  CHECK(error.line() == 6);
}

TEST_CASE("a record outside the zone is rejected at its line") {
  ZoneFile file(std::string(apex) + "www IN A 192.0.2.10\n"
                                    "www.example.org. IN A 192.0.2.11\n");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "record www.example.org is outside the zone example.test"));
}

TEST_CASE("a name whose wire form merely ends in the origin's bytes is outside the zone") {
  // The label "a\007example" ends in the bytes "\7example", so the owner's wire form ends in the
  // origin's bytes, but not on a label boundary.
  ZoneFile file(std::string(apex) + "www.a\\007example.test. IN A 192.0.2.11\n");
  const auto error = file.error();
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "is outside the zone"));
}

TEST_CASE("a second SOA at the apex is rejected at its line") {
  ZoneFile file(std::string(apex) + "@ IN SOA ns2 hostmaster 2 7200 3600 1209600 300\n");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "a second SOA record"));
}

TEST_CASE("an SOA below the apex is rejected at its line") {
  ZoneFile file(std::string(apex) + "sub IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n");
  const auto error = file.error();
  CHECK(error.line() == 5);
  CHECK(contains(error.reason(), "SOA record sub.example.test is not at the zone apex"));
}

TEST_CASE("a CNAME beside other data is rejected at the CNAME") {
  ZoneFile file(std::string(apex) + "www IN A     192.0.2.10\n"
                                    "www IN CNAME other\n");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "CNAME and other data at www.example.test"));
}

TEST_CASE("other data beside a CNAME is rejected at the other data") {
  ZoneFile file(std::string(apex) + "www IN CNAME other\n"
                                    "www IN TXT   \"hello\"\n");
  const auto error = file.error();
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "CNAME and other data at www.example.test"));
}

TEST_CASE("two CNAMEs at one name are rejected at the second") {
  ZoneFile file(std::string(apex) + "alias IN CNAME one\n"
                                    "alias IN CNAME two\n");
  const auto error = file.error();
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "more than one CNAME at alias.example.test"));
}

TEST_CASE("two DNAMEs at one name are rejected at the second") {
  ZoneFile file(std::string(apex) +
                "old IN DNAME new.example.test.\n"
                "old IN DNAME other.example.test.\n");
  const auto error = file.error();
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "more than one DNAME at old.example.test"));
}

TEST_CASE("a record below a DNAME's owner is rejected at its line, before or after the DNAME") {
  ZoneFile after(std::string(apex) +
                 "old IN DNAME new.example.test.\n"
                 "www.old IN A 192.0.2.10\n");
  CHECK(after.error().line() == 6);
  CHECK(contains(after.error().reason(),
                 "record www.old.example.test lies below the DNAME at old.example.test (line 5)"));
  ZoneFile before(std::string(apex) +
                  "a.b.old IN A 192.0.2.10\n"
                  "old IN DNAME new.example.test.\n");
  CHECK(before.error().line() == 5);
  CHECK(contains(before.error().reason(), "lies below the DNAME at old.example.test"));
  // Beside it, and beside the apex's, other data is fine (RFC 6672 2.3 forbids only descendants).
  ZoneFile beside(std::string(apex) +
                  "old IN DNAME new.example.test.\n"
                  "old IN TXT \"moved\"\n"
                  "new IN A 192.0.2.10\n");
  CHECK_NOTHROW(beside.read());
}

TEST_CASE("a record of a class other than IN is rejected at its line") {
  ZoneFile file(std::string(apex) + "www IN A   192.0.2.10\n"
                                    "txt CH TXT \"chaos\"\n");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "record txt.example.test is not of class IN"));
}

TEST_CASE("a zone without SOA is reported at the zone's line in the config") {
  TempDir dir;
  dir.write("example.test.zone", "$ORIGIN example.test.\n"
                                 "@   IN NS ns1\n"
                                 "ns1 IN A  192.0.2.53\n");
  const auto error = testing::load_error("server:\n"
                                         "  workers: 1\n"
                                         "zones:\n"
                                         "  - origin: example.test\n"
                                         "    file: example.test.zone\n",
                                         (dir.path() / "meridian.yaml").string());
  CHECK(error.file() == (dir.path() / "meridian.yaml").string());
  CHECK(error.line() == 4);
  CHECK(contains(error.reason(), "zone example.test has no SOA record"));
}

TEST_CASE("a zone whose only NS records are below the apex is reported at the zone's line") {
  ZoneFile file("$ORIGIN example.test.\n"
                "@   IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                "sub IN NS  ns1.sub\n");
  const auto error = file.error();
  CHECK(error.file() == "meridian.yaml");
  CHECK(error.line() == 7);
  CHECK(contains(error.reason(), "zone example.test has no NS record at its apex"));
}

TEST_CASE("$INCLUDE is rejected at its line") {
  ZoneFile file(std::string(apex) + "www IN A 192.0.2.10\n"
                                    "$INCLUDE other.zone\n");
  const auto error = file.error();
  CHECK(error.file() == file.path);
  CHECK(error.line() == 6);
  CHECK(contains(error.reason(), "$INCLUDE is not supported"));
}
