#include "daemon/security_groups.h"

#include "common/log.h"

namespace stratus {

std::string SecurityGroupTable(const std::string& name) { return name + "-sg"; }

std::unique_ptr<vpc::SecurityGroupFirewall> MakeFirewall(const std::string& name,
                                                         const std::vector<std::string>& subnet_cidrs,
                                                         const vpc::VpcService* vpcs) {
  vpc::FirewallOptions o;
  o.table = SecurityGroupTable(name);
  o.guarded_cidrs = subnet_cidrs;
  o.lookup = [vpcs](const std::string& id) { return vpcs->FindGroup({id, ""}); };
  return std::make_unique<vpc::SecurityGroupFirewall>(std::move(o));
}

Result<vpc::FilteredInterface> InterfaceOf(const Instance& i, const vpc::VpcService* vpcs) {
  vpc::FilteredInterface f{i.instance_id, i.private_ip, i.security_group_ids};
  if (f.group_ids.empty()) {
    STRATUS_ASSIGN_OR_RETURN(f.group_ids, vpcs->ResolveGroups(i.vpc_id, {}));
  }
  return f;
}

namespace {

bool HoldsAddress(const Instance& i) {
  return !i.private_ip.empty() && i.state != InstanceState::kTerminated && i.state != InstanceState::kShuttingDown;
}

}  // namespace

void ConnectFirewall(vpc::SecurityGroupFirewall* firewall, vpc::VpcService* vpcs, InstanceService* instances) {
  vpcs->AddGroupListener([firewall](const std::string& group_id, const vpc::SecurityGroup* now) {
    Status st = now != nullptr ? firewall->SetGroup(*now) : firewall->RemoveGroup(group_id);
    // The store has the change; the next start's Sync puts it in the kernel.
    if (!st.ok()) LogError("security group not applied", {{"group", group_id}, {"error", st.ToString()}});
  });
  instances->AddListener([firewall, vpcs](const Instance& i) {
    // Terminate reaches the firewall through the host (the interface leaves with the network); here: the groups
    // of an instance that has its address (ModifyInstanceAttribute), which SetInterface skips when unchanged.
    if (!HoldsAddress(i)) return;
    auto iface = InterfaceOf(i, vpcs);
    Status st = iface.ok() ? firewall->SetInterface(*iface) : iface.status();
    if (!st.ok()) LogError("security groups of an instance not applied", {{"instance", i.instance_id}, {"error", st.ToString()}});
  });
}

Status SyncFirewall(vpc::SecurityGroupFirewall* firewall, const vpc::VpcService* vpcs,
                    const InstanceService* instances) {
  STRATUS_ASSIGN_OR_RETURN(auto groups, vpcs->DescribeSecurityGroups());
  STRATUS_ASSIGN_OR_RETURN(auto all, instances->Describe({}));
  std::vector<vpc::FilteredInterface> ifaces;
  for (const Instance& i : all) {
    if (!HoldsAddress(i)) continue;
    STRATUS_ASSIGN_OR_RETURN(auto f, InterfaceOf(i, vpcs));
    ifaces.push_back(std::move(f));
  }
  return firewall->Sync(groups, ifaces);
}

}  // namespace stratus
