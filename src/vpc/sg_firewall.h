// SecurityGroupFirewall: security groups enforced by the kernel, in one nftables table of the daemon's own
// (docs/network.md, "Security groups in nftables").
//
// Instances are known by their private address, not by a port of a bridge: the host's bridges make sure that an
// address is only ever used by its interface (anti-spoofing in net::HostNetwork), so matching on addresses filters
// per interface, and works the same whether a peer is on the same bridge, on another subnet's bridge, or (later)
// behind an overlay on another host. Bridged traffic reaches the inet forward hook through br_netfilter
// (bridge-nf-call-iptables, which net::HostNetwork::Setup turns on); routed traffic passes it anyway.
//
// Every change is one `nft -f` transaction: the kernel has either the old or the new rules, never a mixture.
// Connections conntrack already knows are accepted first, so return traffic passes and a rule change leaves
// established flows alone (as AWS's tracked connections); a revoked rule stops new connections at once.
//
// The firewall keeps what it applied; a change that nft refuses leaves both the kernel and that record as they
// were. Sync rebuilds the whole table from the store's truth (the daemon calls it at start), which is how a crash
// between a store write and its nft transaction heals.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "vpc/vpc_model.h"

namespace stratus::vpc {

// One filtered interface: an instance's private address and its 1..5 groups.
struct FilteredInterface {
  std::string instance_id;
  std::string ip;
  std::vector<std::string> group_ids;

  bool operator==(const FilteredInterface& o) const {
    return instance_id == o.instance_id && ip == o.ip && group_ids == o.group_ids;
  }
};

struct FirewallOptions {
  std::string table;                      // "<daemon name>-sg": table inet <table>
  std::vector<std::string> guarded_cidrs;  // the subnets whose addresses are instances': unknown ones are dropped
  // Applies one nft script as one transaction; default: `nft -f -`. Tests replace it.
  std::function<Status(const std::string& script)> apply;
  // A group the firewall has not been given yet (an interface names it): the daemon reads the store.
  std::function<Result<SecurityGroup>(const std::string& group_id)> lookup;
};

class SecurityGroupFirewall {
 public:
  explicit SecurityGroupFirewall(FirewallOptions options);

  // Replaces the whole table (delete and re-create in one transaction) with these groups and interfaces plus the
  // interfaces set since construction and not removed (launches that raced the start-up). Until the first Sync
  // the other calls only record: the kernel keeps the table of the previous run meanwhile.
  Status Sync(const std::vector<SecurityGroup>& groups, const std::vector<FilteredInterface>& interfaces);

  // A group's rules changed (or it is new): its two chains are flushed and refilled in one transaction, which
  // reaches every interface in the group at once.
  Status SetGroup(const SecurityGroup& group);
  // A deleted group (no interface uses it, no rule references it): its chains and member set go.
  Status RemoveGroup(const std::string& group_id);

  // An interface comes up or changes groups: its chains jump to its groups' chains, its address joins their
  // member sets (so rules naming those groups admit it). Nothing runs when nothing changed.
  Status SetInterface(const FilteredInterface& iface);
  // The interface goes (terminate): its address leaves every set and map, its chains go. Ok when unknown.
  Status RemoveInterface(const std::string& instance_id);

  // The script Sync applies, for tests and logs.
  std::string RenderTable() const;
  // `delete table` (ok when absent), for uninstall.
  static Status DeleteTable(const std::string& table);

 private:
  std::string RenderTableLocked() const;
  std::string GroupChainsScript(const SecurityGroup& g) const;
  std::string InterfaceScript(const FilteredInterface& iface, const FilteredInterface* before) const;
  std::string RemoveInterfaceScript(const FilteredInterface& iface) const;
  // Makes sure the firewall has each group (lookup for unknown ones); the script creating them is appended.
  Status KnowGroups(const std::vector<std::string>& ids, std::string* script);
  Status Apply(const std::string& script) const;

  FirewallOptions options_;
  mutable std::mutex mu_;                              // one transaction at a time, in the order of the calls
  bool synced_ = false;                                // GUARDED_BY(mu_)
  std::map<std::string, SecurityGroup> groups_;        // GUARDED_BY(mu_)
  std::map<std::string, FilteredInterface> ifaces_;    // by instance id; GUARDED_BY(mu_)
  std::set<std::string> removed_before_sync_;          // GUARDED_BY(mu_)
};

// The nftables match of one rule, without its verdict ("ip saddr @m-sg-1 tcp dport 5432"); "" matches all.
std::string RuleMatch(const Rule& rule);

}  // namespace stratus::vpc
