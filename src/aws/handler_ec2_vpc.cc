// EC2 VPCs, subnets and security groups over vpc::VpcService: input members to the service's arguments, its
// objects to EC2's shapes (vpc_model.h's JSON forms, which already use EC2's member names), filters.
#include <algorithm>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "vpc/vpc_service.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "ec2";
using Output = StratusAwsHandler::Output;
using vpc::VpcService;

// Input member `name` of shape AttributeBooleanValue ({"Value": bool}); nullopt when absent.
std::optional<bool> BoolAttribute(const json& in, const char* name) {
  if (!in.contains(name) || !in[name].is_object()) return std::nullopt;
  return OptBool(in[name], "Value");
}

bool TagFiltersAccept(const json& in, const std::vector<Tag>& tags) {
  for (const auto& f : in.value("Filters", json::array())) {
    std::string name = Str(f, "Name");
    auto values = StrList(f, "Values");
    if (name == "tag-key") {
      if (!std::any_of(tags.begin(), tags.end(), [&](const Tag& t) { return AnyGlob(values, t.key); })) return false;
    } else if (name.rfind("tag:", 0) == 0) {
      std::string key = name.substr(4);
      if (!std::any_of(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == key && AnyGlob(values, t.value); }))
        return false;
    }
  }
  return true;
}

json WithOwner(json j, const AwsCallContext& ctx) {
  j["OwnerId"] = ctx.account_id;
  return j;
}

Output DescribeVpcs(VpcService& svc, const json& in, const AwsCallContext& ctx) {
  AWS_ASSIGN_OR_RETURN(vpcs, svc.DescribeVpcs(StrList(in, "VpcIds")));
  json out = json::array();
  for (const auto& v : vpcs) {
    if (!FilterAccepts(in, "vpc-id", v.vpc_id) || !FilterAccepts(in, "cidr", v.cidr) ||
        !FilterAccepts(in, "cidr-block", v.cidr) || !FilterAccepts(in, "is-default", v.is_default ? "true" : "false") ||
        !FilterAccepts(in, "state", "available") || !TagFiltersAccept(in, v.tags)) {
      continue;
    }
    json j = WithOwner(vpc::ToJson(v), ctx);
    j["DhcpOptionsId"] = "default";
    out.push_back(std::move(j));
  }
  return json{{"Vpcs", out}};
}

Output DescribeVpcAttribute(VpcService& svc, const json& in) {
  std::string id = Str(in, "VpcId"), attribute = Str(in, "Attribute");
  AWS_ASSIGN_OR_RETURN(vpcs, svc.DescribeVpcs({id}));
  const vpc::Vpc& v = vpcs.front();
  if (attribute == "enableDnsSupport") return json{{"VpcId", id}, {"EnableDnsSupport", {{"Value", v.enable_dns_support}}}};
  if (attribute == "enableDnsHostnames") {
    return json{{"VpcId", id}, {"EnableDnsHostnames", {{"Value", v.enable_dns_hostnames}}}};
  }
  return ParamError(kService, "Value (" + attribute + ") for parameter attribute is invalid: Stratus knows "
                              "enableDnsSupport and enableDnsHostnames");
}

Output DescribeSubnets(VpcService& svc, const json& in, const AwsCallContext& ctx) {
  AWS_ASSIGN_OR_RETURN(subnets, svc.DescribeSubnets(StrList(in, "SubnetIds")));
  json out = json::array();
  for (const auto& s : subnets) {
    if (!FilterAccepts(in, "vpc-id", s.vpc_id) || !FilterAccepts(in, "subnet-id", s.subnet_id) ||
        !FilterAccepts(in, "availability-zone", s.availability_zone) ||
        !FilterAccepts(in, "cidr-block", s.cidr) || !FilterAccepts(in, "state", "available") ||
        !FilterAccepts(in, "default-for-az", s.default_for_az ? "true" : "false") ||
        !FilterAccepts(in, "map-public-ip-on-launch", s.map_public_ip_on_launch ? "true" : "false") ||
        !TagFiltersAccept(in, s.tags)) {
      continue;
    }
    out.push_back(WithOwner(vpc::ToJson(s), ctx));
  }
  return json{{"Subnets", out}};
}

vpc::GroupRef GroupRefOf(const json& in) { return {Str(in, "GroupId"), Str(in, "GroupName")}; }

json GroupJson(const vpc::SecurityGroup& g, const AwsCallContext& ctx) {
  json j = WithOwner(vpc::ToJson(g), ctx);
  for (const char* member : {"IpPermissions", "IpPermissionsEgress"}) {
    for (json& p : j[member]) {
      for (json& pair : p["UserIdGroupPairs"]) pair["UserId"] = ctx.account_id;
    }
  }
  return j;
}

Output DescribeSecurityGroups(VpcService& svc, const json& in, const AwsCallContext& ctx) {
  AWS_ASSIGN_OR_RETURN(groups, svc.DescribeSecurityGroups(StrList(in, "GroupIds"), StrList(in, "GroupNames")));
  json out = json::array();
  for (const auto& g : groups) {
    if (!FilterAccepts(in, "vpc-id", g.vpc_id) || !FilterAccepts(in, "group-id", g.group_id) ||
        !FilterAccepts(in, "group-name", g.group_name) || !FilterAccepts(in, "description", g.description) ||
        !TagFiltersAccept(in, g.tags)) {
      continue;
    }
    out.push_back(GroupJson(g, ctx));
  }
  return json{{"SecurityGroups", out}};
}

// IpPermissions, or the single permission of the older members (IpProtocol, FromPort, ToPort, CidrIp) that
// `aws ec2 authorize-security-group-ingress --protocol --port --cidr` sends.
Result<std::vector<vpc::Rule>> RulesOf(const json& in, bool egress) {
  if (in.contains("IpPermissions")) return vpc::RulesFromPermissions(in["IpPermissions"], egress);
  if (!in.contains("IpProtocol")) return std::vector<vpc::Rule>{};
  json p = {{"IpProtocol", in["IpProtocol"]}};
  if (in.contains("FromPort")) p["FromPort"] = in["FromPort"];
  if (in.contains("ToPort")) p["ToPort"] = in["ToPort"];
  if (in.contains("CidrIp")) p["IpRanges"] = json::array({{{"CidrIp", in["CidrIp"]}}});
  return vpc::RulesFromPermissions(json::array({p}), egress);
}

Output Authorize(VpcService& svc, const json& in, bool egress) {
  AWS_ASSIGN_OR_RETURN(rules, RulesOf(in, egress));
  AWS_ASSIGN_OR_RETURN(added, svc.AuthorizeRules(GroupRefOf(in), egress, rules));
  json out = json::array();
  for (const auto& r : added) out.push_back(vpc::ToJson(r));
  return json{{"Return", true}, {"SecurityGroupRules", out}};
}

Output Revoke(VpcService& svc, const json& in, bool egress) {
  AWS_ASSIGN_OR_RETURN(rules, RulesOf(in, egress));
  AWS_ASSIGN_OR_RETURN(removed, svc.RevokeRules(GroupRefOf(in), egress, rules, StrList(in, "SecurityGroupRuleIds")));
  json out = json::array();
  for (const auto& r : removed) {
    json j = vpc::ToJson(r);
    if (j.contains("ReferencedGroupInfo")) j["ReferencedGroupId"] = j["ReferencedGroupInfo"]["GroupId"];
    out.push_back(std::move(j));
  }
  return json{{"Return", true}, {"RevokedSecurityGroupRules", out}};
}

Output DescribeSecurityGroupRules(VpcService& svc, const json& in, const AwsCallContext& ctx) {
  std::vector<std::string> group_ids;
  for (const auto& f : in.value("Filters", json::array())) {
    if (Str(f, "Name") == "group-id") group_ids = StrList(f, "Values");
  }
  AWS_ASSIGN_OR_RETURN(rules, svc.DescribeRules(group_ids, StrList(in, "SecurityGroupRuleIds")));
  json out = json::array();
  for (const auto& r : rules) {
    json j = vpc::ToJson(r);
    j["GroupOwnerId"] = ctx.account_id;
    if (j.contains("ReferencedGroupInfo")) j["ReferencedGroupInfo"]["UserId"] = ctx.account_id;
    out.push_back(std::move(j));
  }
  return json{{"SecurityGroupRules", out}};
}

}  // namespace

void StratusAwsHandler::RegisterEc2Vpc() {
  auto op = [this](const char* name, std::function<Output(VpcService&, const json&, const AwsCallContext&)> f) {
    ops_[std::string("ec2/") + name] =
        RequireService(s_.vpcs, name, "VPC service", [svc = &s_.vpcs, f](const json& in, const AwsCallContext& ctx) {
          return f(**svc, in, ctx);
        });
  };
  op("CreateVpc", [](VpcService& svc, const json& in, const AwsCallContext& ctx) -> Output {
    AWS_ASSIGN_OR_RETURN(v, svc.CreateVpc(Str(in, "CidrBlock"), TagSpecTags(in, "vpc")));
    return json{{"Vpc", WithOwner(vpc::ToJson(v), ctx)}};
  });
  op("DeleteVpc", [](VpcService& svc, const json& in, const AwsCallContext&) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteVpc(Str(in, "VpcId")));
    return json::object();
  });
  op("DescribeVpcs", DescribeVpcs);
  op("DescribeVpcAttribute", [](VpcService& svc, const json& in, const AwsCallContext&) {
    return DescribeVpcAttribute(svc, in);
  });
  op("ModifyVpcAttribute", [](VpcService& svc, const json& in, const AwsCallContext&) -> Output {
    AWS_RETURN_IF_ERROR(svc.ModifyVpcAttribute(Str(in, "VpcId"), BoolAttribute(in, "EnableDnsSupport"),
                                               BoolAttribute(in, "EnableDnsHostnames"))
                            .status());
    return json::object();
  });
  op("CreateSubnet", [](VpcService& svc, const json& in, const AwsCallContext& ctx) -> Output {
    vpc::SubnetRequest r{Str(in, "VpcId"), Str(in, "CidrBlock"), Str(in, "AvailabilityZone", Str(in, "AvailabilityZoneId")),
                         false, TagSpecTags(in, "subnet")};
    AWS_ASSIGN_OR_RETURN(s, svc.CreateSubnet(r));
    return json{{"Subnet", WithOwner(vpc::ToJson(s), ctx)}};
  });
  op("DeleteSubnet", [](VpcService& svc, const json& in, const AwsCallContext&) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteSubnet(Str(in, "SubnetId")));
    return json::object();
  });
  op("DescribeSubnets", DescribeSubnets);
  op("ModifySubnetAttribute", [](VpcService& svc, const json& in, const AwsCallContext&) -> Output {
    AWS_RETURN_IF_ERROR(svc.ModifySubnetAttribute(Str(in, "SubnetId"), BoolAttribute(in, "MapPublicIpOnLaunch")).status());
    return json::object();
  });
  op("CreateSecurityGroup", [](VpcService& svc, const json& in, const AwsCallContext&) -> Output {
    vpc::GroupRequest r{Str(in, "GroupName"), Str(in, "Description"), Str(in, "VpcId"), TagSpecTags(in, "security-group")};
    AWS_ASSIGN_OR_RETURN(g, svc.CreateSecurityGroup(r));
    return json{{"GroupId", g.group_id}, {"Tags", TagList(g.tags)}};
  });
  op("DeleteSecurityGroup", [](VpcService& svc, const json& in, const AwsCallContext&) -> Output {
    AWS_ASSIGN_OR_RETURN(g, svc.FindGroup(GroupRefOf(in)));
    AWS_RETURN_IF_ERROR(svc.DeleteSecurityGroup({g.group_id, ""}));
    return json{{"Return", true}, {"GroupId", g.group_id}};
  });
  op("DescribeSecurityGroups", DescribeSecurityGroups);
  op("DescribeSecurityGroupRules", DescribeSecurityGroupRules);
  op("AuthorizeSecurityGroupIngress",
     [](VpcService& svc, const json& in, const AwsCallContext&) { return Authorize(svc, in, false); });
  op("AuthorizeSecurityGroupEgress",
     [](VpcService& svc, const json& in, const AwsCallContext&) { return Authorize(svc, in, true); });
  op("RevokeSecurityGroupIngress",
     [](VpcService& svc, const json& in, const AwsCallContext&) { return Revoke(svc, in, false); });
  op("RevokeSecurityGroupEgress",
     [](VpcService& svc, const json& in, const AwsCallContext&) { return Revoke(svc, in, true); });
}

}  // namespace stratus::aws
