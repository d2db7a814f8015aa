#include "volume/local_volume_host.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "common/files.h"
#include "common/log.h"
#include "volume/instance_mount.h"
#include "volume/io_limits.h"
#include "volume/loop_device.h"

namespace stratus {

namespace {

constexpr char kSuffix[] = ".img";
constexpr char kPartial[] = ".partial";  // a clone being made: renamed to .img once whole and durable

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

// The bytes of `path` that share their blocks with another file (a snapshot, a clone): each may need a block
// of its own when it is next written (copy on write).
uint64_t SharedBytes(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return 0;
  constexpr unsigned kBatch = 256;
  std::vector<char> buf(sizeof(fiemap) + kBatch * sizeof(fiemap_extent));
  auto* map = reinterpret_cast<fiemap*>(buf.data());
  uint64_t shared = 0, start = 0;
  for (int rounds = 0; rounds < 100000; ++rounds) {  // bounded: a fragmented file still has finitely many extents
    std::fill(buf.begin(), buf.end(), 0);
    map->fm_start = start;
    map->fm_length = FIEMAP_MAX_OFFSET - start;
    map->fm_extent_count = kBatch;
    if (ioctl(fd.get(), FS_IOC_FIEMAP, map) != 0 || map->fm_mapped_extents == 0) break;
    bool last = false;
    for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
      const fiemap_extent& e = map->fm_extents[i];
      if (e.fe_flags & FIEMAP_EXTENT_SHARED) shared += e.fe_length;
      start = e.fe_logical + e.fe_length;
      last = last || (e.fe_flags & FIEMAP_EXTENT_LAST);
    }
    if (last) break;
  }
  return shared;
}

// Makes `to` a reflink clone of `from` (FICLONE: no data is copied, the blocks are shared until written), whole
// and durable, under a temporary name renamed at the end. `size`, when larger, is then reserved past the clone.
Status CloneFile(const std::string& from, const std::string& to, uint64_t size) {
  std::string partial = to + kPartial;
  UniqueFd src(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src.valid()) {
    if (errno == ENOENT) return NotFound(from + " does not exist");
    return Errno("open " + from, errno);
  }
  UniqueFd dst(open(partial.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!dst.valid()) return Errno("create " + partial, errno);
  if (ioctl(dst.get(), FICLONE, src.get()) != 0) {
    int err = errno;
    (void)unlink(partial.c_str());
    if (err == EOPNOTSUPP || err == EXDEV || err == EINVAL) {
      return FailedPrecondition("clone " + from + ": the volume store has no reflinks (" + std::strerror(err) + ")");
    }
    return Errno("clone " + from, err);
  }
  struct stat st {};
  if (fstat(dst.get(), &st) != 0) return Errno("stat " + partial, errno);
  Status reserved = Reserve(dst.get(), partial, static_cast<uint64_t>(st.st_size), size);
  if (reserved.ok() && fsync(dst.get()) != 0) reserved = Errno("sync " + partial, errno);
  if (reserved.ok() && rename(partial.c_str(), to.c_str()) != 0) reserved = Errno("rename " + partial, errno);
  if (!reserved.ok()) {
    (void)unlink(partial.c_str());
    return reserved;
  }
  return SyncDir(to.substr(0, to.rfind('/')));
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string MountPoint(const VolumeMount& m) { return "/mnt/" + m.device; }

// The ids of the ID.img files in `dir` (none when it does not exist).
Result<std::set<std::string>> ImagesIn(const std::string& dir) {
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, kSuffix) == 0) ids.insert(name.substr(0, name.size() - 4));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return Internal("list " + dir + ": " + ec.message());
  return ids;
}

// After an unmount, the loop device detaches itself once the kernel has released the filesystem; wait for
// that (bounded) so the volume can be attached elsewhere at once.
void AwaitLoopRelease(const std::string& file) {
  for (int i = 0; i < 100 && !LoopDevicesOf(file).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

LocalVolumeHost::LocalVolumeHost(std::string dir, InstancePidLookup instance_pid, PoolRoom room)
    : dir_(std::move(dir)), instance_pid_(std::move(instance_pid)), room_(std::move(room)) {}

std::string LocalVolumeHost::FileOf(const std::string& volume_id) const { return dir_ + "/" + volume_id + kSuffix; }

std::string LocalVolumeHost::SnapshotFileOf(const std::string& snapshot_id) const {
  return dir_ + "/snapshots/" + snapshot_id + kSuffix;
}

Status LocalVolumeHost::EnsureRoom(uint64_t new_bytes) {
  if (!room_) return Status::Ok();
  // Besides the new bytes, every block a volume shares with a snapshot or clone may need a block of its own when
  // written: the pool keeps that much free too, so such a write never finds it full.
  uint64_t cow = 0;
  STRATUS_ASSIGN_OR_RETURN(auto ids, List());
  for (const auto& id : ids) cow += SharedBytes(FileOf(id));
  return room_(new_bytes + cow);
}

Status LocalVolumeHost::Create(const std::string& volume_id, uint64_t size_bytes) {
  // Room first: the pool is made by the first volume that needs it.
  STRATUS_RETURN_IF_ERROR(EnsureRoom(size_bytes));
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
  if (size_bytes > static_cast<uint64_t>(st.st_size)) {
    STRATUS_RETURN_IF_ERROR(EnsureRoom(size_bytes - static_cast<uint64_t>(st.st_size)));
  }
  STRATUS_RETURN_IF_ERROR(Reserve(fd.get(), path, static_cast<uint64_t>(st.st_size), size_bytes));
  if (mounted == nullptr || !instance_pid_) return Status::Ok();
  for (const auto& dev : LoopDevicesOf(path)) STRATUS_RETURN_IF_ERROR(RefreshLoopCapacity(dev));
  auto pid = instance_pid_(mounted->instance_id);
  if (!pid.ok()) return Status::Ok();  // stopped meanwhile: the filesystem grows at its next mount
  // The volume has its new size either way; a filesystem that cannot grow now is grown again at its next mount.
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
  // A volume grown while it was not mounted (or made from a smaller snapshot): its filesystem catches up now.
  Status grown = GrowFilesystemIn(pid, target, FileSize(file));
  if (!grown.ok()) LogWarn("volume: cannot grow the filesystem to the volume's size", {{"volume", m.volume_id}, {"error", grown.ToString()}});
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
  (void)unlink((path + kPartial).c_str());  // a clone a crash interrupted
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("remove " + path, errno);
  return PathExists(dir_) ? SyncDir(dir_) : Status::Ok();
}

Status LocalVolumeHost::Snapshot(const std::string& volume_id, const std::string& snapshot_id) {
  STRATUS_RETURN_IF_ERROR(MakeDirs(dir_ + "/snapshots", 0700));
  std::string file = FileOf(volume_id);
  // The volume's blocks become shared: room for each of them to be written once more.
  STRATUS_RETURN_IF_ERROR(EnsureRoom(FileSize(file)));
  return CloneFile(file, SnapshotFileOf(snapshot_id), 0);
}

Status LocalVolumeHost::CopySnapshot(const std::string& from, const std::string& to) {
  // Snapshots are never written: a copy shares every block with its source and needs no room of its own.
  return CloneFile(SnapshotFileOf(from), SnapshotFileOf(to), 0);
}

Status LocalVolumeHost::CreateFromSnapshot(const std::string& volume_id, const std::string& snapshot_id,
                                           uint64_t size_bytes) {
  STRATUS_RETURN_IF_ERROR(EnsureRoom(size_bytes));
  std::string file = FileOf(volume_id);
  if (PathExists(file)) return FileSize(file) == size_bytes ? Status::Ok() : AlreadyExists(file + " already exists");
  return CloneFile(SnapshotFileOf(snapshot_id), file, size_bytes);
}

Status LocalVolumeHost::RemoveSnapshot(const std::string& snapshot_id) {
  std::string path = SnapshotFileOf(snapshot_id);
  (void)unlink((path + kPartial).c_str());
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("remove " + path, errno);
  return PathExists(dir_ + "/snapshots") ? SyncDir(dir_ + "/snapshots") : Status::Ok();
}

Result<std::set<std::string>> LocalVolumeHost::ListSnapshots() { return ImagesIn(dir_ + "/snapshots"); }

Result<std::set<std::string>> LocalVolumeHost::List() { return ImagesIn(dir_); }

}  // namespace stratus
