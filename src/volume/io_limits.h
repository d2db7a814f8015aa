// A volume type's IOPS and throughput, enforced on the volume's block device for the instance that uses it,
// with the block I/O controller of the instance's cgroup: blkio.throttle.* (cgroup v1) or io.max (v2).
//
// What this limits honestly: reads, and writes the instance's processes submit themselves (O_DIRECT, fsync'd
// and synchronous writes, and on cgroup v2 also page-cache writeback). On cgroup v1 buffered writes flushed
// later by the kernel's writeback threads are not charged to the instance and pass unthrottled
// (docs/volumes.md).
#pragma once

#include <cstdint>

#include "common/status.h"
#include "volume/loop_device.h"

namespace stratus {

// Limits I/O of process `pid`'s cgroup on `device` to `iops` operations and `mib_per_s` MiB per second in
// each direction (0 = that limit off). Unavailable when the host has no block I/O controller.
Status LimitDeviceIo(int pid, const LoopDevice& device, int64_t iops, int64_t mib_per_s);

}  // namespace stratus
