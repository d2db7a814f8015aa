#include "compute/mount_namespace.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/files.h"

namespace stratus {
namespace {

// /var/run/netns: named network namespaces, one bind mount each (net/netns.h).
constexpr const char* kNetnsDir = "/var/run/netns";

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

// Runs fn on a fresh thread with its own filesystem attributes (root, cwd), so a mount namespace
// it joins or creates is the thread's alone and dies with it.
Status RunOnOwnThread(const std::function<Status()>& fn) {
  Status st;
  std::thread t([&] {
    if (unshare(CLONE_FS) != 0) {
      st = Internal(Errno("unshare filesystem attributes"));
      return;
    }
    st = fn();
  });
  t.join();
  return st;
}

// The mount namespace the process started in, once EnterPinnedMountNamespace moved it.
std::mutex host_mu;
UniqueFd host_ns;

// Joins the mount namespace `ns_fd` on a fresh thread and runs fn there.
Status RunInMountNamespace(int ns_fd, const std::function<Status()>& fn) {
  return RunOnOwnThread([&]() -> Status {
    if (setns(ns_fd, CLONE_NEWNS) != 0) return Internal(Errno("join the host's mount namespace"));
    return fn();
  });
}

}  // namespace

bool IsPinnedMountNamespace(const std::string& pin) {
  struct statfs fs;
  return statfs(pin.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

Status EnterPinnedMountNamespace(const std::string& pin, bool* created) {
  *created = false;
  UniqueFd host(open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  if (!host.valid()) return Internal(Errno("open the host's mount namespace"));
  if (IsPinnedMountNamespace(pin)) {
    UniqueFd ns(open(pin.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) return Internal(Errno("open " + pin));
    if (setns(ns.get(), CLONE_NEWNS) != 0) return Internal(Errno("join the mount namespace pinned at " + pin));
  } else {
    // The file the pin is mounted on; an empty one left by a reboot is reused.
    UniqueFd file(open(pin.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
    if (!file.valid()) return Internal(Errno("create " + pin));
    file.reset();
    if (unshare(CLONE_NEWNS) != 0) return Internal(Errno("create the daemon's mount namespace"));
    // Private: nothing made here shows on the host, and the pin (made on the host below) does not
    // propagate back into the namespace it pins, which the kernel refuses.
    if (mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return Internal(Errno("make / private"));
    // The host's named namespaces stay the host's (a copy would hold them alive), ours go in a
    // tmpfs of this namespace.
    if (umount2(kNetnsDir, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return Internal(Errno(std::string("detach ") + kNetnsDir));
    }
    STRATUS_RETURN_IF_ERROR(MakeDirs(kNetnsDir, 0755));
    if (mount("stratus-netns", kNetnsDir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") != 0) {
      return Internal(Errno(std::string("mount a tmpfs at ") + kNetnsDir));
    }
    UniqueFd ns(open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) return Internal(Errno("open the daemon's mount namespace"));
    STRATUS_RETURN_IF_ERROR(RunInMountNamespace(host.get(), [&]() -> Status {
      std::string source = "/proc/self/fd/" + std::to_string(ns.get());
      if (mount(source.c_str(), pin.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        return Internal(Errno("pin the daemon's mount namespace at " + pin));
      }
      return Status::Ok();
    }));
    *created = true;
  }
  std::lock_guard<std::mutex> lock(host_mu);
  host_ns = std::move(host);
  return Status::Ok();
}

Status RunInHostMountNamespace(const std::function<Status()>& fn) {
  std::lock_guard<std::mutex> lock(host_mu);
  if (!host_ns.valid()) return fn();
  return RunInMountNamespace(host_ns.get(), fn);
}

Status RemovePinnedMountNamespace(const std::string& pin) {
  return RunInHostMountNamespace([&]() -> Status {
    if (umount2(pin.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return Internal(Errno("unmount " + pin));
    }
    if (unlink(pin.c_str()) != 0 && errno != ENOENT) return Internal(Errno("remove " + pin));
    return Status::Ok();
  });
}

Result<MountNamespaceTemplatePtr> MountNamespaceTemplate::Create() {
  UniqueFd fd;
  STRATUS_RETURN_IF_ERROR(RunOnOwnThread([&]() -> Status {
    if (unshare(CLONE_NEWNS) != 0) return Internal(Errno("create the instances' mount namespace template"));
    // Private: the instances' mounts must not show on the host, nor the host's later mounts here.
    if (mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return Internal(Errno("make / private"));
    // Named network namespaces are one mount each and grow with the instances; a launch binds
    // its own namespace instead (BindNamespaceFile).
    if (umount2(kNetnsDir, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return Internal(Errno(std::string("detach ") + kNetnsDir));
    }
    fd.reset(open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Internal(Errno("open the template mount namespace"));
    return Status::Ok();
  }));
  return MountNamespaceTemplatePtr(new MountNamespaceTemplate(std::move(fd)));
}

Status MountNamespaceTemplate::Run(const std::function<Status()>& fn) const {
  return RunOnOwnThread([&]() -> Status {
    if (setns(fd_.get(), CLONE_NEWNS) != 0) return Internal(Errno("join the instances' mount namespace template"));
    if (unshare(CLONE_NEWNS) != 0) return Internal(Errno("copy the instances' mount namespace template"));
    return fn();
  });
}

Status BindNamespaceFile(int ns_fd, const std::string& ns_path, const std::string& target) {
  std::string source = "/proc/thread-self/fd/" + std::to_string(ns_fd);
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Internal(Errno("bind namespace " + ns_path + " at " + target));
  }
  return Status::Ok();
}

}  // namespace stratus
