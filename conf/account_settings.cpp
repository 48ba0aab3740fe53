#include "conf/account_settings.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace meridian::conf {
namespace {

std::optional<uint32_t> numeric_id(const std::string& text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  uint32_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// The entry for a name or a numeric ID; nullopt when the database has none.
struct Account {
  uint32_t id = 0;
  uint32_t primary_group = 0;  // users only
};

std::optional<Account> find_user(const std::string& text) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (const auto id = numeric_id(text))
    getpwuid_r(*id, &entry, buffer.data(), buffer.size(), &found);
  else
    getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (!found) return std::nullopt;
  return Account{found->pw_uid, found->pw_gid};
}

std::optional<uint32_t> find_group(const std::string& text) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (const auto id = numeric_id(text))
    getgrgid_r(*id, &entry, buffer.data(), buffer.size(), &found);
  else
    getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (!found) return std::nullopt;
  return found->gr_gid;
}

}  // namespace

void read_accounts(const YamlReader& reader, const Fields& f, model::ServerSettings& server) {
  if (const auto& n = f["allow_root"]) server.allow_root = reader.boolean(n, "server allow_root");
  const auto& user_node = f["user"];
  const auto& group_node = f["group"];
  if (group_node && !user_node)
    reader.fail(group_node,
                "server group needs server user: the group is joined when the server becomes that user");
  if (!user_node) return;
  server.user = reader.string(user_node, "server user");
  server.user_line = YamlReader::line_of(user_node);
  const auto user = find_user(server.user);
  if (user) {
    server.uid = user->id;
    server.gid = user->primary_group;
  } else if (const auto id = numeric_id(server.user)) {
    server.uid = *id;  // an ID without an account (a container's): its group must be given
  } else {
    reader.fail(user_node, fmt::format("server user \"{}\" is not an account on this host", server.user));
  }
  if (*server.uid == 0)
    reader.fail(user_node, "server user is root: to stay root, leave user unset and set allow_root: true");
  if (group_node) {
    server.group = reader.string(group_node, "server group");
    if (const auto gid = find_group(server.group))
      server.gid = *gid;
    else if (const auto id = numeric_id(server.group))
      server.gid = *id;
    else
      reader.fail(group_node, fmt::format("server group \"{}\" is not a group on this host", server.group));
    if (*server.gid == 0)
      reader.fail(group_node, "server group is root's group (0): name an unprivileged group");
  } else if (!user) {
    reader.fail(user_node,
                fmt::format("server user {} has no account on this host: set server group too", server.user));
  } else if (*server.gid == 0) {
    reader.fail(user_node, fmt::format("server user \"{}\" has group 0 (root) as its own: set server group",
                                       server.user));
  }
}

}  // namespace meridian::conf
