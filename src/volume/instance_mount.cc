#include "volume/instance_mount.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

#include "common/fd.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "volume/xfs.h"


namespace stratus {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Runs fn on a new thread inside the mount namespace of `pid`: the thread has its own filesystem attributes
// (unshare CLONE_FS), so joining the namespace changes nothing for the daemon's other threads. `before`, when
// given, runs first on that thread while it is still in the daemon's namespace.
Status RunInNamespaceOf(int pid, const std::function<Status()>& fn, const std::function<Status()>& before = {}) {
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/mnt";
  UniqueFd ns_fd(open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns_fd.valid()) return NotFound(Errno("open " + ns + " (is the instance running?)"));
  Status st;
  std::thread t([&] {
    if (before) {
      st = before();
      if (!st.ok()) return;
    }
    if (unshare(CLONE_FS) != 0) {
      st = Internal(Errno("unshare filesystem attributes"));
      return;
    }
    if (setns(ns_fd.get(), CLONE_NEWNS) != 0) {
      st = Internal(Errno("join the mount namespace of process " + std::to_string(pid)));
      return;
    }
    st = fn();
  });
  t.join();
  return st;
}

// mkdir -p inside the namespace the calling thread is in.
Status MakeDirsHere(const std::string& path) {
  std::string partial;
  std::stringstream parts(path);
  for (std::string part; std::getline(parts, part, '/');) {
    if (part.empty()) continue;
    partial += "/" + part;
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return Internal(Errno("mkdir " + partial));
  }
  return Status::Ok();
}

// True when `target` is a mount point (its device differs from its parent's, or mountinfo says so).
bool IsMountPointHere(const std::string& target) {
  struct stat st {}, parent {};
  if (stat(target.c_str(), &st) != 0) return false;
  std::string up = target.substr(0, target.rfind('/'));
  if (stat(up.empty() ? "/" : up.c_str(), &parent) != 0) return false;
  return st.st_dev != parent.st_dev;
}

}  // namespace

Result<std::string> EnsureFilesystem(const std::string& device) {
  RunOptions quiet;
  // blkid -p probes the device itself (no cache): exit 2 means no filesystem signature at all.
  STRATUS_ASSIGN_OR_RETURN(ProcessResult probe, RunProcess({"blkid", "-p", "-o", "value", "-s", "TYPE", device}, quiet));
  std::string type = probe.out;
  while (!type.empty() && (type.back() == '\n' || type.back() == ' ')) type.pop_back();
  if (probe.exit_code == 0 && !type.empty()) return type;
  if (probe.exit_code != 2) return Internal("blkid " + device + " failed: " + probe.err);
  STRATUS_RETURN_IF_ERROR(MakeXfs(device));
  return std::string("xfs");
}

Status MountInto(int pid, const std::string& device, const std::string& fstype, const std::string& target) {
  UniqueFd mount_fd;
  auto make_mount = [&]() -> Status {
    UniqueFd fs(fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
    if (!fs.valid()) return Internal(Errno("fsopen " + fstype));
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", device.c_str(), 0) != 0) {
      return Internal(Errno("fsconfig source " + device));
    }
    // A volume made from a snapshot carries its source's filesystem UUID; XFS refuses a second mount of a UUID
    // unless told that is expected (the source may be mounted in another instance).
    if (fstype == "xfs" && fsconfig(fs.get(), FSCONFIG_SET_FLAG, "nouuid", nullptr, 0) != 0) {
      return Internal(Errno("fsconfig nouuid " + device));
    }
    if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
      return Internal(Errno("mount the " + fstype + " filesystem on " + device));
    }
    mount_fd.reset(fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
    if (!mount_fd.valid()) return Internal(Errno("fsmount " + device));
    return Status::Ok();
  };
  auto place = [&]() -> Status {
    STRATUS_RETURN_IF_ERROR(MakeDirsHere(target));
    if (IsMountPointHere(target)) return AlreadyExists("something is already mounted at " + target);
    if (move_mount(mount_fd.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      return Internal(Errno("mount at " + target + " in the instance"));
    }
    return Status::Ok();
  };
  // Closing mount_fd after a failed move drops the detached mount: nothing is left mounted anywhere.
  return RunInNamespaceOf(pid, place, make_mount);
}

Status UnmountFrom(int pid, const std::string& target, bool force) {
  return RunInNamespaceOf(pid, [&]() -> Status {
    if (!IsMountPointHere(target)) return Status::Ok();
    {
      UniqueFd dir(open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (dir.valid()) (void)syncfs(dir.get());  // flush before the unmount, whatever the instance left dirty
    }
    if (umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
      if (errno != EBUSY) return Internal(Errno("unmount " + target));
      if (!force) {
        return FailedPrecondition("the volume is busy inside the instance (files are open under " + target +
                                  "); close them or detach with Force")
            .WithErrorCode("VolumeInUse");
      }
      if (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) return Internal(Errno("detach " + target));
    }
    (void)rmdir(target.c_str());
    return Status::Ok();
  });
}

Status GrowFilesystemIn(int pid, const std::string& target, uint64_t size_bytes) {
  return RunInNamespaceOf(pid, [&]() -> Status {
    UniqueFd dir(open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return Internal(Errno("open " + target + " in the instance"));
    struct statfs fs {};
    if (fstatfs(dir.get(), &fs) != 0) return Internal(Errno("statfs " + target));
    if (fs.f_type != XFS_SUPER_MAGIC) return FailedPrecondition(target + " is not XFS: Stratus grows XFS volumes only");
    return GrowXfs(dir.get(), size_bytes, target);
  });
}

Result<bool> MountedIn(int pid, const std::string& target) {
  STRATUS_ASSIGN_OR_RETURN(std::string info, ReadFile("/proc/" + std::to_string(pid) + "/mountinfo"));
  std::stringstream lines(info);
  for (std::string line; std::getline(lines, line);) {
    // "36 35 98:0 / /mnt/sdf rw,... - ext4 /dev/loop3 rw": the fifth field is the mount point.
    std::stringstream fields(line);
    std::string f[5];
    for (auto& x : f) fields >> x;
    if (f[4] == target) return true;
  }
  return false;
}

}  // namespace stratus
