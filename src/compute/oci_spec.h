// Builds the OCI runtime spec (a bundle's config.json) for an instance.
//
// The instance's root is its overlay mount; its process is stratus-init, bind-mounted read-only
// from the host at /sbin/stratus-init; its run dir is bind-mounted read-write at /run/stratus.
// Namespaces: pid, ipc, uts, mount, cgroup and network (joined from a path the network layer
// created, or a fresh empty one). Limits come from the instance type. Capabilities are Docker's
// default set; masked and read-only /proc paths are Docker's too.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "compute/instance_types.h"

namespace stratus {

// Where the host's stratus-init binary appears inside every instance.
inline constexpr char kInitPathInInstance[] = "/sbin/stratus-init";

// A host path bind-mounted into the instance (e.g. the network layer's resolv.conf).
struct BindMount {
  std::string source;       // host path (file or dir)
  std::string destination;  // absolute path inside the instance
  bool read_only = true;
};

struct OciSpecInput {
  std::string instance_id;
  std::string hostname;
  std::string rootfs_path;       // the overlay mount point on the host
  std::string init_binary_path;  // the host's stratus-init
  std::string run_dir;           // host dir bind-mounted at /run/stratus
  std::string netns_path;        // "" = a new, empty network namespace
  std::string cgroups_path;      // CgroupsPathFor(name, id)
  InstanceType type;
  std::map<std::string, std::string> sysctls;
  std::vector<std::string> env;  // extra "K=V" for init's environment
  uint64_t nofile_limit = 0;     // RLIMIT_NOFILE soft and hard; 0 = inherit the runtime's
  std::vector<BindMount> extra_mounts;
};

// The cgroup of an instance: "/<name>/<instance-id>", absolute so that it lands at
// /sys/fs/cgroup/<controller>/<name>/<id> (v1) or /sys/fs/cgroup/<name>/<id> (v2) whatever cgroup
// the daemon itself runs in.
std::string CgroupsPathFor(const std::string& name, const std::string& instance_id);

// OK when every key is a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem,
// fs.mqueue.*) with a sane value; InvalidArgument "sysctl kernel.xyz is not namespaced; only ...
// can be set per instance" otherwise.
Status ValidateSysctls(const std::map<std::string, std::string>& sysctls);

// The config.json document for `input`. InvalidArgument for refused sysctls or missing fields.
Result<nlohmann::json> BuildOciSpec(const OciSpecInput& input);

}  // namespace stratus
