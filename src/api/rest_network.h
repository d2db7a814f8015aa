// The REST routes of VPCs, subnets and security groups (docs/api.md), over vpc::VpcService. Bodies and answers
// use EC2's member names (CidrBlock, VpcId, IpPermissions, ...).
#pragma once

#include <httplib.h>

#include "vpc/vpc_service.h"

namespace stratus {

void MountNetworkRoutes(httplib::Server& server, vpc::VpcService* vpcs);

}  // namespace stratus
