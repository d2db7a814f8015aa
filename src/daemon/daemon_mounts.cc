#include "daemon/daemon_mounts.h"

#include <fcntl.h>

#include <utility>
#include <vector>

#include "common/fd.h"
#include "common/files.h"
#include "common/log.h"
#include "compute/mount_namespace.h"
#include "net/netns.h"

namespace stratus {

std::string DaemonMountNamespacePin(const DaemonOptions& o) { return o.state_dir + "/mntns"; }

Status EnterDaemonMountNamespace(const DaemonOptions& o) {
  STRATUS_RETURN_IF_ERROR(MakeDirs(o.state_dir, 0700));
  // Named namespaces an older stratusd kept on the host, held by fd across the move.
  std::vector<std::pair<std::string, UniqueFd>> legacy;
  auto names = net::ListNetns(o.name + "-");
  if (!names.ok()) return names.status();
  for (const std::string& n : *names) {
    UniqueFd fd(open(net::NetnsPath(n).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.valid()) legacy.emplace_back(n, std::move(fd));
  }
  bool created = false;
  STRATUS_RETURN_IF_ERROR(EnterPinnedMountNamespace(DaemonMountNamespacePin(o), &created));
  if (created) LogInfo("made the daemon's mount namespace", {{"pin", DaemonMountNamespacePin(o)}});
  for (auto& [name, fd] : legacy) {
    if (!net::NetnsExists(name)) STRATUS_RETURN_IF_ERROR(net::NameNetns(fd.get(), name));
    STRATUS_RETURN_IF_ERROR(RunInHostMountNamespace([&] { return net::DeleteNetns(name); }));
    LogInfo("moved a network namespace off the host's mount table", {{"netns", name}});
  }
  return Status::Ok();
}

Status JoinDaemonMountNamespaceIfAny(const DaemonOptions& o) {
  if (!IsPinnedMountNamespace(DaemonMountNamespacePin(o))) return Status::Ok();
  bool created = false;
  return EnterPinnedMountNamespace(DaemonMountNamespacePin(o), &created);
}

}  // namespace stratus
