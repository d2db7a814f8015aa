#include "volume/local_volume_host.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/fd.h"
#include "common/files.h"
#include "common/log.h"
#include "volume/instance_mount.h"
#include "volume/io_limits.h"
#include "volume/loop_device.h"

namespace stratus {

namespace {

constexpr char kSuffix[] = ".img";

Status Errno(const std::string& what, int err) {
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
    return ResourceExhausted(what + ": the host has no room for it (" + std::strerror(err) + ")")
        .WithErrorCode("InsufficientVolumeCapacity");
  }
  return Internal(what + ": " + std::strerror(err));
}

Status SyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || fsync(fd.get()) != 0) return Errno("sync " + dir, errno);
  return Status::Ok();
}

// Reserves [from, to) of the file: the blocks exist on the host disk from now on, so writes into the
// volume cannot fail for want of host space.
Status Reserve(int fd, const std::string& path, uint64_t from, uint64_t to) {
  if (to <= from) return Status::Ok();
  int rc = posix_fallocate(fd, static_cast<off_t>(from), static_cast<off_t>(to - from));
  if (rc != 0) return Errno("reserve " + std::to_string(to - from) + " bytes for " + path, rc);
  if (fsync(fd) != 0) return Errno("sync " + path, errno);
  return Status::Ok();
}

std::string MountPoint(const VolumeMount& m) { return "/mnt/" + m.device; }

// After an unmount, the loop device detaches itself once the kernel has released the filesystem; wait for
// that (bounded) so the volume can be attached elsewhere at once.
void AwaitLoopRelease(const std::string& file) {
  for (int i = 0; i < 100 && !LoopDevicesOf(file).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

LocalVolumeHost::LocalVolumeHost(std::string dir, InstancePidLookup instance_pid)
    : dir_(std::move(dir)), instance_pid_(std::move(instance_pid)) {}

std::string LocalVolumeHost::FileOf(const std::string& volume_id) const { return dir_ + "/" + volume_id + kSuffix; }

Status LocalVolumeHost::Create(const std::string& volume_id, uint64_t size_bytes) {
  STRATUS_RETURN_IF_ERROR(MakeDirs(dir_, 0700));
  std::string path = FileOf(volume_id);
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Errno("create " + path, errno);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Errno("stat " + path, errno);
  if (static_cast<uint64_t>(st.st_size) > size_bytes) {
    return AlreadyExists(path + " already exists and is larger than " + std::to_string(size_bytes) + " bytes");
  }
  STRATUS_RETURN_IF_ERROR(Reserve(fd.get(), path, 0, size_bytes));
  return SyncDir(dir_);
}

Status LocalVolumeHost::Grow(const std::string& volume_id, uint64_t size_bytes, const VolumeMount* mounted) {
  std::string path = FileOf(volume_id);
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFound("volume " + volume_id + " has no data file " + path);
    return Errno("open " + path, errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Errno("stat " + path, errno);
  STRATUS_RETURN_IF_ERROR(Reserve(fd.get(), path, static_cast<uint64_t>(st.st_size), size_bytes));
  if (mounted == nullptr || !instance_pid_) return Status::Ok();
  for (const auto& dev : LoopDevicesOf(path)) STRATUS_RETURN_IF_ERROR(RefreshLoopCapacity(dev));
  auto pid = instance_pid_(mounted->instance_id);
  if (!pid.ok()) return Status::Ok();  // stopped meanwhile: the filesystem grows at its next mount
  // The volume has its new size either way; a filesystem that cannot grow now (online resize needs
  // CAP_SYS_RESOURCE) is grown again at the next mount.
  Status grown = GrowFilesystemIn(*pid, MountPoint(*mounted), size_bytes);
  if (!grown.ok()) LogWarn("volume: the filesystem did not grow online", {{"volume", volume_id}, {"error", grown.ToString()}});
  return Status::Ok();
}

Status LocalVolumeHost::Attach(const VolumeMount& m) {
  if (!instance_pid_) return FailedPrecondition("this volume host cannot mount volumes in instances");
  STRATUS_ASSIGN_OR_RETURN(int pid, instance_pid_(m.instance_id));
  std::string file = FileOf(m.volume_id);
  std::string target = MountPoint(m);
  if (!LoopDevicesOf(file).empty()) {
    auto here = MountedIn(pid, target);
    if (here.ok() && *here) return Status::Ok();  // already mounted there (a retried attach)
    return Unavailable("volume " + m.volume_id + " is still in use by its previous attachment (a forced detach "
                       "whose files are still open); try again once they are closed")
        .WithErrorCode("VolumeInUse");
  }
  STRATUS_ASSIGN_OR_RETURN(auto loop, AttachLoop(file));
  // loop.first holds the device until this returns; from then on only the mount does (autoclear).
  STRATUS_ASSIGN_OR_RETURN(std::string fstype, EnsureFilesystem(loop.second.path));
  STRATUS_RETURN_IF_ERROR(MountInto(pid, loop.second.path, fstype, target));
  if (fstype == "ext4") {
    // A volume grown while it was not mounted: its filesystem catches up with the device now.
    struct stat st {};
    if (stat(file.c_str(), &st) == 0) {
      Status grown = GrowFilesystemIn(pid, target, static_cast<uint64_t>(st.st_size));
      if (!grown.ok()) LogWarn("volume: cannot grow the filesystem to the volume's size", {{"volume", m.volume_id}, {"error", grown.ToString()}});
    }
  }
  Status limited = LimitDeviceIo(pid, loop.second, m.iops, m.throughput_mib);
  if (!limited.ok()) LogWarn("volume: I/O limits not applied", {{"volume", m.volume_id}, {"error", limited.ToString()}});
  return Status::Ok();
}

Status LocalVolumeHost::Detach(const VolumeMount& m, bool force) {
  if (!instance_pid_) return Status::Ok();
  auto pid = instance_pid_(m.instance_id);
  if (!pid.ok()) return Status::Ok();  // not running: its mount namespace, and the mount, are gone
  STRATUS_RETURN_IF_ERROR(UnmountFrom(*pid, MountPoint(m), force));
  std::string file = FileOf(m.volume_id);
  if (!force) AwaitLoopRelease(file);
  return Status::Ok();
}

Result<bool> LocalVolumeHost::IsMounted(const VolumeMount& m) {
  if (!instance_pid_) return false;
  auto pid = instance_pid_(m.instance_id);
  if (!pid.ok()) return false;
  return MountedIn(*pid, MountPoint(m));
}

Status LocalVolumeHost::Remove(const std::string& volume_id) {
  std::string path = FileOf(volume_id);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("remove " + path, errno);
  return PathExists(dir_) ? SyncDir(dir_) : Status::Ok();
}

Result<std::set<std::string>> LocalVolumeHost::List() {
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, kSuffix) == 0) ids.insert(name.substr(0, name.size() - 4));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return Internal("list " + dir_ + ": " + ec.message());
  return ids;
}

}  // namespace stratus
