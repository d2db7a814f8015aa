// stratus vpc create|list|show|modify|delete, stratus subnet create|list|show|modify|delete and
// stratus sg create|list|show|rules|authorize|revoke|delete
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

namespace {

std::string OnOff(const std::string& v) { return v == "on" || v == "true" ? "true" : "false"; }

// Sends a create request, then shows the object it made with details().
int CreateAndShow(CliContext& ctx, const Result<ApiRequest>& request, const std::string& id_member,
                  const std::string& path, const Columns& details) {
  if (!request.ok()) return ctx.UsageError(request.status());
  auto created = ctx.Call(*request);
  if (!created.ok()) return ctx.Failure(created.status());
  return ctx.ShowEach({MakeRequest("GET", path + EscapePathSegment(created->value(id_member, "")))}, "", details);
}

void RegisterVpc(CLI::App& root, CliContext& ctx) {
  CLI::App* vpc = AddNoun(root, "vpc", "Virtual networks");
  auto c = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
  CLI::App* create = vpc->add_subcommand("create", "Create a VPC (a /16 to /28 block; blocks of VPCs may overlap)");
  create->add_option("CIDR", c->first, "IPv4 block, e.g. 10.0.0.0/16")->required();
  create->add_option("--tag", c->second, "tag KEY=VALUE (repeatable)")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, c] {
    return CreateAndShow(ctx, CreateVpcRequest(c->first, c->second), "VpcId", "/v1/vpcs/", VpcColumns());
  });
  OnSelected(vpc->add_subcommand("list", "List VPCs"), ctx,
             [&ctx] { return ctx.List(ListVpcsRequest(), "Vpcs", VpcColumns()); });
  AddShowEach(vpc, ctx,
              {"show", "Show VPCs", "ID", "VPC ids",
               [](const std::string& id) { return MakeRequest("GET", "/v1/vpcs/" + EscapePathSegment(id)); }},
              "", VpcColumns);
  AddSendEach(vpc, ctx,
              {"delete", "Delete VPCs (their subnets and security groups first)", "ID", "VPC ids",
               [](const std::string& id) { return MakeRequest("DELETE", "/v1/vpcs/" + EscapePathSegment(id)); }});
  struct ModifyArgs {
    std::string id, dns_support, dns_hostnames;
  };
  auto m = std::make_shared<ModifyArgs>();
  CLI::App* modify = vpc->add_subcommand("modify", "Change a DNS attribute of a VPC");
  modify->add_option("ID", m->id, "VPC id")->required();
  auto on_off = CLI::IsMember({"on", "off", "true", "false"});
  modify->add_option("--dns-support", m->dns_support, "on or off")->check(on_off);
  modify->add_option("--dns-hostnames", m->dns_hostnames, "on or off")->check(on_off);
  OnSelected(modify, ctx, [&ctx, m]() -> int {
    Json body = Json::object();
    if (!m->dns_support.empty()) body["EnableDnsSupport"] = OnOff(m->dns_support) == "true";
    if (!m->dns_hostnames.empty()) body["EnableDnsHostnames"] = OnOff(m->dns_hostnames) == "true";
    return ctx.ShowEach({MakeRequest("PATCH", "/v1/vpcs/" + EscapePathSegment(m->id), body)}, "", VpcColumns());
  });
}

void RegisterSubnet(CLI::App& root, CliContext& ctx) {
  CLI::App* subnet = AddNoun(root, "subnet", "Subnets of the VPCs");
  auto a = std::make_shared<SubnetArgs>();
  CLI::App* create = subnet->add_subcommand("create", "Create a subnet in a VPC");
  create->add_option("--vpc", a->vpc, "VPC id")->required();
  create->add_option("--cidr", a->cidr, "a /16 to /28 block inside the VPC's")->required();
  create->add_option("--zone", a->zone, "availability zone (default: one in turn)");
  create->add_flag("--public", a->public_ip_on_launch, "give instances launched here a public address");
  create->add_option("--tag", a->tags, "tag KEY=VALUE (repeatable)")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, a] {
    return CreateAndShow(ctx, CreateSubnetRequest(*a), "SubnetId", "/v1/subnets/", SubnetColumns());
  });
  OnSelected(subnet->add_subcommand("list", "List subnets"), ctx,
             [&ctx] { return ctx.List(ListSubnetsRequest(), "Subnets", SubnetColumns()); });
  AddShowEach(subnet, ctx,
              {"show", "Show subnets", "ID", "subnet ids",
               [](const std::string& id) { return MakeRequest("GET", "/v1/subnets/" + EscapePathSegment(id)); }},
              "", SubnetColumns);
  AddSendEach(subnet, ctx,
              {"delete", "Delete subnets", "ID", "subnet ids",
               [](const std::string& id) { return MakeRequest("DELETE", "/v1/subnets/" + EscapePathSegment(id)); }});
  auto m = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* modify = subnet->add_subcommand("modify", "Change whether instances launched here get a public address");
  modify->add_option("ID", m->first, "subnet id")->required();
  modify->add_option("--public", m->second, "on or off")->required()->check(CLI::IsMember({"on", "off", "true", "false"}));
  OnSelected(modify, ctx, [&ctx, m] {
    Json body = {{"MapPublicIpOnLaunch", OnOff(m->second) == "true"}};
    return ctx.ShowEach({MakeRequest("PATCH", "/v1/subnets/" + EscapePathSegment(m->first), body)}, "",
                        SubnetColumns());
  });
}

Columns GroupColumns() {
  return {{"ID", [](const Json& j) { return FieldText(j, "GroupId"); }},
          {"NAME", [](const Json& j) { return FieldText(j, "GroupName"); }},
          {"VPC", [](const Json& j) { return FieldText(j, "VpcId"); }},
          {"RULES", [](const Json& j) { return std::to_string(j.value("SecurityGroupRules", Json::array()).size()); }},
          {"DESCRIPTION", [](const Json& j) { return FieldText(j, "Description"); }}};
}

Columns RuleColumns() {
  return {{"ID", [](const Json& j) { return FieldText(j, "SecurityGroupRuleId"); }},
          {"DIRECTION", [](const Json& j) { return std::string(j.value("IsEgress", false) ? "egress" : "ingress"); }},
          {"PROTOCOL", [](const Json& j) { return FieldText(j, "IpProtocol"); }},
          {"PORTS", [](const Json& j) {
             std::string from = FieldText(j, "FromPort"), to = FieldText(j, "ToPort");
             return from == "-1" ? std::string("all") : from == to ? from : from + "-" + to;
           }},
          {"PEER", [](const Json& j) {
             return j.contains("CidrIpv4") ? FieldText(j, "CidrIpv4") : FieldText(j, "ReferencedGroupInfo", "GroupId");
           }},
          {"DESCRIPTION", [](const Json& j) { return FieldText(j, "Description"); }}};
}

void AddRuleCommand(CLI::App* sg, CliContext& ctx, bool authorize) {
  auto r = std::make_shared<RuleArgs>();
  CLI::App* cmd = sg->add_subcommand(authorize ? "authorize" : "revoke",
                                     authorize ? "Allow traffic to (or, with --egress, from) a group's instances"
                                               : "Remove rules of a group");
  cmd->add_option("GROUP", r->group, "group id, or a group name of the default VPC")->required();
  cmd->add_flag("--egress", r->egress, "an outbound rule (default: inbound)");
  cmd->add_option("--protocol", r->protocol, "tcp, udp, icmp or all")
      ->check(CLI::IsMember({"tcp", "udp", "icmp", "all"}))
      ->capture_default_str();
  cmd->add_option("--port", r->ports, "PORT or FROM-TO (icmp: TYPE or TYPE-CODE)");
  cmd->add_option("--cidr", r->cidrs, "peer block, e.g. 10.0.0.0/16 (repeatable)");
  cmd->add_option("--source-group", r->source_groups, "peer security group id (repeatable)");
  if (!authorize) cmd->add_option("--rule", r->rule_ids, "rule id sgr-... (repeatable)");
  OnSelected(cmd, ctx, [&ctx, r, authorize]() -> int {
    auto request = RuleChangeRequest(*r, authorize);
    if (!request.ok()) return ctx.UsageError(request.status());
    return ctx.List(*request, "SecurityGroupRules", RuleColumns());
  });
}

void RegisterSecurityGroup(CLI::App& root, CliContext& ctx) {
  CLI::App* sg = AddNoun(root, "sg", "Security groups: stateful firewalls of instances");
  auto a = std::make_shared<GroupArgs>();
  CLI::App* create = sg->add_subcommand("create", "Create a security group (all outbound traffic, no inbound)");
  create->add_option("NAME", a->name, "group name, unique in its VPC")->required();
  create->add_option("--description", a->description, "what the group is for")->required();
  create->add_option("--vpc", a->vpc, "VPC id (default: the default VPC)");
  create->add_option("--tag", a->tags, "tag KEY=VALUE (repeatable)")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, a] {
    return CreateAndShow(ctx, CreateGroupRequest(*a), "GroupId", "/v1/security-groups/", GroupColumns());
  });
  OnSelected(sg->add_subcommand("list", "List security groups"), ctx,
             [&ctx] { return ctx.List(MakeRequest("GET", "/v1/security-groups"), "SecurityGroups", GroupColumns()); });
  auto group_path = [](const std::string& g) { return "/v1/security-groups/" + EscapePathSegment(g); };
  AddShowEach(sg, ctx, {"show", "Show security groups", "GROUP", "group ids or names",
                        [group_path](const std::string& g) { return MakeRequest("GET", group_path(g)); }},
              "", GroupColumns);
  auto rules_of = std::make_shared<std::string>();
  CLI::App* rules = sg->add_subcommand("rules", "List the rules of a security group");
  rules->add_option("GROUP", *rules_of, "group id or name")->required();
  OnSelected(rules, ctx, [&ctx, rules_of, group_path] {
    return ctx.List(MakeRequest("GET", group_path(*rules_of) + "/rules"), "SecurityGroupRules", RuleColumns());
  });
  AddRuleCommand(sg, ctx, true);
  AddRuleCommand(sg, ctx, false);
  AddSendEach(sg, ctx, {"delete", "Delete security groups", "GROUP", "group ids or names",
                        [group_path](const std::string& g) { return MakeRequest("DELETE", group_path(g)); }});
}

}  // namespace

void RegisterNetworkCommands(CLI::App& root, CliContext& ctx) {
  RegisterVpc(root, ctx);
  RegisterSubnet(root, ctx);
  RegisterSecurityGroup(root, ctx);
}

}  // namespace stratus::cli
