// Direct invocation of CNI plugins (the containernetworking-plugins binaries in /usr/lib/cni), as
// the CNI spec describes: CNI_* variables in the environment, the network configuration as JSON on
// stdin, the result (or an error object) as JSON on stdout. No libcni, no config files on disk.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratus::net {

// Where Debian's containernetworking-plugins installs the plugin binaries.
inline constexpr const char* kDefaultCniPluginDir = "/usr/lib/cni";

// Which container (instance) and namespace a plugin call is about.
struct CniRuntime {
  std::string container_id;     // CNI_CONTAINERID: [A-Za-z0-9][A-Za-z0-9_.-]*
  std::string netns_path;       // CNI_NETNS, e.g. /var/run/netns/NAME; may be empty for DEL
  std::string ifname = "eth0";  // CNI_IFNAME
  std::string args;             // CNI_ARGS, e.g. "IgnoreUnknown=1;IP=10.0.0.5"; empty for none
};

// What an ADD gave the container: the parts of a CNI result Stratus uses.
struct CniResult {
  std::string ip;         // "172.31.0.5"
  int prefix_length = 0;  // 20
  std::string gateway;    // "172.31.0.1"
  std::string mac;        // the container interface's MAC, "2a:bf:4e:be:64:a3"
  std::string host_veth;  // the host end of the veth pair, "veth3ce5e8c7"
  nlohmann::json raw;     // the whole result, as CHECK wants it back in prevResult
};

// Parses a CNI result (spec 0.4/1.0 "interfaces" + "ips") for container interface `ifname`.
// InvalidArgument when it has no IPv4 address.
Result<CniResult> ParseCniResult(const nlohmann::json& result, const std::string& ifname);

// Settings of a "bridge" network with "host-local" IPAM: one subnet, one Linux bridge.
struct BridgeNetworkConfig {
  std::string network_name;  // the CNI network name; host-local keeps leases in ipam_dir/network_name
  std::string bridge;        // Linux bridge name (<= 15 characters)
  std::string subnet;        // "172.31.0.0/20"
  std::string gateway;       // "172.31.0.1": the bridge's address and the instances' default route
  std::string ipam_dir;      // host-local's dataDir
  bool hairpin = true;       // lets an instance reach itself through a NAT on the host (LB)
};

// The CNI network configuration (spec 1.0.0) for `c`: bridge plugin, gateway on the bridge,
// default route through it, no ipMasq (NAT is Stratus's nftables), host-local IPAM.
nlohmann::json BridgeNetworkJson(const BridgeNetworkConfig& c);

// host-local's on-disk store, <data_dir>/<network>/: one file per leased IP holding
// "<container id>\r\n<ifname>", a "lock" file it flock()s, last_reserved_ip.N. These helpers take
// the same lock, so they are safe against concurrent plugin runs.
//
// Releases every lease held by (container_id, ifname) — what host-local's DEL does, without
// starting a plugin. `hint_ip`, when given, is checked first and the directory scan skipped when
// it was the lease. Succeeds when there is nothing to release.
Status ReleaseHostLocalLeases(const std::string& data_dir, const std::string& network,
                              const std::string& container_id, const std::string& ifname,
                              const std::string& hint_ip = "");

// One lease of host-local's store.
struct HostLocalLease {
  std::string ip;
  std::string container_id;
};

// The leases in host-local's store for `network` (empty when there is none), read under its lock.
Result<std::vector<HostLocalLease>> ListHostLocalLeases(const std::string& data_dir,
                                                        const std::string& network);

// Hands the lease of `ip` from container `from_id` to `to_id` (same interface), under host-local's
// lock; the file is replaced atomically. FailedPrecondition when `from_id` does not hold it.
Status ReassignHostLocalLease(const std::string& data_dir, const std::string& network, const std::string& ip,
                              const std::string& from_id, const std::string& to_id,
                              const std::string& ifname);

// Runs CNI plugins from one directory.
class CniInvoker {
 public:
  explicit CniInvoker(std::string plugin_dir = kDefaultCniPluginDir);

  // CNI ADD of `config` (its "type" names the plugin). Returns the parsed result, or the plugin's
  // error ("bridge: ADD failed (code 11): ...").
  Result<CniResult> Add(const nlohmann::json& config, const CniRuntime& rt) const;

  // CNI DEL: releases what ADD made (the IPAM lease; the interface when the netns still exists).
  // Succeeds when there was nothing to delete.
  Status Del(const nlohmann::json& config, const CniRuntime& rt) const;

  // CNI CHECK: verifies the container's networking still matches `prev_result` (from Add).
  Status Check(const nlohmann::json& config, const CniRuntime& rt, const nlohmann::json& prev_result) const;

 private:
  // Runs the plugin with CNI_COMMAND=command and returns its stdout.
  Result<std::string> Invoke(const std::string& command, const nlohmann::json& config,
                             const CniRuntime& rt) const;

  std::string plugin_dir_;
};

}  // namespace stratus::net
