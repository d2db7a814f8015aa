// InstanceRuntime: the host-side lifecycle of instances, below the control plane.
//
// Composes the overlay root (overlay.h), the OCI bundle (oci_spec.h), init's config
// (init/init_config.h) and the OCI runtime binary (runc.h). Instances run detached: they keep
// running when the daemon exits, and a restarted daemon finds them again with List() and State().
//
// Layout of an instance dir (the daemon picks it, e.g. STATE/instances/<id>):
//   root/upper, root/work   the root volume (kept by Stop, removed by Destroy)
//   rootfs/                 overlay mount point, mounted only in the instance's own mount
//                           namespace (mount_namespace.h), never on the host
//   bundle/                 config.json, pid, runtime.log, netns (its network namespace's
//                           mount point in that namespace)
//   run/                    bind-mounted at /run/stratus: init.json, user-data, ready
//   console.log             init's, user data's and the services' stdout/stderr (appended)
//
// Thread-safe: calls for different instances may run concurrently.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "compute/cgroups.h"
#include "compute/instance_types.h"
#include "compute/mount_namespace.h"
#include "compute/oci_spec.h"
#include "compute/runc.h"
#include "init/init_config.h"

namespace stratus {

struct RuntimeOptions {
  std::string name = "stratus";   // the daemon's --name: instance cgroups live under /<name>/
  std::string runc_root;          // runc --root, e.g. /run/stratus/runc (tmpfs: cleared on reboot)
  std::string runsc_root;         // runsc --root; default runc_root + "-runsc"
  std::string init_binary_path;   // the host's static stratus-init
  std::string runc_binary = "runc";
  std::string runsc_binary = "runsc";
  // stratus-console-relay, which caps each instance's console on disk (console.log + console.log.1 at most
  // console_cap_bytes); "" appends the console to console.log without a cap.
  std::string console_relay_binary;
  int64_t console_cap_bytes = 1 << 20;
};

struct RuntimeSpec {
  std::string instance_id;
  std::string hostname;
  std::vector<std::string> layer_dirs;  // image layers, top first
  std::string instance_dir;             // see the layout above
  InstanceType type;
  std::string netns_path;               // "" = a fresh namespace with only loopback
  std::map<std::string, std::string> sysctls;
  std::map<std::string, std::string> env;  // for user data and services
  std::vector<ServiceSpec> services;       // from the image
  std::string user_data;                   // raw bytes; run once per instance when it starts with "#!"
  std::vector<BindMount> extra_mounts;     // host files to show inside (e.g. /etc/resolv.conf)
  std::string runtime = "runc";            // "runc" | "runsc"
  std::chrono::milliseconds stop_timeout{10000};  // init's grace period for services on stop
};

// Paths inside an instance dir.
struct InstancePaths {
  explicit InstancePaths(const std::string& instance_dir);
  std::string dir, root_volume, upper, work, rootfs, bundle, run_dir, console_log, pid_file, netns_file;
};

enum class InstanceStatus { kRunning, kStopped, kAbsent };

struct RuntimeState {
  InstanceStatus status = InstanceStatus::kAbsent;
  int pid = 0;               // host pid of the instance's init when running
  std::string runtime;       // "runc" | "runsc" when known
  std::string instance_dir;  // when known
};

class InstanceRuntime {
 public:
  explicit InstanceRuntime(RuntimeOptions options);

  // Mounts the overlay root (in a mount namespace of the instance's own), writes the bundle, init.json and user data, and starts the instance
  // detached. Returns once its init runs (not once it is ready: see WaitReady). AlreadyExists when
  // the instance runs; InvalidArgument for a bad spec (e.g. a sysctl that is not namespaced).
  // On failure nothing is left mounted or registered with the runtime.
  Status Start(const RuntimeSpec& spec);

  // Waits until the instance's init has started user data and services (its run/ready file
  // appears). Unavailable after `timeout`; FailedPrecondition, with the end of the console log,
  // when the instance exits first.
  Status WaitReady(const std::string& id, std::chrono::milliseconds timeout);

  // Stops a running instance: SIGTERM to its init, up to `timeout` for it to exit, then SIGKILL;
  // deletes the runtime's container (and its cgroups), unmounts the root and removes bundle/ and
  // run/. Keeps the root volume and console.log. OK when already stopped. `instance_dir` is needed
  // only when the runtime no longer knows the instance (the daemon crashed mid-stop).
  Status Stop(const std::string& id, std::chrono::milliseconds timeout, const std::string& instance_dir = "");

  // Stop (with `stop_timeout`) if needed, then removes `instance_dir` entirely.
  Status Destroy(const std::string& id, const std::string& instance_dir,
                 std::chrono::milliseconds stop_timeout = std::chrono::milliseconds(0));

  // What the runtime says about `id`: running (with pid), stopped (its init exited but the
  // instance was not stopped through this class), or absent.
  Result<RuntimeState> State(const std::string& id);

  // Ids of every instance the runtimes know (running or stopped), for reconcile after a restart.
  Result<std::vector<std::string>> List();

  // The state of every instance the runtimes know, keyed by id: List and State in one call
  // (one runtime invocation instead of one per instance).
  Result<std::map<std::string, RuntimeState>> ListStates();

  // CPU and memory counters from the instance's cgroup; NotFound when it is not running.
  Result<CgroupStats> Stats(const std::string& id) const;

  // Removes the daemon's parent cgroup (/<name>) from every hierarchy when it is empty.
  // For tests and uninstall; OK when it does not exist or still has instances.
  Status RemoveCgroupParent() const;

  // Host cgroup directories that exist for `id` (empty after Stop/Destroy): for leak checks.
  std::vector<std::string> CgroupDirsForTest(const std::string& id) const;

 private:
  struct Known {
    std::string instance_dir;
    const OciRuntimeCli* cli = nullptr;
  };

  const OciRuntimeCli* CliFor(const std::string& runtime) const;
  // Finds where `id` lives: the map filled by Start, else the runtimes' state.
  Result<Known> Locate(const std::string& id);
  // False when no runtime can know `id` (a fresh launch), without running the runtime.
  bool MayBeKnown(const std::string& id);
  // The instances' mount namespace template, made on first use.
  Result<const MountNamespaceTemplate*> Mounts();
  // cli.List() run in a copy of the template (see Stop).
  Result<std::vector<OciContainerState>> ListIn(const OciRuntimeCli& cli);
  Status WriteBundle(const RuntimeSpec& spec, const InstancePaths& paths) const;
  Status RunContainer(const RuntimeSpec& spec, const InstancePaths& paths, const OciRuntimeCli& cli) const;
  Status KillAndWait(const OciRuntimeCli& cli, const std::string& id, std::chrono::milliseconds timeout) const;
  Status CleanupHost(const std::string& id, const InstancePaths& paths) const;

  RuntimeOptions options_;
  OciRuntimeCli runc_;
  OciRuntimeCli runsc_;
  CgroupLayout cgroups_;
  std::mutex mu_;
  std::map<std::string, Known> known_;  // GUARDED_BY(mu_)
  MountNamespaceTemplatePtr mount_template_;  // GUARDED_BY(mu_)
};

}  // namespace stratus
