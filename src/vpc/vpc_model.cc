#include "vpc/vpc_model.h"

#include "common/json_field.h"
#include "net/ipv4.h"

namespace stratus::vpc {

using nlohmann::json;

namespace {

constexpr char kBadValue[] = "InvalidParameterValue";

Status BadValue(const std::string& message) { return InvalidArgument(message).WithErrorCode(kBadValue); }

// Addresses a subnet offers instances: AWS reserves the network address, the router (+1), DNS (+2), one for
// future use (+3) and the broadcast address.
int64_t UsableAddresses(const std::string& cidr) {
  auto c = net::ParseCidr(cidr);
  if (!c.ok() || c->prefix > 28) return 0;
  return (int64_t{1} << (32 - c->prefix)) - 5;
}

// "tcp", "6" -> "tcp"; "-1", "all" -> "-1"; anything else refused.
Result<std::string> NormalizeProtocol(std::string p) {
  for (char& ch : p) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
  if (p == "tcp" || p == "6") return std::string("tcp");
  if (p == "udp" || p == "17") return std::string("udp");
  if (p == "icmp" || p == "1") return std::string("icmp");
  if (p == "-1" || p == "all") return std::string("-1");
  if (p.empty()) return InvalidArgument("IpProtocol is required").WithErrorCode("MissingParameter");
  return BadValue("Invalid value '" + p + "' for IP protocol: Stratus supports tcp, udp, icmp and -1 (all)");
}

Status CheckPorts(Rule& r, bool has_from, bool has_to) {
  if (r.protocol == "-1") {
    r.from_port = r.to_port = -1;  // AWS ignores ports for all traffic
    return Status::Ok();
  }
  if (r.protocol == "icmp") {
    if (!has_from) r.from_port = -1;
    if (!has_to) r.to_port = -1;
    if (r.from_port < -1 || r.from_port > 255 || r.to_port < -1 || r.to_port > 255)
      return BadValue("Invalid value for ICMP type or code: each must be -1 (all) or 0..255");
    if (r.from_port == -1) r.to_port = -1;  // every type: every code
    return Status::Ok();
  }
  if (!has_from || !has_to)
    return BadValue("Invalid value for portRange. Must specify both from and to ports with TCP/UDP.");
  if (r.from_port < 0 || r.to_port > 65535 || r.from_port > r.to_port)
    return BadValue("Invalid port range " + std::to_string(r.from_port) + "-" + std::to_string(r.to_port) +
                    ": ports are 0..65535 and FromPort may not exceed ToPort");
  return Status::Ok();
}

json TagsMember(const std::vector<Tag>& tags) { return TagsToJson(tags); }

Result<std::vector<Tag>> TagsOf(const json& j) {
  if (!j.contains("Tags")) return std::vector<Tag>{};
  return TagsFromJson(j["Tags"], false);
}

}  // namespace

json ToJson(const Vpc& v) {
  return {{"VpcId", v.vpc_id},
          {"CidrBlock", v.cidr},
          {"State", "available"},
          {"IsDefault", v.is_default},
          {"InstanceTenancy", "default"},
          {"EnableDnsSupport", v.enable_dns_support},
          {"EnableDnsHostnames", v.enable_dns_hostnames},
          {"Tags", TagsMember(v.tags)}};
}

json ToJson(const Subnet& s) {
  return {{"SubnetId", s.subnet_id},
          {"VpcId", s.vpc_id},
          {"CidrBlock", s.cidr},
          {"AvailabilityZone", s.availability_zone},
          {"AvailabilityZoneId", s.availability_zone},
          {"State", "available"},
          {"AvailableIpAddressCount", UsableAddresses(s.cidr)},
          {"MapPublicIpOnLaunch", s.map_public_ip_on_launch},
          {"DefaultForAz", s.default_for_az},
          {"Tags", TagsMember(s.tags)}};
}

json ToJson(const Rule& r) {
  json j = {{"SecurityGroupRuleId", r.rule_id},
            {"GroupId", r.group_id},
            {"IsEgress", r.egress},
            {"IpProtocol", r.protocol},
            {"FromPort", r.from_port},
            {"ToPort", r.to_port},
            {"Description", r.description}};
  if (!r.cidr.empty()) j["CidrIpv4"] = r.cidr;
  if (!r.referenced_group_id.empty()) j["ReferencedGroupInfo"] = {{"GroupId", r.referenced_group_id}};
  return j;
}

json PermissionsJson(const std::vector<Rule>& rules) {
  json out = json::array();
  for (const Rule& r : rules) {
    json* perm = nullptr;
    for (json& p : out) {
      if (p["IpProtocol"] == r.protocol && p["FromPort"] == r.from_port && p["ToPort"] == r.to_port) perm = &p;
    }
    if (perm == nullptr) {
      out.push_back({{"IpProtocol", r.protocol},
                     {"FromPort", r.from_port},
                     {"ToPort", r.to_port},
                     {"IpRanges", json::array()},
                     {"UserIdGroupPairs", json::array()}});
      perm = &out.back();
    }
    if (!r.cidr.empty()) {
      json range = {{"CidrIp", r.cidr}};
      if (!r.description.empty()) range["Description"] = r.description;
      (*perm)["IpRanges"].push_back(range);
    } else {
      json pair = {{"GroupId", r.referenced_group_id}};
      if (!r.description.empty()) pair["Description"] = r.description;
      (*perm)["UserIdGroupPairs"].push_back(pair);
    }
  }
  return out;
}

json ToJson(const SecurityGroup& g) {
  std::vector<Rule> in, out;
  for (const Rule& r : g.rules) (r.egress ? out : in).push_back(r);
  json rules = json::array();
  for (const Rule& r : g.rules) rules.push_back(ToJson(r));
  return {{"GroupId", g.group_id},
          {"GroupName", g.group_name},
          {"Description", g.description},
          {"VpcId", g.vpc_id},
          {"IpPermissions", PermissionsJson(in)},
          {"IpPermissionsEgress", PermissionsJson(out)},
          {"SecurityGroupRules", rules},
          {"Tags", TagsMember(g.tags)}};
}

Result<Vpc> VpcFromJson(const json& j) {
  if (!j.is_object()) return Internal("a VPC record is not a JSON object");
  Vpc v;
  v.vpc_id = j.value("VpcId", "");
  v.cidr = j.value("CidrBlock", "");
  v.is_default = j.value("IsDefault", false);
  v.enable_dns_support = j.value("EnableDnsSupport", true);
  v.enable_dns_hostnames = j.value("EnableDnsHostnames", false);
  STRATUS_ASSIGN_OR_RETURN(v.tags, TagsOf(j));
  return v;
}

Result<Subnet> SubnetFromJson(const json& j) {
  if (!j.is_object()) return Internal("a subnet record is not a JSON object");
  Subnet s;
  s.subnet_id = j.value("SubnetId", "");
  s.vpc_id = j.value("VpcId", "");
  s.cidr = j.value("CidrBlock", "");
  s.availability_zone = j.value("AvailabilityZone", "");
  s.map_public_ip_on_launch = j.value("MapPublicIpOnLaunch", false);
  s.default_for_az = j.value("DefaultForAz", false);
  STRATUS_ASSIGN_OR_RETURN(s.tags, TagsOf(j));
  return s;
}

Result<SecurityGroup> SecurityGroupFromJson(const json& j) {
  if (!j.is_object()) return Internal("a security group record is not a JSON object");
  SecurityGroup g;
  g.group_id = j.value("GroupId", "");
  g.group_name = j.value("GroupName", "");
  g.description = j.value("Description", "");
  g.vpc_id = j.value("VpcId", "");
  STRATUS_ASSIGN_OR_RETURN(g.tags, TagsOf(j));
  for (const json& r : j.value("SecurityGroupRules", json::array())) {
    Rule rule;
    rule.rule_id = r.value("SecurityGroupRuleId", "");
    rule.group_id = g.group_id;
    rule.egress = r.value("IsEgress", false);
    rule.protocol = r.value("IpProtocol", "-1");
    rule.from_port = r.value("FromPort", -1);
    rule.to_port = r.value("ToPort", -1);
    rule.cidr = r.value("CidrIpv4", "");
    if (r.contains("ReferencedGroupInfo")) rule.referenced_group_id = r["ReferencedGroupInfo"].value("GroupId", "");
    rule.description = r.value("Description", "");
    g.rules.push_back(std::move(rule));
  }
  return g;
}

Result<std::vector<Rule>> RulesFromPermissions(const json& permissions, bool egress) {
  if (!permissions.is_array() || permissions.empty())
    return InvalidArgument("IpPermissions must be a non-empty list").WithErrorCode("MissingParameter");
  std::vector<Rule> rules;
  for (const json& p : permissions) {
    if (!p.is_object()) return BadValue("each of IpPermissions must be an object");
    Rule base;
    base.egress = egress;
    std::string protocol;
    STRATUS_RETURN_IF_ERROR(ReadJsonField(p, "IpProtocol", protocol, kBadValue));
    STRATUS_ASSIGN_OR_RETURN(base.protocol, NormalizeProtocol(protocol));
    std::optional<int> from, to;
    STRATUS_RETURN_IF_ERROR(ReadJsonField(p, "FromPort", from, kBadValue));
    STRATUS_RETURN_IF_ERROR(ReadJsonField(p, "ToPort", to, kBadValue));
    base.from_port = from.value_or(-1);
    base.to_port = to.value_or(-1);
    STRATUS_RETURN_IF_ERROR(CheckPorts(base, from.has_value(), to.has_value()));
    size_t before = rules.size();
    json ranges = p.value("IpRanges", json::array()), pairs = p.value("UserIdGroupPairs", json::array());
    if (!ranges.is_array() || !pairs.is_array()) return BadValue("IpRanges and UserIdGroupPairs must be lists");
    for (const json& range : ranges) {
      Rule r = base;
      if (!range.is_object()) return BadValue("each of IpRanges must be an object");
      STRATUS_RETURN_IF_ERROR(ReadJsonField(range, "CidrIp", r.cidr, kBadValue));
      STRATUS_RETURN_IF_ERROR(ReadJsonField(range, "Description", r.description, kBadValue));
      auto c = net::ParseCidr(r.cidr);
      if (!c.ok()) return BadValue("CIDR block " + r.cidr + " is malformed");
      r.cidr = c->ToString();
      rules.push_back(std::move(r));
    }
    for (const json& pair : pairs) {
      Rule r = base;
      if (!pair.is_object()) return BadValue("each of UserIdGroupPairs must be an object");
      STRATUS_RETURN_IF_ERROR(ReadJsonField(pair, "GroupId", r.referenced_group_id, kBadValue));
      STRATUS_RETURN_IF_ERROR(ReadJsonField(pair, "Description", r.description, kBadValue));
      if (r.referenced_group_id.empty())
        return InvalidArgument("UserIdGroupPairs needs a GroupId").WithErrorCode("MissingParameter");
      rules.push_back(std::move(r));
    }
    if (rules.size() == before)
      return InvalidArgument("a permission needs IpRanges or UserIdGroupPairs").WithErrorCode("MissingParameter");
  }
  for (const Rule& r : rules) {
    if (r.description.size() > 255) return BadValue("a rule description is longer than 255 characters");
  }
  return rules;
}

}  // namespace stratus::vpc
