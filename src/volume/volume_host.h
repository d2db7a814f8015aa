// VolumeHost: what the volume service needs from the machine that keeps the volumes' data.
//
// The service decides what happens to a volume (states, records, validation); a VolumeHost makes it
// happen on a host. The real one is LocalVolumeHost (local_volume_host.h: a reserved file per volume and
// snapshot in the volume pool); unit tests use a fake.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "common/status.h"

namespace stratus {

// A volume as mounted in an instance: at /mnt/<device> inside it, with the volume type's I/O limits.
struct VolumeMount {
  std::string volume_id;
  std::string instance_id;
  std::string device;  // "sdf": the name under /dev the API uses; mounted at /mnt/sdf
  int64_t iops = 0;           // 0 = no limit
  int64_t throughput_mib = 0; // MiB/s; 0 = no limit
};

class VolumeHost {
 public:
  virtual ~VolumeHost() = default;

  // Makes the empty backing store of `volume_id`, `size_bytes` long. Succeeds when it already exists with that
  // size (a create retried after a crash). ResourceExhausted when the host has no room for it.
  virtual Status Create(const std::string& volume_id, uint64_t size_bytes) = 0;

  // Grows the backing store to `size_bytes` (never shrinks). When `mounted` is given, the volume is mounted in
  // that running instance and its filesystem grows there too, online. NotFound when it does not exist.
  virtual Status Grow(const std::string& volume_id, uint64_t size_bytes, const VolumeMount* mounted) = 0;

  // Removes the backing store and its data. Succeeds when it does not exist.
  virtual Status Remove(const std::string& volume_id) = 0;

  // Mounts the volume inside the running instance `mount.instance_id` at /mnt/<device>, formatting it (XFS)
  // when it holds no filesystem yet. Unavailable while the volume is still held by an earlier attachment (a
  // forced detach whose files are still open); NotFound when the instance is not running. On failure
  // nothing is left mounted.
  virtual Status Attach(const VolumeMount& mount) = 0;

  // Flushes and unmounts the volume from the instance. Busy (FailedPrecondition, VolumeInUse) when files are
  // open on it, unless `force`. OK when the instance is not running (its mounts went with it).
  virtual Status Detach(const VolumeMount& mount, bool force) = 0;

  // Whether the volume is mounted in the instance now (false when the instance is not running).
  virtual Result<bool> IsMounted(const VolumeMount& mount) = 0;

  // The volumes that have a backing store on this host, for reconciling with the store after a restart.
  virtual Result<std::set<std::string>> List() = 0;

  // Snapshots. Each call leaves the snapshot (or the new volume) whole or absent, never in part.
  // Makes snapshot `snapshot_id` of the volume's data as it is now, in milliseconds (a clone sharing its blocks).
  // ResourceExhausted (InsufficientVolumeCapacity) when the host has no room for what later writes may need.
  virtual Status Snapshot(const std::string& volume_id, const std::string& snapshot_id) = 0;
  // Makes snapshot `to` a copy of snapshot `from`.
  virtual Status CopySnapshot(const std::string& from, const std::string& to) = 0;
  // Makes the backing store of a new volume from a snapshot's data, `size_bytes` long (at least the snapshot's).
  virtual Status CreateFromSnapshot(const std::string& volume_id, const std::string& snapshot_id,
                                    uint64_t size_bytes) = 0;
  // Removes a snapshot's data (and any part of it a crash left). Succeeds when there is none.
  virtual Status RemoveSnapshot(const std::string& snapshot_id) = 0;
  // The snapshots whose data is on this host.
  virtual Result<std::set<std::string>> ListSnapshots() = 0;
};

using VolumeHostPtr = std::unique_ptr<VolumeHost>;

}  // namespace stratus
