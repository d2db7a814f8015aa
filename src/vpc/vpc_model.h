// The objects of a VPC as the store keeps them and every front end shows them: VPCs, subnets and security
// groups with their rules. The JSON forms use EC2's member names (VpcId, CidrBlock, IpPermissions, ...), so the
// REST API and the EC2 API answer the same shapes; the rule parser reads EC2's IpPermissions, which both front
// ends accept.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"

namespace stratus::vpc {

struct Vpc {
  std::string vpc_id;
  std::string cidr;  // "10.0.0.0/16"; /16 to /28
  bool is_default = false;
  bool enable_dns_support = true;
  bool enable_dns_hostnames = false;  // AWS's default for a VPC that is not the default VPC
  std::vector<Tag> tags;
};

struct Subnet {
  std::string subnet_id;
  std::string vpc_id;
  std::string cidr;  // inside the VPC's, overlapping no other subnet of it
  std::string availability_zone;
  bool map_public_ip_on_launch = false;
  bool default_for_az = false;  // the default VPC's subnets
  std::vector<Tag> tags;
};

// One rule of a security group: one protocol and port range with one source (ingress) or destination (egress),
// either a CIDR or another security group of the same VPC. EC2's IpPermissions group several of these.
struct Rule {
  std::string rule_id;   // "sgr-..."
  std::string group_id;  // the group the rule belongs to
  bool egress = false;
  std::string protocol;  // "tcp", "udp", "icmp" or "-1" (all)
  int from_port = -1;    // tcp/udp: first port; icmp: type (-1: every type); -1 for "-1"
  int to_port = -1;      // tcp/udp: last port; icmp: code (-1: every code); -1 for "-1"
  std::string cidr;      // "0.0.0.0/0"; empty when referenced_group_id is set
  std::string referenced_group_id;
  std::string description;

  // Same traffic (what InvalidPermission.Duplicate and revoking by permission compare): ids and description aside.
  bool SameTraffic(const Rule& o) const {
    return egress == o.egress && protocol == o.protocol && from_port == o.from_port && to_port == o.to_port &&
           cidr == o.cidr && referenced_group_id == o.referenced_group_id;
  }
};

struct SecurityGroup {
  std::string group_id;
  std::string group_name;
  std::string description;
  std::string vpc_id;
  std::vector<Tag> tags;
  std::vector<Rule> rules;  // ingress and egress

  bool IsDefault() const { return group_name == "default"; }
};

// EC2's shapes: Vpc, Subnet (with AvailableIpAddressCount: the block's size less the 5 addresses AWS reserves),
// SecurityGroup (rules grouped into IpPermissions / IpPermissionsEgress) and SecurityGroupRule.
nlohmann::json ToJson(const Vpc& v);
nlohmann::json ToJson(const Subnet& s);
nlohmann::json ToJson(const SecurityGroup& g);
nlohmann::json ToJson(const Rule& r);

// Store records (the same shapes, read back).
Result<Vpc> VpcFromJson(const nlohmann::json& j);
Result<Subnet> SubnetFromJson(const nlohmann::json& j);
Result<SecurityGroup> SecurityGroupFromJson(const nlohmann::json& j);

// EC2's IpPermissions ([{IpProtocol, FromPort, ToPort, IpRanges: [{CidrIp, Description}], UserIdGroupPairs:
// [{GroupId, Description}]}]) -> one Rule per source, checked and normalized: protocols tcp/6, udp/17, icmp/1 and
// -1/all; tcp/udp need 0 <= FromPort <= ToPort <= 65535; icmp types and codes -1..255; CIDRs without host bits.
// The rules have no ids and no group yet. InvalidParameterValue (or MissingParameter) naming the bad value.
Result<std::vector<Rule>> RulesFromPermissions(const nlohmann::json& permissions, bool egress);

// Rules -> EC2's IpPermissions (rules with the same protocol and ports share one permission), in rule order.
nlohmann::json PermissionsJson(const std::vector<Rule>& rules);

}  // namespace stratus::vpc
