// Instance mount namespaces: where an instance's root is mounted and its runtime started, so the
// host's mount table does not grow with the number of instances.
//
// A new container copies the whole mount namespace its runtime runs in, and the runtime reads it
// (mountinfo) several times: with each instance's overlay root (and each named network namespace)
// in the host's table, every launch paid for every instance already running. Instead:
//
//   template    made once per daemon: a private copy of the host's namespace without the named
//               network namespaces (/var/run/netns), held only by an fd (nothing on the host).
//   per launch  a short-lived thread joins a fresh copy of the template, mounts the instance's
//               overlay root and binds its network namespace there, and starts the runtime. The
//               container copies that small namespace; when the runtime returns, the thread's
//               copy goes away and the overlay lives on only as the container's root, so it is
//               unmounted by the kernel when the container's last process exits. Nothing needs
//               unmounting on stop, and a daemon killed mid-launch cannot leak a mount.
//
// Thread-safe: Run may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/fd.h"
#include "common/status.h"

namespace stratus {

class MountNamespaceTemplate;
using MountNamespaceTemplatePtr = std::unique_ptr<MountNamespaceTemplate>;

class MountNamespaceTemplate {
 public:
  // Copies the calling process's mount namespace, makes every mount in the copy private (nothing
  // propagates into or out of it) and detaches /var/run/netns there. Internal when the kernel
  // refuses (no CAP_SYS_ADMIN).
  static Result<MountNamespaceTemplatePtr> Create();

  // Runs fn on a new thread that is in a fresh copy of the template (its mounts are private to
  // that thread and whatever it starts) and returns fn's Status. Mounts fn makes vanish with the
  // thread unless a process started by fn still holds them (a container's root).
  Status Run(const std::function<Status()>& fn) const;

 private:
  explicit MountNamespaceTemplate(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // the template namespace (/proc/thread-self/ns/mnt of the thread that made it)
};

// The daemon's own mount namespace: where the named network namespaces (one bind mount each under
// /var/run/netns, net/netns.h) live, so that they are not in the host's mount table either. It is a
// private copy of the host's namespace with a tmpfs of its own at /var/run/netns, pinned by a bind
// mount of its namespace file at a path in the host's namespace (`pin`, in the state dir): one host
// mount per daemon, whatever the number of instances. The pin keeps it, and the namespaces in it,
// across daemon restarts; removing the pin (uninstall) frees it once no process is in it.
//
// Joins the namespace pinned at `pin`; when there is none (first start, or after a reboot left only
// the empty pin file) makes it and pins it. Must be called while the process has one thread (the
// kernel refuses to move a multi-threaded process): the whole process, and every program it
// starts, is in that namespace afterwards. Sets *created to whether it was made now.
Status EnterPinnedMountNamespace(const std::string& pin, bool* created);

// True when `pin` is a pinned mount namespace (a mounted namespace file).
bool IsPinnedMountNamespace(const std::string& pin);

// Runs fn on a new thread in the mount namespace the process was in before
// EnterPinnedMountNamespace (the host's), and returns fn's Status. Runs it in the caller's
// namespace when the process never moved.
Status RunInHostMountNamespace(const std::function<Status()>& fn);

// Unmounts the pin (from the host's namespace) and removes the file. Ok when there is none.
Status RemovePinnedMountNamespace(const std::string& pin);

// Binds the namespace file at `ns_path` (e.g. /var/run/netns/NAME or /proc/PID/ns/net), opened
// as `ns_fd` in the daemon's namespace before joining the template, onto `target` (an existing
// file) in the calling thread's mount namespace.
Status BindNamespaceFile(int ns_fd, const std::string& ns_path, const std::string& target);

}  // namespace stratus
