// VpcService: the one place the rules of VPCs, subnets and security groups live, for every front end (REST,
// EC2, CLI through REST). State is in the store (docs/network.md):
//   network/vpcs/<vpc-id>              a Vpc (vpc_model.h's JSON form)
//   network/subnets/<subnet-id>        a Subnet
//   network/security-groups/<sg-id>    a SecurityGroup with all its rules (one record: a rule change is one write)
// Every change is checked in full before one store commit, so a refusal changes nothing. Refusals carry AWS's
// error codes (InvalidVpc.Range, InvalidSubnet.Conflict, InvalidPermission.Duplicate, DependencyViolation, ...).
//
//   VpcService vpcs(store, "local");
//   vpcs.Init(default_vpc);                      // the daemon's default VPC, its subnets and default group
//   auto v = vpcs.CreateVpc("10.0.0.0/16", {});  // with its default security group
//   auto s = vpcs.CreateSubnet({v->vpc_id, "10.0.1.0/24", "locala", false, {}});
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/vpc.h"
#include "store/store.h"
#include "vpc/vpc_model.h"

namespace stratus::vpc {

struct VpcLimits {
  size_t vpcs = 100;                   // VPCs besides the default one (VpcLimitExceeded)
  size_t subnets_per_vpc = 200;        // SubnetLimitExceeded
  size_t groups_per_vpc = 500;         // SecurityGroupLimitExceeded
  size_t rules_per_direction = 60;     // per group, inbound and outbound each (RulesPerSecurityGroupLimitExceeded)
};

struct SubnetRequest {
  std::string vpc_id;
  std::string cidr;
  std::string availability_zone;  // "" = one of the zones, in turn
  bool map_public_ip_on_launch = false;
  std::vector<Tag> tags;
};

struct GroupRequest {
  std::string group_name;
  std::string description;
  std::string vpc_id;  // "" = the default VPC
  std::vector<Tag> tags;
};

// Names a group by id ("sg-...") or, in the default VPC, by name, as EC2's GroupId / GroupName do.
struct GroupRef {
  std::string group_id;
  std::string group_name;
};

class VpcService {
 public:
  VpcService(Store* store, VpcLimits limits = {});

  // Records the daemon's default VPC and its subnets in the model (once: the ids are the daemon's), and gives
  // every VPC without one its default security group. Zones for CreateSubnet are the default subnets' zones.
  Status Init(const VpcInfo& default_vpc);

  // A check run before a subnet or security group is deleted: a non-ok Status (DependencyViolation) refuses it.
  // The instance service registers one for the subnets and groups its instances use.
  using InUseCheck = std::function<Status(const std::string& resource_id)>;
  void AddInUseCheck(InUseCheck check);

  // Told of every committed change of a security group (created, rules changed: `now` is the group; deleted:
  // nullptr), under the service's lock, in commit order, before the call that made it returns: the daemon puts
  // the rules into the kernel there (daemon/security_groups.h), so the answer comes after they apply.
  using GroupListener = std::function<void(const std::string& group_id, const SecurityGroup* now)>;
  void AddGroupListener(GroupListener listener);

  // ---- VPCs
  // A /16../28 IPv4 block (InvalidVpc.Range), overlapping other VPCs allowed; with its default security group.
  Result<Vpc> CreateVpc(const std::string& cidr, const std::vector<Tag>& tags);
  // DependencyViolation while the VPC has subnets or security groups other than its default group;
  // OperationNotPermitted for the default VPC (the daemon's own network).
  Status DeleteVpc(const std::string& vpc_id);
  // Every VPC, or the ones named (InvalidVpcID.NotFound for an unknown one), sorted by id.
  Result<std::vector<Vpc>> DescribeVpcs(const std::vector<std::string>& ids = {}) const;
  Result<Vpc> ModifyVpcAttribute(const std::string& vpc_id, std::optional<bool> enable_dns_support,
                                 std::optional<bool> enable_dns_hostnames);

  // ---- subnets
  // InvalidVpcID.NotFound, InvalidSubnet.Range (not a /16../28 inside the VPC), InvalidSubnet.Conflict
  // (overlaps a subnet of the VPC), InvalidParameterValue (unknown zone).
  Result<Subnet> CreateSubnet(const SubnetRequest& request);
  // DependencyViolation while something uses it; OperationNotPermitted for the default VPC's subnets.
  Status DeleteSubnet(const std::string& subnet_id);
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids = {}) const;
  Result<Subnet> FindSubnet(const std::string& subnet_id) const;
  Result<Subnet> ModifySubnetAttribute(const std::string& subnet_id, std::optional<bool> map_public_ip_on_launch);

  // ---- security groups
  // New groups allow all outbound traffic and no inbound traffic, as in AWS. InvalidGroup.Duplicate for a name
  // the VPC has, InvalidGroup.Reserved for "default", InvalidParameterValue for a name starting "sg-" or longer
  // than 255 characters.
  Result<SecurityGroup> CreateSecurityGroup(const GroupRequest& request);
  // CannotDelete for a VPC's default group; DependencyViolation while another group's rule references it or
  // something uses it.
  Status DeleteSecurityGroup(const GroupRef& ref);
  // By ids and names (names: in the default VPC), or all; sorted by id.
  Result<std::vector<SecurityGroup>> DescribeSecurityGroups(const std::vector<std::string>& ids = {},
                                                            const std::vector<std::string>& names = {}) const;
  Result<SecurityGroup> FindGroup(const GroupRef& ref) const;
  // The groups an interface in `vpc_id` gets for the ids it asks for: the VPC's default group when none, else
  // the ids without repeats, each a group of that VPC (InvalidGroup.NotFound, InvalidParameter for another
  // VPC's), at most 5 (SecurityGroupsPerInterfaceLimitExceeded).
  Result<std::vector<std::string>> ResolveGroups(const std::string& vpc_id, const std::vector<std::string>& ids) const;

  // Adds rules (RulesFromPermissions) to the group, all or none: InvalidPermission.Duplicate when one exists
  // already (or twice in the request), InvalidGroup.NotFound for a referenced group that is not in the group's
  // VPC, RulesPerSecurityGroupLimitExceeded past the limit. Returns the new rules with their ids.
  Result<std::vector<Rule>> AuthorizeRules(const GroupRef& ref, bool egress, const std::vector<Rule>& rules);
  // Removes the rules with the same traffic as `rules` plus the rules `rule_ids` names, all or none:
  // InvalidPermission.NotFound / InvalidSecurityGroupRuleId.NotFound for one the group lacks. Returns them.
  Result<std::vector<Rule>> RevokeRules(const GroupRef& ref, bool egress, const std::vector<Rule>& rules,
                                        const std::vector<std::string>& rule_ids);
  // The rules of the groups named (all groups when empty), or the rules named by id.
  Result<std::vector<Rule>> DescribeRules(const std::vector<std::string>& group_ids,
                                          const std::vector<std::string>& rule_ids) const;

  const VpcLimits& limits() const { return limits_; }

 private:
  Result<std::vector<Vpc>> AllVpcs() const;
  Result<std::vector<Subnet>> AllSubnets() const;
  Result<std::vector<SecurityGroup>> AllGroups() const;
  Result<Vpc> FindVpc(const std::string& vpc_id) const;
  Result<std::string> DefaultVpcId() const;
  Result<KeyValue> GroupRecord(const GroupRef& ref, SecurityGroup* group) const;
  SecurityGroup DefaultGroupOf(const std::string& vpc_id) const;
  Status CheckInUse(const std::string& resource_id) const;
  void Notify(const std::string& group_id, const SecurityGroup* now) const;  // with mu_ held

  Store* store_;
  VpcLimits limits_;
  std::vector<std::string> zones_;  // set by Init
  mutable std::mutex mu_;           // one change at a time: each checks against what the store holds
  std::vector<InUseCheck> in_use_;  // GUARDED_BY(mu_)
  std::vector<GroupListener> group_listeners_;  // GUARDED_BY(mu_)
};

}  // namespace stratus::vpc
