// HostCapacity: what this host has (vCPUs, memory, disk) and what instances hold of it. Stratus runs
// every instance on the one host stratusd runs on, so the host's capacity is the cloud's.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "compute/instance_service.h"
#include "compute/instance_types.h"

namespace stratus {

struct HostCapacity {
  // The host: CPUs stratusd may run on (its affinity mask), physical memory, and the file system
  // holding the state directory (instances' root volumes and image layers live there).
  double vcpus = 0;
  int64_t memory_mib = 0;
  int64_t disk_bytes = 0;
  // Allocated: the instance types' vCPUs and memory of every instance neither stopped nor terminated
  // (their cgroups' limits; a stopped instance holds none, as on EC2). Disk in use is what the file
  // system reports used (instances and images share it with whatever else is on it).
  double vcpus_allocated = 0;
  int64_t memory_mib_allocated = 0;
  int64_t disk_used_bytes = 0;
  int instances = 0;  // the instances counted in the allocation
};

// Measures the host now. `state_dir` is stratusd's state directory. An instance whose type is no
// longer in `types` counts with no allocation.
Result<HostCapacity> MeasureHostCapacity(const InstanceService& instances, const InstanceTypeTable& types,
                                         const std::string& state_dir);

}  // namespace stratus
