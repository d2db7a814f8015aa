// The host side of instance networking for one stratusd: a Linux bridge per subnet, an nftables
// table of its own (outbound NAT, the metadata DNAT, instances kept off the host's ports), and per
// instance a network namespace wired to its subnet's bridge by the CNI bridge + host-local plugins.
//
// Every host resource carries the daemon's name, so several daemons can run side by side:
//   bridges   <name>br0, <name>br1, ...        (one per subnet, in config order)
//   netns     <name>-<instance_id>             (/var/run/netns; instance ids are "i-" + hex)
//   nftables  tables inet <name> and bridge <name> (never touches other tables or flushes the ruleset)
//   IPAM      <state_dir>/ipam/<subnet-id>/<name>/  (host-local leases, one file per IP, one store
//             per subnet so each subnet's allocation rotates through its range before reusing one)
//   MACs      02:42:<the 4 address bytes> on every instance interface (net/neighbour.h)
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "net/cni.h"
#include "net/ipv4.h"

namespace stratus::net {

struct SubnetSpec {
  std::string subnet_id;  // "subnet-0a1b..."
  std::string cidr;       // "172.31.0.0/20"; inside the VPC, not overlapping another subnet
};

struct HostNetworkConfig {
  std::string name;                 // 1..10 characters [a-z0-9]: prefix of every host resource
  std::string vpc_cidr;             // "172.31.0.0/16"
  std::vector<SubnetSpec> subnets;  // 1..100
  std::string state_dir;            // a directory this object owns files under (IPAM leases)
  int api_port = 0;                 // the daemon's API port: instances never reach it (0: none)
  int metadata_port = 0;            // where the metadata service listens, on MetadataAddress();
                                    // required by Setup (Teardown-only objects may leave it 0)
  std::string cni_plugin_dir = kDefaultCniPluginDir;
  // Namespaces kept connected ahead of demand, per subnet (0: none). Attach without a requested
  // address takes one when ready (~1 ms instead of a CNI ADD); a background thread refills.
  int pool_size = 0;
};

// An instance's place on the network, as Attach made it.
struct Attachment {
  std::string instance_id;
  std::string subnet_id;
  std::string ip;          // private IPv4, "172.31.0.5"
  int prefix_length = 0;   // of the subnet
  std::string gateway;     // "172.31.0.1"
  std::string mac;         // of the instance's eth0
  std::string netns_path;  // "/var/run/netns/<name>-<instance_id>": the OCI spec's network namespace
  std::string host_veth;   // host end of the instance's veth, on the subnet bridge
};

// Traffic of an instance's interface as CloudWatch names it: "in" is what the instance received.
struct InterfaceCounters {
  uint64_t network_in_bytes = 0;
  uint64_t network_out_bytes = 0;
  uint64_t network_in_packets = 0;
  uint64_t network_out_packets = 0;
};

class HostNetwork {
 public:
  // Validates the config (name, CIDRs inside the VPC and disjoint, ports) and returns an object that
  // has not touched the host yet. InvalidArgument with the offending value otherwise.
  static Result<std::unique_ptr<HostNetwork>> Create(HostNetworkConfig config);

  ~HostNetwork();
  HostNetwork(const HostNetwork&) = delete;
  HostNetwork& operator=(const HostNetwork&) = delete;

  // Creates (or repairs) the bridges, the IPAM directory and the nftables tables, and turns on
  // net.ipv4.ip_forward. Idempotent: run it at every daemon start, before Attach and before the
  // metadata service binds MetadataAddress(). FailedPrecondition when another interface (another
  // daemon's bridge) already has addresses in one of the subnets.
  Status Setup();

  // Creates the namespace <name>-<instance_id> and gives it an eth0 on the subnet's bridge with the
  // next free address (or `requested_ip`, for reconcile; FailedPrecondition when another instance
  // holds it). NotFound for an unknown subnet, AlreadyExists when the instance is attached. On any
  // failure nothing is left behind. Safe to call concurrently for different instances.
  // Equivalent to CreateNamespace + Connect.
  Result<Attachment> Attach(const std::string& instance_id, const std::string& subnet_id,
                            const std::string& requested_ip = "");

  // The two halves of Attach, so a launch can overlap them with the runtime: CreateNamespace
  // (< 1 ms) returns the namespace path for the OCI spec; `runc create` and Connect (the CNI ADD,
  // tens of ms) can then run in parallel, and `runc start` follows both. AlreadyExists when the
  // namespace exists.
  Result<std::string> CreateNamespace(const std::string& instance_id);

  // CNI ADD into the namespace CreateNamespace made. NotFound when it does not exist. On failure the
  // namespace stays (Detach removes it and any lease).
  Result<Attachment> Connect(const std::string& instance_id, const std::string& subnet_id,
                             const std::string& requested_ip = "");

  // For an instance whose namespace survived (a start after a stop, a boot after a daemon restart):
  // what Inspect reads, with the address published again (PublishAddress). NotFound when the
  // instance is not attached.
  Result<Attachment> Reattach(const std::string& instance_id);

  // Gives `ip`, already configured on interface `ifname` of the namespace at `netns_path`, its
  // layer-2 identity, so that nothing cached about an earlier holder of the address can misdirect
  // traffic: for the interface's primary address its MAC becomes MacForIpv4(ip); then the host's
  // neighbour entry for `ip` on the subnet's bridge is replaced with the interface's MAC. Every path
  // that puts an address on an interface calls it (Attach and Connect, the pool's claim, Reattach;
  // secondary interfaces and moved secondary addresses, with primary = false, must too). Returns
  // the interface's MAC. `current_mac`, when the caller knows the interface's MAC (a pooled namespace
  // recorded it when it was made), spares entering the namespace when nothing there changes: under
  // load a thread for setns costs milliseconds of scheduling, and the pool's claim is on the launch
  // path. InvalidArgument when `ip` is in none of the subnets; NotFound when the namespace or the
  // interface does not exist.
  Result<std::string> PublishAddress(const std::string& netns_path, const std::string& ifname, const std::string& ip,
                                     bool primary = true, const std::string& current_mac = "");

  // The reverse, for every path that takes an address off an interface (Detach, the end of a pooled
  // namespace): removes the host's neighbour entry for `ip`. Succeeds when there is none.
  Status WithdrawAddress(const std::string& ip);

  // Releases the instance's address and deletes its namespace; call it after the instance's
  // processes are gone. The veth pair goes with the namespace (the kernel destroys it in the
  // background, within milliseconds, once no process is left inside) and its anti-spoofing binding
  // is removed by a background thread. Succeeds when some or all of it is already gone. Takes
  // ~1-3 ms: no plugin runs (the lease is removed as host-local's DEL does it, under its lock).
  Status Detach(const std::string& instance_id);

  // Instance ids that have a namespace of this daemon, sorted: what reconcile compares with the store.
  // Namespaces named <name>-X where X is not an instance id are ignored.
  Result<std::vector<std::string>> ListAttached() const;

  // What an attached instance has, read from inside its namespace (for reconcile after a restart):
  // ip, prefix_length, mac, subnet_id and gateway (from the subnet holding the ip), netns_path,
  // host_veth. NotFound when the instance is not attached or has no address.
  Result<Attachment> Inspect(const std::string& instance_id) const;

  // Inspect(instance_id).ip
  Result<std::string> InstanceIp(const std::string& instance_id) const;

  // Traffic counters of the instance's eth0 (network_in = what the instance received). NotFound
  // when the instance is not attached.
  Result<InterfaceCounters> Counters(const std::string& instance_id) const;

  // Counters of many instances in one read of the host's /proc/net/dev, from the host ends of their
  // veths (what the host end sends, eth0 received): no namespace to enter per instance, which is
  // what a per-second collector at a thousand instances cannot afford. Each instance's host veth is
  // learnt once (Inspect) and kept while it is asked for. Instances not attached are absent.
  std::map<std::string, InterfaceCounters> CountersOf(const std::vector<std::string>& instance_ids) const;

  // Removes everything Setup and Attach made: every namespace of this daemon (ListAttached), the
  // bridges (and with them their neighbour entries), both nftables tables and the IPAM directory. Idempotent. For tests and
  // `stratusd --uninstall`.
  Status Teardown();

  // Where the metadata service must listen: the first subnet's gateway address (port
  // config().metadata_port). Requests to 169.254.169.254:80 from instances are DNATed there and
  // keep the instance's source address.
  std::string MetadataAddress() const;

  // "<name>-<instance_id>"
  std::string NetnsName(const std::string& instance_id) const;
  // "<name>br<index>"
  std::string BridgeName(size_t subnet_index) const;
  // The nftables tables Setup installs (inet: NAT, DNAT, input filter; bridge: anti-spoofing with
  // the port bindings of `live` instances), for logs and tests.
  std::string NftRuleset(const std::vector<Attachment>& live = {}) const;

  const HostNetworkConfig& config() const { return config_; }

  // Blocks until the port bindings of detached instances are gone from nftables (Detach removes
  // them in the background). For tests.
  void WaitForUnbindsForTest();

  // Waits at most `timeout` for every subnet's pool to be full; false on timeout. For tests.
  bool WaitForPoolForTest(std::chrono::milliseconds timeout);
  // How many Attach calls were served from the pool. For tests.
  size_t PoolHitsForTest();

 private:
  // A namespace connected ahead of demand: container id and namespace name are "pool-<hex>".
  struct PoolEntry {
    std::string pool_id;
    Attachment attachment;  // instance_id and netns_path empty
  };

  struct Subnet {
    SubnetSpec spec;
    Ipv4Cidr cidr;
    std::string bridge;
    std::string gateway;
  };

  explicit HostNetwork(HostNetworkConfig config);
  // FailedPrecondition when an interface other than our bridges has an address in one of our
  // subnets: its routes would steal our instances' traffic.
  Status CheckNoOverlap() const;
  Status SetupBridges() const;
  nlohmann::json CniConfig(const Subnet& subnet) const;
  const Subnet* FindSubnet(const std::string& subnet_id) const;
  std::string IpamRoot() const;                   // <state_dir>/ipam
  std::string IpamDir(const Subnet& subnet) const;  // host-local's dataDir for the subnet
  // Releases the leases of `container_id`: in the store of `ip`'s subnet when `ip` is given and in
  // one, else in every subnet's store.
  Status ReleaseLeases(const std::string& container_id, const std::string& ip = "") const;
  // Moves the leases of the one store all subnets shared before (<state_dir>/ipam/<name>/) into
  // their subnets' stores, so instances attached before an upgrade keep their addresses.
  void MigrateSharedLeaseStore() const;
  const Subnet* SubnetOf(const std::string& ip) const;
  // Adds (or removes) host_veth and its (host_veth, ip) binding to the anti-spoofing sets.
  Status BindPort(const std::string& host_veth, const std::string& ip, bool add) const;
  // Queues a BindPort(..., false) for the background thread: deleting set elements waits for an
  // RCU grace period (~10 ms here), which a terminate need not wait for.
  void UnbindLater(std::string host_veth, std::string ip);
  void UnbindLoop();
  // CNI ADD of container `container_id` into namespace `netns_name`, plus its port binding.
  Result<Attachment> AddToNamespace(const std::string& container_id, const std::string& netns_name,
                                    const Subnet& subnet, const std::string& requested_ip);
  // Releases the leases of containers that have no namespace (left by a crash or a reboot).
  void ReleaseOrphanLeases();

  // The pool (host_network_pool.cc).
  void StartPool();
  void StopPool();  // joins the refill thread and destroys the ready entries
  void PoolLoop();
  Result<PoolEntry> MakePoolEntry(const Subnet& subnet);
  void DestroyPoolEntry(const PoolEntry& e);
  Status ClaimPoolEntry(const PoolEntry& e, const std::string& instance_id);
  // A ready namespace on `subnet_id` handed to `instance_id`; nullopt when none is ready.
  std::optional<Attachment> TakeFromPool(const std::string& instance_id, const std::string& subnet_id);
  void RemovePoolNamespaces();
  // Destroys the ready pool entry holding `ip`; true when there was one. Called with refills paused
  // (PoolPause), when host-local refuses a requested address: a daemon restarted after a reboot
  // refills its pool before reconcile asks for the addresses its instances had.
  bool EvictPooledAddress(const std::string& ip);
  // While one exists, the pool takes no new address: it waits for a refill in progress to finish
  // and holds further ones until destroyed. Attach with a requested address holds one.
  class PoolPause {
   public:
    explicit PoolPause(HostNetwork* hn);
    ~PoolPause();
    PoolPause(const PoolPause&) = delete;
    PoolPause& operator=(const PoolPause&) = delete;

   private:
    HostNetwork* hn_;
  };

  HostNetworkConfig config_;
  Ipv4Cidr vpc_;
  std::vector<Subnet> subnets_;
  CniInvoker cni_;

  std::mutex unbind_mu_;
  std::condition_variable unbind_cv_;
  std::deque<std::pair<std::string, std::string>> unbind_queue_;  // GUARDED_BY(unbind_mu_)
  bool unbind_busy_ = false;                                      // GUARDED_BY(unbind_mu_)
  bool stopping_ = false;                                         // GUARDED_BY(unbind_mu_)
  std::thread unbind_thread_;                                     // started by the first UnbindLater

  mutable std::mutex veths_mu_;
  mutable std::map<std::string, std::string> veths_;  // instance id -> host veth (CountersOf); GUARDED_BY(veths_mu_)

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::map<std::string, std::deque<PoolEntry>> pool_;  // by subnet id; GUARDED_BY(pool_mu_)
  bool pool_stopping_ = false;                         // GUARDED_BY(pool_mu_)
  size_t pool_hits_ = 0;                               // GUARDED_BY(pool_mu_)
  bool pool_filling_ = false;                          // GUARDED_BY(pool_mu_): a CNI ADD running
  int pool_pauses_ = 0;                                // GUARDED_BY(pool_mu_): live PoolPause objects
  std::thread pool_thread_;
};

}  // namespace stratus::net
