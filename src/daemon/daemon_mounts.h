// The daemon's mount namespace (compute/mount_namespace.h, EnterPinnedMountNamespace): stratusd runs
// in a namespace of its own, pinned in its state dir, so that the named network namespaces of its
// instances (one mount each) are not in the host's mount table.
#pragma once

#include <string>

#include "common/status.h"
#include "daemon/daemon.h"

namespace stratus {

// Where the daemon's mount namespace is pinned: STATE_DIR/mntns. Programs that need the
// instances' named network namespaces join it: `nsenter --mount=STATE_DIR/mntns ip netns ...`.
std::string DaemonMountNamespacePin(const DaemonOptions& o);

// Moves the process into the daemon's mount namespace, making it on first start. Named network
// namespaces of this daemon that an older stratusd left on the host are moved into it. Call before
// any thread starts.
Status EnterDaemonMountNamespace(const DaemonOptions& o);

// For `stratusd --uninstall`: joins the daemon's mount namespace when there is one (nothing to do
// otherwise: an older install kept its namespaces on the host). Call before any thread starts.
Status JoinDaemonMountNamespaceIfAny(const DaemonOptions& o);

}  // namespace stratus
