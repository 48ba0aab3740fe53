// The `replication:` section: which replicas share verdicts through which etcd, and how they agree.
#include <doctest/doctest.h>

#include <string>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using testing::load_error;
using testing::with_zone;

namespace {

// The replication section's first key is on line 5.
std::string replication_with(const std::string& lines) {
  return with_zone("zones:\n  - origin: example.test\n    file: ZONE\nreplication:\n" + lines);
}

}  // namespace

TEST_CASE("without a replication section the replica decides alone") {
  const auto config = conf::load_from_string(with_zone("zones:\n  - origin: example.test\n    file: ZONE\n"),
                                             "meridian.yaml");
  CHECK_FALSE(config->replication.enabled);
}

TEST_CASE("a replication section: site, etcd members, and the defaults") {
  const auto config = conf::load_from_string(
      replication_with("  site: westeurope\n  etcd: [http://127.0.0.1:2379/, \"https://10.0.0.2:2379\"]\n"),
      "/etc/meridian/meridian.yaml");
  const auto& r = config->replication;
  CHECK(r.enabled);
  CHECK(r.site == "westeurope");
  CHECK(r.etcd == std::vector<std::string>{"http://127.0.0.1:2379", "https://10.0.0.2:2379"});
  CHECK(r.prefix == "/meridian/");
  CHECK_FALSE(r.healthy_fraction.has_value());  // majority
  CHECK(r.lease_ttl == std::chrono::seconds(10));
  CHECK(r.timeout == std::chrono::seconds(2));
  CHECK(r.line == 5);
}

TEST_CASE("healthy_when takes majority or a Route 53 fraction; prefix, lease and TLS are read") {
  testing::TempDir dir;
  const auto password = dir.write("etcd-password", "s3cret\n");
  for (const char* pem : {"ca.pem", "c.pem", "k.pem"}) dir.write(pem, "-----BEGIN CERTIFICATE-----\n");
  const auto config = conf::load_from_string(
      replication_with("  site: a\n  etcd: [https://127.0.0.1:2379]\n  healthy_when: 0.18\n  prefix: /tm\n"
                       "  lease_ttl: 6s\n  timeout: 500ms\n  tls: {ca: ca.pem, cert: c.pem, key: k.pem}\n"
                       "  username: meridian\n  password_file: " +
                       password + "\n"),
      (dir.path() / "meridian.yaml").string());
  const auto& r = config->replication;
  REQUIRE(r.healthy_fraction.has_value());
  CHECK(*r.healthy_fraction == doctest::Approx(0.18));
  CHECK(r.prefix == "/tm/");
  CHECK(r.lease_ttl == std::chrono::seconds(6));
  CHECK(r.timeout == std::chrono::milliseconds(500));
  CHECK(r.ca_file == (dir.path() / "ca.pem").string());
  CHECK(r.cert_file == (dir.path() / "c.pem").string());
  CHECK(r.username == "meridian");
  CHECK(r.password == "s3cret");
  CHECK(conf::load_from_string(replication_with("  site: a\n  etcd: [http://127.0.0.1:2379]\n  healthy_when: majority\n"),
                               "meridian.yaml")
            ->replication.healthy_fraction == std::nullopt);
}

TEST_CASE("replication mistakes are refused at their line") {
  struct Case {
    std::string lines;
    int line;
    std::string reason;
  };
  const Case cases[] = {
      {"  etcd: [http://127.0.0.1:2379]\n", 5, "needs a site"},
      {"  site: a\n", 5, "needs etcd"},
      {"  site: a b\n  etcd: [http://127.0.0.1:2379]\n", 5, "must be 1..63 letters"},
      {"  site: a\n  etcd: [127.0.0.1:2379]\n", 6, "must be http://HOST:PORT"},
      {"  site: a\n  etcd: [http://127.0.0.1:2379/v3]\n", 6, "must be http://HOST:PORT"},
      {"  site: a\n  etcd: [http://a:1, http://a:1]\n", 6, "listed twice"},
      {"  site: a\n  etcd: []\n", 6, "lists no URL"},
      {"  site: a\n  etcd: [http://a:1]\n  healthy_when: 1.5\n", 7, "between 0 and 1"},
      {"  site: a\n  etcd: [http://a:1]\n  healthy_when: most\n", 7, "must be a number"},
      {"  site: a\n  etcd: [http://a:1]\n  lease_ttl: 1s\n", 7, "whole seconds from 2s"},
      {"  site: a\n  etcd: [http://a:1]\n  lease_ttl: 2500ms\n", 7, "whole seconds"},
      {"  site: a\n  etcd: [http://a:1]\n  lease_ttl: 3s\n  timeout: 2s\n", 8, "a third of lease_ttl"},
      {"  site: a\n  etcd: [https://a:1]\n  tls: {cert: /etc/hostname}\n", 7, "go together"},
      {"  site: a\n  etcd: [https://a:1]\n  tls: {ca: /nonexistent/ca.pem}\n", 7, "tls ca /nonexistent/ca.pem: No such file"},
      {"  site: a\n  etcd: [http://a:1]\n  tls: {ca: /etc/hostname}\n", 7, "plain http://"},
      {"  site: a\n  etcd: [http://a:1]\n  username: m\n", 7, "needs a password_file"},
      {"  site: a\n  etcd: [http://a:1]\n  password_file: /nonexistent/pw\n", 7, "needs a username"},
      {"  site: a\n  etcd: [http://a:1]\n  username: m\n  password_file: /nonexistent/pw\n", 8, "No such file"},
      {"  site: a\n  etcd: [http://a:1]\n  sites: 3\n", 7, "unknown"},
      {"  site: a\n  etcd: [http://a:1]\n  prefix: meridian\n", 7, "must start with '/'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.lines);
    const auto error = load_error(replication_with(c.lines));
    CHECK(error.line() == c.line);
    CHECK_MESSAGE(error.reason().find(c.reason) != std::string::npos, error.reason());
  }
}
