#include "volume/volume_pool.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/fd.h"
#include "common/files.h"
#include "common/log.h"
#include "volume/loop_device.h"
#include "volume/xfs.h"

namespace stratus {

namespace {

constexpr uint64_t kMiB = 1024ull * 1024;
constexpr uint64_t kFirstSize = 1024 * kMiB;  // XFS wants 300 MiB at least; a first volume fits in the rest
constexpr uint64_t kGrowStep = 256 * kMiB;

std::string Errno(const std::string& what, int err) { return what + ": " + std::strerror(err); }

Status NoRoom(const std::string& what, int err) {
  return ResourceExhausted(Errno(what + ": the host has no room for it", err)).WithErrorCode("InsufficientVolumeCapacity");
}

// What XFS keeps for itself beyond the bytes asked for: its log and metadata grow with the pool.
uint64_t Margin(uint64_t bytes) { return 64 * kMiB + bytes / 32; }

bool IsXfsMountPoint(const std::string& dir) {
  struct statfs fs {};
  struct stat st {}, parent {};
  if (statfs(dir.c_str(), &fs) != 0 || fs.f_type != XFS_SUPER_MAGIC) return false;
  if (stat(dir.c_str(), &st) != 0 || stat((dir + "/..").c_str(), &parent) != 0) return false;
  return st.st_dev != parent.st_dev;
}

// Reserves the host file up to `size` bytes (from `from`), durably.
Status ReserveHostFile(int fd, const std::string& path, uint64_t from, uint64_t size) {
  int rc = posix_fallocate(fd, static_cast<off_t>(from), static_cast<off_t>(size - from));
  if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG) return NoRoom("reserve " + std::to_string(size) + " bytes for " + path, rc);
  if (rc != 0) return Internal(Errno("reserve " + path, rc));
  if (fsync(fd) != 0) return Internal(Errno("sync " + path, errno));
  return Status::Ok();
}

}  // namespace

VolumePool::VolumePool(std::string image, std::string dir) : image_(std::move(image)), dir_(std::move(dir)) {}

Status VolumePool::Open() {
  std::lock_guard lock(mu_);
  if (!PathExists(image_)) return Status::Ok();  // made by the first volume that needs it
  return MountLocked(0);
}

Status VolumePool::MountLocked(uint64_t first_size) {
  STRATUS_RETURN_IF_ERROR(MakeDirs(dir_, 0700));
  if (IsXfsMountPoint(dir_)) return Status::Ok();
  if (!PathExists(image_)) {
    // Made under another name and renamed once formatted: a crash halfway leaves no half-made pool.
    std::string fresh = image_ + ".new";
    uint64_t size = std::max(kFirstSize, (first_size + kGrowStep - 1) / kGrowStep * kGrowStep);
    {
      UniqueFd fd(open(fresh.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!fd.valid()) return Internal(Errno("create " + fresh, errno));
      Status reserved = ReserveHostFile(fd.get(), fresh, 0, size);
      if (!reserved.ok()) {
        (void)unlink(fresh.c_str());
        return reserved;
      }
    }
    STRATUS_RETURN_IF_ERROR(MakeXfs(fresh));
    if (rename(fresh.c_str(), image_.c_str()) != 0) return Internal(Errno("rename " + fresh, errno));
    LogInfo("volume: made the volume pool", {{"file", image_}, {"bytes", std::to_string(size)}});
  }
  STRATUS_ASSIGN_OR_RETURN(auto loop, AttachLoop(image_));
  // From here on the mount holds the loop device (autoclear): it goes when the pool is unmounted everywhere.
  if (mount(loop.second.path.c_str(), dir_.c_str(), "xfs", MS_NOATIME, nullptr) != 0) {
    return Internal(Errno("mount the volume pool " + image_ + " at " + dir_, errno));
  }
  // A pool grown while the daemon was down (its file larger than the filesystem): the filesystem catches up.
  struct stat st {};
  UniqueFd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.valid() && stat(image_.c_str(), &st) == 0) {
    Status grown = GrowXfs(d.get(), static_cast<uint64_t>(st.st_size), dir_);
    if (!grown.ok()) LogWarn("volume: the pool did not grow to its file's size", {{"error", grown.ToString()}});
  }
  return Status::Ok();
}

Status VolumePool::EnsureFree(uint64_t bytes) {
  std::lock_guard lock(mu_);
  uint64_t want = bytes + Margin(bytes);
  STRATUS_RETURN_IF_ERROR(MountLocked(want));
  UniqueFd dir(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return Internal(Errno("open " + dir_, errno));
  struct statfs fs {};
  if (fstatfs(dir.get(), &fs) != 0) return Internal(Errno("statfs " + dir_, errno));
  uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_bsize);
  if (free_bytes >= want) return Status::Ok();
  UniqueFd image(open(image_.c_str(), O_RDWR | O_CLOEXEC));
  if (!image.valid()) return Internal(Errno("open " + image_, errno));
  struct stat st {};
  if (fstat(image.get(), &st) != 0) return Internal(Errno("stat " + image_, errno));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t grown = (size + (want - free_bytes) + kGrowStep - 1) / kGrowStep * kGrowStep;
  Status reserved = ReserveHostFile(image.get(), image_, size, grown);
  if (!reserved.ok()) {
    // Give back what a partial fallocate took: the pool stays as it was.
    (void)ftruncate(image.get(), static_cast<off_t>(size));
    return reserved;
  }
  for (const auto& dev : LoopDevicesOf(image_)) STRATUS_RETURN_IF_ERROR(RefreshLoopCapacity(dev));
  STRATUS_RETURN_IF_ERROR(GrowXfs(dir.get(), grown, dir_));
  LogInfo("volume: grew the volume pool", {{"bytes", std::to_string(grown)}});
  return Status::Ok();
}

}  // namespace stratus
