// loadgen/usage.cpp: /proc readers for CPU time and RSS of a process tree, and per-core load.
#include "loadgen/usage.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace loadgen {
namespace {

struct ProcessStat {
  pid_t parent = 0;
  uint64_t user = 0;
  uint64_t system = 0;
};

// /proc/PID/stat: "pid (comm) state ppid ... utime(14) stime(15) ..."; comm may hold spaces.
bool read_stat(pid_t pid, ProcessStat& out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
  FILE* file = std::fopen(path, "r");
  if (!file) return false;
  char text[1024];
  const size_t length = std::fread(text, 1, sizeof text - 1, file);
  std::fclose(file);
  text[length] = '\0';
  const char* close = std::strrchr(text, ')');
  if (!close) return false;
  std::istringstream fields(close + 2);
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index == 4) out.parent = pid_t(std::atol(field.c_str()));
    if (index == 14) out.user = std::strtoull(field.c_str(), nullptr, 10);
    if (index == 15) {
      out.system = std::strtoull(field.c_str(), nullptr, 10);
      return true;
    }
  }
  return false;
}

uint64_t read_rss_kib(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

// The server and every process below it (NSD forks its workers; the others use threads).
std::vector<pid_t> process_tree(pid_t root) {
  std::map<pid_t, pid_t> parents;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* entry = readdir(proc)) {
      const pid_t pid = pid_t(std::atol(entry->d_name));
      ProcessStat stat;
      if (pid > 0 && read_stat(pid, stat)) parents[pid] = stat.parent;
    }
    closedir(proc);
  }
  std::vector<pid_t> tree{root};
  for (size_t i = 0; i < tree.size(); ++i)
    for (const auto& [pid, parent] : parents)
      if (parent == tree[i]) tree.push_back(pid);
  return tree;
}

}  // namespace

long clock_ticks_per_second() {
  static const long ticks = sysconf(_SC_CLK_TCK);
  return ticks;
}

uint64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return uint64_t(now.tv_sec) * 1'000'000'000u + uint64_t(now.tv_nsec);
}

UsageSample UsageMeter::sample() const {
  UsageSample sample;
  if (server_pid_ > 0) {
    for (pid_t pid : process_tree(server_pid_)) {
      ProcessStat stat;
      if (!read_stat(pid, stat)) continue;
      sample.server.user += stat.user;
      sample.server.system += stat.system;
      sample.server_rss_kib += read_rss_kib(pid);
    }
  }
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  sample.self_user_us = uint64_t(self.ru_utime.tv_sec) * 1'000'000u + uint64_t(self.ru_utime.tv_usec);
  sample.self_system_us = uint64_t(self.ru_stime.tv_sec) * 1'000'000u + uint64_t(self.ru_stime.tv_usec);

  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
    std::istringstream fields(line.substr(3));
    unsigned core = 0;
    fields >> core;
    uint64_t value = 0, busy = 0, total = 0;
    for (int index = 0; fields >> value; ++index) {
      total += value;
      if (index != 3 && index != 4) busy += value;  // idle, iowait
    }
    if (sample.core_busy.size() <= core) {
      sample.core_busy.resize(core + 1);
      sample.core_total.resize(core + 1);
    }
    sample.core_busy[core] = busy;
    sample.core_total[core] = total;
  }
  sample.wall_ns = monotonic_ns();
  return sample;
}

Usage usage_between(const UsageSample& before, const UsageSample& after) {
  Usage usage;
  usage.seconds = double(after.wall_ns - before.wall_ns) / 1e9;
  const double tick = 1.0 / double(clock_ticks_per_second());
  usage.server_user_s = double(after.server.user - before.server.user) * tick;
  usage.server_system_s = double(after.server.system - before.server.system) * tick;
  usage.self_cpu_s = double(after.self_user_us + after.self_system_us - before.self_user_us - before.self_system_us) / 1e6;
  if (usage.seconds > 0) {
    usage.self_cpu_share = usage.self_cpu_s / usage.seconds;
    usage.server_cpu_share = (usage.server_user_s + usage.server_system_s) / usage.seconds;
  }
  for (size_t core = 0; core < after.core_busy.size() && core < before.core_busy.size(); ++core) {
    const double total = double(after.core_total[core] - before.core_total[core]);
    usage.core_busy_share.push_back(total > 0 ? double(after.core_busy[core] - before.core_busy[core]) / total : 0);
  }
  return usage;
}

}  // namespace loadgen
