#include "compute/mount_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>


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

}  // namespace

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
