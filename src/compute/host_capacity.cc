#include "compute/host_capacity.h"

#include <sched.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stratus {

Result<HostCapacity> MeasureHostCapacity(const InstanceService& instances, const InstanceTypeTable& types,
                                         const std::string& state_dir) {
  HostCapacity c;
  cpu_set_t set;
  CPU_ZERO(&set);
  c.vcpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
  c.memory_mib = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE) / (1024 * 1024);
  struct statvfs fs;
  if (statvfs(state_dir.c_str(), &fs) != 0) return Internal("statvfs " + state_dir + ": " + strerror(errno));
  c.disk_bytes = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
  c.disk_used_bytes = static_cast<int64_t>(fs.f_blocks - fs.f_bfree) * static_cast<int64_t>(fs.f_frsize);
  STRATUS_ASSIGN_OR_RETURN(auto all, instances.Describe({}));
  for (const auto& i : all) {
    if (i.state == InstanceState::kStopped || i.state == InstanceState::kTerminated) continue;
    c.instances++;
    auto type = types.Find(i.instance_type);
    if (!type.ok()) continue;
    c.vcpus_allocated += type->vcpus;
    c.memory_mib_allocated += type->memory_mib;
  }
  return c;
}

}  // namespace stratus
