#include "server/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meridian::server {
namespace {

[[noreturn]] void fail(const std::string& step) {
  throw PrivilegeError(fmt::format("server: cannot drop privileges: {}: {}", step, std::strerror(errno)));
}

// glibc has no wrapper for these (libcap does; two calls do not justify the dependency).
struct Capabilities {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  bool any() const {
    for (const auto& word : data)
      if (word.effective || word.permitted || word.inheritable) return true;
    return false;
  }
};

Capabilities current_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  Capabilities caps;
  if (syscall(SYS_capget, &header, caps.data) != 0) fail("capget");
  return caps;
}

// Clears every capability: the ambient set first (else it refills the others at an exec).
// Returns false when a seccomp filter refuses capset (systemd's SystemCallFilter=~@privileged),
// where the unit's bounding set is what limits the process.
bool clear_capabilities() {
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  Capabilities none;
  if (syscall(SYS_capset, &header, none.data) == 0) return true;
  if (errno == EPERM) return false;
  fail("capset");
}

void become(uint32_t uid, uint32_t gid) {
  const gid_t groups[] = {gid};
  if (setgroups(1, groups) != 0) fail("setgroups");
  if (setresgid(gid, gid, gid) != 0) fail(fmt::format("setresgid {}", gid));
  if (setresuid(uid, uid, uid) != 0) fail(fmt::format("setresuid {}", uid));
  // A process that can get root back has dropped nothing: prove it cannot.
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) fail("getresuid");
  if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid) {
    errno = EPERM;
    fail("the IDs did not change");
  }
  if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
    errno = EPERM;
    fail("root could be taken back");
  }
  gid_t now[2];
  if (getgroups(2, now) != 1 || now[0] != gid) {
    errno = EPERM;
    fail("supplementary groups remain");
  }
}

}  // namespace

void check_start_privileges(const model::ServerSettings& server, const std::string& config_file,
                            bool allow_root) {
  const uid_t euid = geteuid();
  if (euid == 0) {
    if (server.uid || server.allow_root || allow_root) return;
    throw PrivilegeError(fmt::format(
        "{}: refusing to run as root: set server.user (and server.group) to the account to serve as once "
        "the sockets are bound, or server.allow_root: true (or --allow-root) to stay root",
        config_file));
  }
  if (server.uid && *server.uid != euid)
    throw PrivilegeError(
        fmt::format("{}:{}: server.user {} (uid {}): only root can become another user, and this "
                    "process runs as uid {}",
                    config_file, server.user_line, server.user, *server.uid, euid));
}

std::string drop_privileges(const model::ServerSettings& server) {
  std::string said;
  if (geteuid() == 0 && server.uid) {
    become(*server.uid, *server.gid);
    said = fmt::format("server: privileges dropped user={} uid={} gid={}", server.user, *server.uid,
                       *server.gid);
  } else if (geteuid() == 0) {
    return "server: running as root (allow_root): no privileges dropped";
  } else {
    said = fmt::format("server: privileges uid={} gid={}", geteuid(), getegid());
  }
  // Nothing is bound after this point, so no capability is needed any more (after a drop from
  // root the kernel has already cleared them; CAP_NET_BIND_SERVICE from systemd goes here).
  if (current_capabilities().any()) {
    if (!clear_capabilities()) return said + " capabilities=kept (capset refused by a system call filter)";
    if (current_capabilities().any()) {
      errno = EPERM;
      fail("capabilities remain");
    }
  }
  // The server never runs another program; nothing it could start may gain privileges either.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS");
  return said + " capabilities=none";
}

}  // namespace meridian::server
