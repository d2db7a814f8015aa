// VolumePool: the filesystem volumes and snapshots live on. STATE_DIR/volumes is an XFS filesystem with
// reflinks, kept in one file on the host (STATE_DIR/volume-pool.xfs) and mounted in stratusd's own mount
// namespace (so the host's mount table never holds it; it stays mounted while that namespace is pinned).
//
// Why a pool: a snapshot is a reflink clone of a volume's file, and a volume made from a snapshot a clone of
// the snapshot's, which takes milliseconds whatever the size and shares every block until one side writes it.
// The host's own filesystem (ext4 here) has no reflinks; XFS in a file does, with loop devices alone.
//
// The pool file is reserved on the host (fallocate) as the pool grows, never sparse: a host disk that fills
// up makes the pool's growth fail cleanly (InsufficientVolumeCapacity) instead of making writes inside the
// pool fail. docs/volumes.md has the whole layout.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "common/status.h"

namespace stratus {

class VolumePool {
 public:
  // `image`: the pool's file on the host; `dir`: where it is mounted.
  VolumePool(std::string image, std::string dir);

  // Mounts the pool at `dir` when there is one (a daemon starting). OK when it is mounted there already (a daemon
  // restarted in its pinned namespace) or there is none yet.
  Status Open();

  // Makes the pool when there is none yet, then grows it until it has `bytes` free (plus a margin for XFS's own
  // metadata): the host file is reserved further, the loop device told, and XFS grown online. ResourceExhausted
  // (InsufficientVolumeCapacity) when the host has no room; the pool is unchanged then.
  Status EnsureFree(uint64_t bytes);

  const std::string& dir() const { return dir_; }

 private:
  Status MountLocked(uint64_t first_size);  // requires mu_: makes the pool `first_size` (at least) when missing
  std::string image_, dir_;
  std::mutex mu_;  // one growth at a time
};

}  // namespace stratus
