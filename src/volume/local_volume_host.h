// LocalVolumeHost: VolumeHost on this machine. Each volume's data is one file, DIR/<vol-id>.img (DIR is
// STATE/volumes), whose whole size is reserved with fallocate when the volume is created or grown: a
// volume never finds the host disk full halfway through a write, and a create the host has no room for
// fails at once (ResourceExhausted, InsufficientVolumeCapacity) instead of later inside an instance.
// The file is the volume's block device: attached, it is a loop device (loop_device.h) carrying the volume's
// own filesystem, mounted inside the instance (instance_mount.h) with the type's I/O limits (io_limits.h).
// docs/volumes.md has the whole picture.
#pragma once

#include <functional>
#include <string>

#include "volume/volume_host.h"

namespace stratus {

// The host pid of a running instance's init (whose mount namespace and cgroup are the instance's); NotFound
// when it is not running.
using InstancePidLookup = std::function<Result<int>(const std::string& instance_id)>;

class LocalVolumeHost : public VolumeHost {
 public:
  // `dir` is created when missing. Without `instance_pid`, Attach fails (for tests of the files alone).
  explicit LocalVolumeHost(std::string dir, InstancePidLookup instance_pid = {});

  Status Create(const std::string& volume_id, uint64_t size_bytes) override;
  Status Grow(const std::string& volume_id, uint64_t size_bytes, const VolumeMount* mounted) override;
  Status Remove(const std::string& volume_id) override;
  Status Attach(const VolumeMount& mount) override;
  Status Detach(const VolumeMount& mount, bool force) override;
  Result<bool> IsMounted(const VolumeMount& mount) override;
  Result<std::set<std::string>> List() override;

  // DIR/<vol-id>.img
  std::string FileOf(const std::string& volume_id) const;

 private:
  std::string dir_;
  InstancePidLookup instance_pid_;
};

}  // namespace stratus
