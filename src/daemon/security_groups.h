// Security groups on the instances' traffic (docs/network.md, "Security groups in nftables"): which service tells
// vpc::SecurityGroupFirewall what, so that the kernel follows the store.
//   - a group's rules change (VpcService, under its lock, right after the store write): the group's chains are
//     replaced before the API answers;
//   - an instance boots (LocalInstanceHost, before its processes start) or changes groups (InstanceService's
//     listener): its interface's chains and set memberships;
//   - an instance's network goes (terminate): its interface leaves the table;
//   - stratusd starts: the whole table from the store (what heals a crash between a store write and nft).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compute/instance_service.h"
#include "vpc/sg_firewall.h"
#include "vpc/vpc_service.h"

namespace stratus {

// The table of daemon `name`: "<name>-sg" (a daemon name has no '-', so it is never another daemon's table).
std::string SecurityGroupTable(const std::string& name);

// A firewall for daemon `name` guarding `subnet_cidrs`, reading unknown groups from `vpcs`.
std::unique_ptr<vpc::SecurityGroupFirewall> MakeFirewall(const std::string& name,
                                                         const std::vector<std::string>& subnet_cidrs,
                                                         const vpc::VpcService* vpcs);

// The interface `instance` has (empty ip: none yet); an instance recorded before groups existed is in its VPC's
// default group.
Result<vpc::FilteredInterface> InterfaceOf(const Instance& instance, const vpc::VpcService* vpcs);

// Group changes and instance changes reach `firewall`. Every pointer must outlive the services' use.
void ConnectFirewall(vpc::SecurityGroupFirewall* firewall, vpc::VpcService* vpcs, InstanceService* instances);

// The whole table from the store: every group, every instance that holds an address.
Status SyncFirewall(vpc::SecurityGroupFirewall* firewall, const vpc::VpcService* vpcs,
                    const InstanceService* instances);

}  // namespace stratus
