// server.user, server.group and server.allow_root: looked up in this host's account database
// when the config is loaded, so `meridian check` finds a name the host does not know.
#include <doctest/doctest.h>
#include <grp.h>
#include <pwd.h>

#include <string>

#include "conf/config.h"
#include "conf/model.h"
#include "conf_test_support.h"

using namespace meridian;
using testing::load_error;
using testing::server_with;

namespace {

// `nobody` and `nogroup` are in every Debian base system; the IDs come from the database
// rather than being assumed.
const passwd& nobody() {
  static const passwd* entry = getpwnam("nobody");
  REQUIRE(entry != nullptr);
  return *entry;
}

}  // namespace

TEST_CASE("no user: the server runs as it was started, and allow_root is off") {
  const auto config = conf::load_from_string(server_with("  workers: 1\n"), "meridian.yaml");
  CHECK_FALSE(config->server.uid.has_value());
  CHECK_FALSE(config->server.gid.has_value());
  CHECK_FALSE(config->server.allow_root);
  CHECK(conf::load_from_string(server_with("  allow_root: true\n"), "meridian.yaml")->server.allow_root);
}

TEST_CASE("a user name resolves to its uid and, without a group, its own primary group") {
  const auto config = conf::load_from_string(server_with("  user: nobody\n"), "meridian.yaml");
  CHECK(config->server.user == "nobody");
  CHECK(config->server.uid == nobody().pw_uid);
  CHECK(config->server.gid == nobody().pw_gid);
  CHECK(config->server.user_line == 5);
}

TEST_CASE("a group, by name or number, replaces the user's own") {
  const group* nogroup = getgrnam("nogroup");
  REQUIRE(nogroup != nullptr);
  auto config = conf::load_from_string(server_with("  user: nobody\n  group: nogroup\n"), "meridian.yaml");
  CHECK(config->server.gid == nogroup->gr_gid);
  config = conf::load_from_string(server_with("  user: nobody\n  group: 4242\n"), "meridian.yaml");
  CHECK(config->server.gid == 4242u);
}

TEST_CASE("numeric IDs without an account (a container's) need both user and group") {
  auto config = conf::load_from_string(server_with("  user: 4242\n  group: 4343\n"), "meridian.yaml");
  CHECK(config->server.uid == 4242u);
  CHECK(config->server.gid == 4343u);
  const auto missing_group = load_error(server_with("  user: 4242\n"));
  CHECK(missing_group.line() == 5);
  CHECK(missing_group.reason().find("set server group too") != std::string::npos);
}

TEST_CASE("an unknown user or group, root, or a group without a user is an error at its line") {
  const auto unknown = load_error(server_with("  workers: 1\n  user: no-such-meridian-user\n"));
  CHECK(unknown.line() == 6);
  CHECK(unknown.reason().find("\"no-such-meridian-user\" is not an account on this host") !=
        std::string::npos);
  const auto unknown_group = load_error(server_with("  user: nobody\n  group: no-such-meridian-group\n"));
  CHECK(unknown_group.line() == 6);
  CHECK(unknown_group.reason().find("is not a group on this host") != std::string::npos);
  const auto root = load_error(server_with("  user: root\n"));
  CHECK(root.line() == 5);
  CHECK(root.reason().find("leave user unset and set allow_root") != std::string::npos);
  const auto root_group = load_error(server_with("  user: nobody\n  group: 0\n"));
  CHECK(root_group.line() == 6);
  const auto alone = load_error(server_with("  group: nogroup\n"));
  CHECK(alone.line() == 5);
  CHECK(alone.reason().find("group needs server user") != std::string::npos);
  const auto not_bool = load_error(server_with("  allow_root: sometimes\n"));
  CHECK(not_bool.line() == 5);
}
