// LocalVolumeHost: VolumeHost on this machine. Each volume's data is one file, DIR/<vol-id>.img (DIR is
// STATE/volumes, the volume pool: volume_pool.h), whose whole size is reserved with fallocate when the volume
// is created or grown: a volume never finds the disk full halfway through a write, and a create there is no
// room for fails at once (ResourceExhausted, InsufficientVolumeCapacity) instead of later inside an instance.
// A snapshot is DIR/snapshots/<snap-id>.img, a reflink clone of the volume's file (FICLONE): made in
// milliseconds, sharing every block until the volume writes it. The pool keeps free at least as many bytes as
// volumes share with snapshots, so those writes (copy on write) never find it full either.
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

// Makes sure the volumes' filesystem has `bytes` free (VolumePool::EnsureFree); ResourceExhausted when the host
// has no room.
using PoolRoom = std::function<Status(uint64_t bytes)>;

class LocalVolumeHost : public VolumeHost {
 public:
  // `dir` is created when missing. Without `instance_pid`, Attach fails (for tests of the files alone); without
  // `room`, the space is whatever `dir`'s filesystem has.
  explicit LocalVolumeHost(std::string dir, InstancePidLookup instance_pid = {}, PoolRoom room = {});

  Status Create(const std::string& volume_id, uint64_t size_bytes) override;
  Status Grow(const std::string& volume_id, uint64_t size_bytes, const VolumeMount* mounted) override;
  Status Remove(const std::string& volume_id) override;
  Status Attach(const VolumeMount& mount) override;
  Status Detach(const VolumeMount& mount, bool force) override;
  Result<bool> IsMounted(const VolumeMount& mount) override;
  Result<std::set<std::string>> List() override;
  Status Snapshot(const std::string& volume_id, const std::string& snapshot_id) override;
  Status CopySnapshot(const std::string& from, const std::string& to) override;
  Status CreateFromSnapshot(const std::string& volume_id, const std::string& snapshot_id, uint64_t size_bytes) override;
  Status RemoveSnapshot(const std::string& snapshot_id) override;
  Result<std::set<std::string>> ListSnapshots() override;

  // DIR/<vol-id>.img
  std::string FileOf(const std::string& volume_id) const;
  // DIR/snapshots/<snap-id>.img
  std::string SnapshotFileOf(const std::string& snapshot_id) const;

 private:
  std::string dir_;
  InstancePidLookup instance_pid_;
  PoolRoom room_;
  // Asks the pool for `new_bytes` plus what the volumes share with snapshots (their copy-on-write reserve).
  Status EnsureRoom(uint64_t new_bytes);
};

}  // namespace stratus
