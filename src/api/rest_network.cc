#include "api/rest_network.h"

#include "api/request_json.h"
#include "api/rest_api.h"

namespace stratus {

using nlohmann::json;

namespace {

constexpr char kBadValue[] = "InvalidParameterValue";

Result<json> Body(const httplib::Request& req) { return JsonObjectBody(req, "MalformedRequest"); }

template <typename T>
Status Field(const json& body, const char* name, T& out) {
  return ReadJsonField(body, name, out, kBadValue);
}

Result<std::vector<Tag>> BodyTags(const json& body) {
  auto tags = TagsFromJson(body.value("Tags", json::array()));
  if (!tags.ok()) return tags.status().WithErrorCode(kBadValue);
  return tags;
}

template <typename T>
json ListJson(const char* member, const std::vector<T>& items) {
  json a = json::array();
  for (const auto& i : items) a.push_back(vpc::ToJson(i));
  return {{member, a}};
}

template <typename T>
void Reply(httplib::Response& res, const Result<T>& r) {
  if (!r.ok()) return ReplyJson(res, r.status());
  ReplyJson(res, vpc::ToJson(*r));
}

// {"Direction": "ingress" | "egress"} (ingress when absent).
Result<bool> EgressOf(const json& body) {
  std::string direction = "ingress";
  STRATUS_RETURN_IF_ERROR(Field(body, "Direction", direction));
  if (direction != "ingress" && direction != "egress")
    return InvalidArgument("Direction must be ingress or egress, not " + direction).WithErrorCode(kBadValue);
  return direction == "egress";
}

void MountVpcs(httplib::Server& server, vpc::VpcService* s) {
  server.Get("/v1/vpcs", [s](const httplib::Request&, httplib::Response& res) {
    auto vpcs = s->DescribeVpcs();
    if (!vpcs.ok()) return ReplyJson(res, vpcs.status());
    ReplyJson(res, ListJson("Vpcs", *vpcs));
  });
  server.Post("/v1/vpcs", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string cidr;
    if (Status st = Field(*body, "CidrBlock", cidr); !st.ok()) return ReplyJson(res, st);
    auto tags = BodyTags(*body);
    if (!tags.ok()) return ReplyJson(res, tags.status());
    Reply(res, s->CreateVpc(cidr, *tags));
  });
  server.Get(R"(/v1/vpcs/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto vpcs = s->DescribeVpcs({req.matches[1].str()});
    if (!vpcs.ok()) return ReplyJson(res, vpcs.status());
    ReplyJson(res, vpc::ToJson(vpcs->front()));
  });
  server.Patch(R"(/v1/vpcs/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::optional<bool> dns_support, dns_hostnames;
    Status st = Field(*body, "EnableDnsSupport", dns_support);
    if (st.ok()) st = Field(*body, "EnableDnsHostnames", dns_hostnames);
    if (!st.ok()) return ReplyJson(res, st);
    Reply(res, s->ModifyVpcAttribute(req.matches[1].str(), dns_support, dns_hostnames));
  });
  server.Delete(R"(/v1/vpcs/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    ReplyStatus(res, s->DeleteVpc(req.matches[1].str()));
  });
}

void MountSubnets(httplib::Server& server, vpc::VpcService* s) {
  server.Get("/v1/subnets", [s](const httplib::Request&, httplib::Response& res) {
    auto subnets = s->DescribeSubnets();
    if (!subnets.ok()) return ReplyJson(res, subnets.status());
    ReplyJson(res, ListJson("Subnets", *subnets));
  });
  server.Post("/v1/subnets", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    vpc::SubnetRequest r;
    Status st = Field(*body, "VpcId", r.vpc_id);
    if (st.ok()) st = Field(*body, "CidrBlock", r.cidr);
    if (st.ok()) st = Field(*body, "AvailabilityZone", r.availability_zone);
    if (st.ok()) st = Field(*body, "MapPublicIpOnLaunch", r.map_public_ip_on_launch);
    if (!st.ok()) return ReplyJson(res, st);
    auto tags = BodyTags(*body);
    if (!tags.ok()) return ReplyJson(res, tags.status());
    r.tags = *tags;
    Reply(res, s->CreateSubnet(r));
  });
  server.Get(R"(/v1/subnets/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    Reply(res, s->FindSubnet(req.matches[1].str()));
  });
  server.Patch(R"(/v1/subnets/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::optional<bool> map_public;
    if (Status st = Field(*body, "MapPublicIpOnLaunch", map_public); !st.ok()) return ReplyJson(res, st);
    Reply(res, s->ModifySubnetAttribute(req.matches[1].str(), map_public));
  });
  server.Delete(R"(/v1/subnets/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    ReplyStatus(res, s->DeleteSubnet(req.matches[1].str()));
  });
}

// A path segment names a group by id ("sg-...") or, in the default VPC, by name.
vpc::GroupRef RefOf(const std::string& segment) {
  return segment.rfind("sg-", 0) == 0 ? vpc::GroupRef{segment, ""} : vpc::GroupRef{"", segment};
}

void MountSecurityGroups(httplib::Server& server, vpc::VpcService* s) {
  server.Get("/v1/security-groups", [s](const httplib::Request&, httplib::Response& res) {
    auto groups = s->DescribeSecurityGroups();
    if (!groups.ok()) return ReplyJson(res, groups.status());
    ReplyJson(res, ListJson("SecurityGroups", *groups));
  });
  server.Post("/v1/security-groups", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    vpc::GroupRequest r;
    Status st = Field(*body, "GroupName", r.group_name);
    if (st.ok()) st = Field(*body, "Description", r.description);
    if (st.ok()) st = Field(*body, "VpcId", r.vpc_id);
    if (!st.ok()) return ReplyJson(res, st);
    auto tags = BodyTags(*body);
    if (!tags.ok()) return ReplyJson(res, tags.status());
    r.tags = *tags;
    Reply(res, s->CreateSecurityGroup(r));
  });
  server.Get(R"(/v1/security-groups/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    Reply(res, s->FindGroup(RefOf(req.matches[1].str())));
  });
  server.Delete(R"(/v1/security-groups/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    ReplyStatus(res, s->DeleteSecurityGroup(RefOf(req.matches[1].str())));
  });
  server.Get(R"(/v1/security-groups/([^/]+)/rules)", [s](const httplib::Request& req, httplib::Response& res) {
    auto g = s->FindGroup(RefOf(req.matches[1].str()));
    if (!g.ok()) return ReplyJson(res, g.status());
    ReplyJson(res, ListJson("SecurityGroupRules", g->rules));
  });
  // {"Direction", "IpPermissions"} -> {"SecurityGroupRules": the new rules}
  server.Post(R"(/v1/security-groups/([^/]+)/authorize)", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto egress = EgressOf(*body);
    if (!egress.ok()) return ReplyJson(res, egress.status());
    auto rules = vpc::RulesFromPermissions(body->value("IpPermissions", json()), *egress);
    if (!rules.ok()) return ReplyJson(res, rules.status());
    auto added = s->AuthorizeRules(RefOf(req.matches[1].str()), *egress, *rules);
    if (!added.ok()) return ReplyJson(res, added.status());
    ReplyJson(res, ListJson("SecurityGroupRules", *added));
  });
  // {"Direction", "IpPermissions" and/or "SecurityGroupRuleIds"} -> {"SecurityGroupRules": the removed rules}
  server.Post(R"(/v1/security-groups/([^/]+)/revoke)", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto egress = EgressOf(*body);
    if (!egress.ok()) return ReplyJson(res, egress.status());
    std::vector<vpc::Rule> rules;
    if (body->contains("IpPermissions")) {
      auto parsed = vpc::RulesFromPermissions((*body)["IpPermissions"], *egress);
      if (!parsed.ok()) return ReplyJson(res, parsed.status());
      rules = *parsed;
    }
    std::vector<std::string> ids;
    if (Status st = Field(*body, "SecurityGroupRuleIds", ids); !st.ok()) return ReplyJson(res, st);
    auto removed = s->RevokeRules(RefOf(req.matches[1].str()), *egress, rules, ids);
    if (!removed.ok()) return ReplyJson(res, removed.status());
    ReplyJson(res, ListJson("SecurityGroupRules", *removed));
  });
}

}  // namespace

void MountNetworkRoutes(httplib::Server& server, vpc::VpcService* vpcs) {
  MountVpcs(server, vpcs);
  MountSubnets(server, vpcs);
  MountSecurityGroups(server, vpcs);
}

}  // namespace stratus
