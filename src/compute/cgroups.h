// Read-only knowledge of the host's cgroup layout (v1, hybrid or v2) for instance metrics and
// leak-proof cleanup. runc creates and removes instance cgroups; this only reads them and removes
// leftovers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

// Usage counters of one cgroup.
struct CgroupStats {
  uint64_t cpu_usage_ns = 0;        // total CPU time consumed
  uint64_t memory_bytes = 0;        // working set: usage minus inactive file cache (as kubectl top)
  uint64_t memory_usage_bytes = 0;  // raw usage including page cache
  uint64_t pids = 0;                // tasks in the cgroup
};

class CgroupLayout {
 public:
  // Reads /proc/self/mounts to find the cgroup hierarchies of this host.
  static CgroupLayout Detect();

  // True when /sys/fs/cgroup is the unified (v2) hierarchy.
  bool unified() const { return unified_; }

  // Counters of the cgroup at `path` (e.g. "/stratus/i-0123..."): NotFound when it does not exist.
  Result<CgroupStats> Stats(const std::string& path) const;

  // Every directory at `path` in every hierarchy (v1 controllers, name=systemd, the hybrid v2 one)
  // that exists now.
  std::vector<std::string> ExistingDirs(const std::string& path) const;

  // rmdir of `path` in every hierarchy; OK when none exists. A cgroup that still has tasks or
  // children is an error naming it.
  Status Remove(const std::string& path) const;

 private:
  bool unified_ = false;
  std::string cpuacct_mount_;  // v1
  std::string memory_mount_;   // v1
  std::string pids_mount_;     // v1
  std::vector<std::string> mounts_;  // every hierarchy's mount point (the v2 root when unified)
};

}  // namespace stratus
