// The VPC an instance network lives in, as the API front ends and the metadata service describe it: the
// daemon creates it once (daemon/vpc.h) and hands this description to the services that show it.
#pragma once

#include <string>
#include <vector>

namespace stratus {

struct SubnetInfo {
  std::string subnet_id;
  std::string cidr;
  std::string availability_zone;
};

struct VpcInfo {
  std::string vpc_id;
  std::string cidr;
  std::vector<SubnetInfo> subnets;
};

}  // namespace stratus
