#include "compute/cgroups.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <sstream>

#include "common/files.h"

namespace stratus {
namespace {

bool HasOption(const std::string& options, const char* name) {
  std::stringstream ss(options);
  std::string opt;
  while (std::getline(ss, opt, ',')) {
    if (opt == name) return true;
  }
  return false;
}

Result<uint64_t> ReadNumber(const std::string& path) {
  STRATUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return static_cast<uint64_t>(std::strtoull(text.c_str(), nullptr, 10));
}

// The value of `key` in a "key value" per line file such as memory.stat or cpu.stat; 0 if absent.
// (Read every second for every instance by the collector: no iostreams.)
uint64_t StatField(const std::string& path, const std::string& key) {
  auto text = ReadFile(path);
  if (!text.ok()) return 0;
  const std::string& t = *text;
  for (size_t pos = 0; pos < t.size();) {
    size_t end = t.find('\n', pos);
    if (end == std::string::npos) end = t.size();
    if (end - pos > key.size() && t.compare(pos, key.size(), key) == 0 && t[pos + key.size()] == ' ') {
      return std::strtoull(t.c_str() + pos + key.size() + 1, nullptr, 10);
    }
    pos = end + 1;
  }
  return 0;
}

}  // namespace

CgroupLayout CgroupLayout::Detect() {
  CgroupLayout layout;
  auto mounts = ReadFile("/proc/self/mounts");
  if (!mounts.ok()) return layout;
  std::stringstream ss(*mounts);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::string dev, dir, type, options;
    ls >> dev >> dir >> type >> options;
    if (type == "cgroup2") {
      if (dir == "/sys/fs/cgroup") layout.unified_ = true;
      layout.mounts_.push_back(dir);
    } else if (type == "cgroup") {
      layout.mounts_.push_back(dir);
      if (HasOption(options, "cpuacct")) layout.cpuacct_mount_ = dir;
      if (HasOption(options, "memory")) layout.memory_mount_ = dir;
      if (HasOption(options, "pids")) layout.pids_mount_ = dir;
    }
  }
  if (layout.unified_) layout.mounts_ = {"/sys/fs/cgroup"};
  return layout;
}

Result<CgroupStats> CgroupLayout::Stats(const std::string& path) const {
  CgroupStats s;
  if (unified_) {
    std::string dir = "/sys/fs/cgroup" + path;
    if (!PathExists(dir)) return NotFound("cgroup " + path + " does not exist");
    s.cpu_usage_ns = StatField(dir + "/cpu.stat", "usage_usec") * 1000;
    STRATUS_ASSIGN_OR_RETURN(s.memory_usage_bytes, ReadNumber(dir + "/memory.current"));
    uint64_t inactive = StatField(dir + "/memory.stat", "inactive_file");
    s.memory_bytes = s.memory_usage_bytes > inactive ? s.memory_usage_bytes - inactive : 0;
    auto pids = ReadNumber(dir + "/pids.current");
    s.pids = pids.ok() ? *pids : 0;
    return s;
  }
  std::string mem = memory_mount_ + path;
  if (memory_mount_.empty()) return NotFound("cgroup " + path + " does not exist");
  // A missing cgroup fails this read with NotFound (no separate existence check: one syscall less
  // per instance and second).
  STRATUS_ASSIGN_OR_RETURN(s.cpu_usage_ns, ReadNumber(cpuacct_mount_ + path + "/cpuacct.usage"));
  STRATUS_ASSIGN_OR_RETURN(s.memory_usage_bytes, ReadNumber(mem + "/memory.usage_in_bytes"));
  uint64_t inactive = StatField(mem + "/memory.stat", "total_inactive_file");
  s.memory_bytes = s.memory_usage_bytes > inactive ? s.memory_usage_bytes - inactive : 0;
  auto pids = ReadNumber(pids_mount_ + path + "/pids.current");
  s.pids = pids.ok() ? *pids : 0;
  return s;
}

std::vector<std::string> CgroupLayout::ExistingDirs(const std::string& path) const {
  std::vector<std::string> out;
  for (const auto& m : mounts_) {
    if (PathExists(m + path)) out.push_back(m + path);
  }
  return out;
}

Status CgroupLayout::Remove(const std::string& path) const {
  Status result;
  for (const auto& dir : ExistingDirs(path)) {
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT && result.ok()) {
      result = Internal("remove cgroup " + dir + ": " + strerror(errno));
    }
  }
  return result;
}

}  // namespace stratus
