// ELBv2 (elasticloadbalancing) over LoadBalancerService. Targets and health check members are read by the load
// balancer layer's readers (elb/elb.h), which take AWS member names, so both front ends read them the same way.
#include <algorithm>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "elb/load_balancer_service.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "elasticloadbalancing";
using Output = StratusAwsHandler::Output;
using elb::LoadBalancerService;

json LbJson(const elb::LoadBalancer& lb) {
  json j = elb::ToJson(lb);
  j.erase("Tags");
  j["CanonicalHostedZoneId"] = "Z0STRATUS";
  j["AvailabilityZones"] = json::array();
  return DropEmpty(std::move(j));
}

json TgJson(const elb::TargetGroup& tg, const std::vector<std::string>& lb_arns) {
  json j = elb::ToJson(tg);
  j.erase("Tags");
  j.erase("Targets");
  j.erase("Attributes");
  j["LoadBalancerArns"] = lb_arns;
  return DropEmpty(std::move(j));
}

// The load balancers whose listeners or rules forward to `tg_arn`.
std::vector<std::string> LbsOfTargetGroup(const LoadBalancerService& svc, const std::string& tg_arn) {
  std::vector<std::string> out;
  auto lbs = svc.DescribeLoadBalancers({});
  if (!lbs.ok()) return out;
  for (const auto& lb : *lbs) {
    bool uses = false;
    for (const auto& l : lb.listeners) {
      auto groups = elb::ForwardedTargetGroups(l);
      uses = uses || std::find(groups.begin(), groups.end(), tg_arn) != groups.end();
    }
    if (uses) out.push_back(lb.arn);
  }
  return out;
}

// What a DescribeLoadBalancers or DescribeTargetGroups call names: its ARNs (member `arns`), then its Names.
std::vector<std::string> ArnsThenNames(const json& in, const char* arns) {
  std::vector<std::string> refs = StrList(in, arns);
  for (auto& n : StrList(in, "Names")) refs.push_back(std::move(n));
  return refs;
}

// The CertificateArn members of a Certificates list.
std::vector<std::string> CertificateArns(const json& in) {
  std::vector<std::string> out;
  for (const auto& c : in.value("Certificates", json::array())) out.push_back(Str(c, "CertificateArn"));
  return out;
}

// AlpnPolicy is a list of one name on ELBv2.
Result<std::string> AlpnOf(const json& in) {
  auto names = StrList(in, "AlpnPolicy");
  if (names.size() > 1) return InvalidArgument("AlpnPolicy takes one name").WithErrorCode("ValidationError");
  return names.empty() ? std::string() : names[0];
}

// The request's targets, read as the REST API reads them; none when it names none (DescribeTargetHealth: all).
Result<std::vector<elb::Target>> TargetsOf(const json& in) {
  if (!in.contains("Targets") || in["Targets"].is_null()) return std::vector<elb::Target>{};
  return elb::ParseTargets(in);
}

// The health check members, read as the REST API reads them, and ELBv2's Matcher {"HttpCode": ...}.
Status ReadHealthCheck(const json& in, elb::TargetGroupHealthCheck& hc) {
  STRATUS_RETURN_IF_ERROR(elb::ReadHealthCheckMembers(in, hc));
  if (in.contains("Matcher")) hc.matcher = Str(in["Matcher"], "HttpCode", hc.matcher);
  return Status::Ok();
}

Output CreateTargetGroup(LoadBalancerService& svc, const AwsServices& s, const json& in) {
  elb::TargetGroup tg;
  tg.name = Str(in, "Name");
  tg.protocol = Str(in, "Protocol", tg.protocol);
  tg.port = static_cast<int>(OptInt(in, "Port").value_or(tg.port));
  tg.vpc_id = Str(in, "VpcId", s.vpc.vpc_id);
  tg.target_type = Str(in, "TargetType", tg.target_type);
  AWS_RETURN_IF_ERROR(ReadHealthCheck(in, tg.health_check));
  tg.tags = TagsOf(in.value("Tags", json::array()));
  AWS_ASSIGN_OR_RETURN(created, svc.CreateTargetGroup(tg));
  return json{{"TargetGroups", json::array({TgJson(created, {})})}};
}

Output DescribeTargetGroups(LoadBalancerService& svc, const json& in) {
  auto refs = ArnsThenNames(in, "TargetGroupArns");
  AWS_ASSIGN_OR_RETURN(list, svc.DescribeTargetGroups(refs, Str(in, "LoadBalancerArn")));
  json out = json::array();
  for (const auto& tg : list) out.push_back(TgJson(tg, LbsOfTargetGroup(svc, tg.arn)));
  return json{{"TargetGroups", out}};
}

Output ModifyTargetGroup(LoadBalancerService& svc, const json& in) {
  std::string arn = Str(in, "TargetGroupArn");
  AWS_ASSIGN_OR_RETURN(current, svc.FindTargetGroup(arn));
  elb::TargetGroupHealthCheck hc = current.health_check;
  AWS_RETURN_IF_ERROR(ReadHealthCheck(in, hc));
  AWS_ASSIGN_OR_RETURN(changed, svc.ModifyTargetGroupHealthCheck(arn, hc));
  return json{{"TargetGroups", json::array({TgJson(changed, LbsOfTargetGroup(svc, changed.arn))})}};
}

json AttributeList(const std::map<std::string, std::string>& attrs) {
  json out = json::array();
  for (const auto& [k, v] : attrs) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

Output ModifyTargetGroupAttributes(LoadBalancerService& svc, const json& in) {
  std::map<std::string, std::string> attrs;
  for (const auto& a : in.value("Attributes", json::array())) attrs[Str(a, "Key")] = Str(a, "Value");
  AWS_ASSIGN_OR_RETURN(tg, svc.ModifyTargetGroupAttributes(Str(in, "TargetGroupArn"), attrs));
  return json{{"Attributes", AttributeList(LoadBalancerService::AttributesOf(tg))}};
}

Output DescribeTargetHealth(LoadBalancerService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(targets, TargetsOf(in));
  AWS_ASSIGN_OR_RETURN(list, svc.DescribeTargetHealth(Str(in, "TargetGroupArn"), targets));
  json out = json::array();
  for (const auto& d : list) {
    json health = {{"State", d.state}, {"Reason", d.reason}, {"Description", d.description}};
    out.push_back({{"Target", {{"Id", d.target.id}, {"Port", d.target.port}}},
                   {"HealthCheckPort", std::to_string(d.target.port)},
                   {"TargetHealth", DropEmpty(std::move(health))}});
  }
  return json{{"TargetHealthDescriptions", out}};
}

Output CreateLoadBalancer(LoadBalancerService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(lb, svc.CreateLoadBalancer(Str(in, "Name"), Str(in, "Type", "application"),
                                                  TagsOf(in.value("Tags", json::array()))));
  return json{{"LoadBalancers", json::array({LbJson(lb)})}};
}

Output DescribeLoadBalancers(LoadBalancerService& svc, const json& in) {
  auto refs = ArnsThenNames(in, "LoadBalancerArns");
  AWS_ASSIGN_OR_RETURN(list, svc.DescribeLoadBalancers(refs));
  json out = json::array();
  for (const auto& lb : list) out.push_back(LbJson(lb));
  return json{{"LoadBalancers", out}};
}

Output CreateListener(LoadBalancerService& svc, const json& in) {
  elb::ListenerSpec spec;
  spec.port = static_cast<int>(OptInt(in, "Port").value_or(80));
  spec.protocol = Str(in, "Protocol", "HTTP");
  AWS_ASSIGN_OR_RETURN(action, elb::ActionsFromJson(in.value("DefaultActions", json::array())));
  spec.default_action = action;
  spec.certificates = CertificateArns(in);
  spec.ssl_policy = Str(in, "SslPolicy");
  AWS_ASSIGN_OR_RETURN(alpn, AlpnOf(in));
  spec.alpn_policy = alpn;
  AWS_ASSIGN_OR_RETURN(l, svc.CreateListener(Str(in, "LoadBalancerArn"), spec));
  return json{{"Listeners", json::array({elb::ToJson(l)})}};
}

Output ModifyListener(LoadBalancerService& svc, const json& in) {
  if (in.contains("Port") || in.contains("Protocol")) {
    return AwsError{"UnsupportedFeature", "Stratus cannot change a listener's Port or Protocol (delete and create it)", 400};
  }
  elb::ListenerChange change;
  if (in.contains("DefaultActions")) {
    AWS_ASSIGN_OR_RETURN(action, elb::ActionsFromJson(in["DefaultActions"]));
    change.default_action = action;
  }
  auto certs = CertificateArns(in);
  if (certs.size() > 1) return AwsError{"ValidationError", "ModifyListener takes one certificate, the default", 400};
  if (!certs.empty()) change.default_certificate = certs[0];
  if (in.contains("SslPolicy")) change.ssl_policy = Str(in, "SslPolicy");
  if (in.contains("AlpnPolicy")) {
    AWS_ASSIGN_OR_RETURN(alpn, AlpnOf(in));
    change.alpn_policy = alpn;
  }
  AWS_ASSIGN_OR_RETURN(l, svc.ModifyListener(Str(in, "ListenerArn"), change));
  return json{{"Listeners", json::array({elb::ToJson(l)})}};
}

Output DescribeListenerCertificates(LoadBalancerService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(certs, svc.DescribeListenerCertificates(Str(in, "ListenerArn")));
  json out = json::array();
  for (size_t i = 0; i < certs.size(); i++) out.push_back({{"CertificateArn", certs[i]}, {"IsDefault", i == 0}});
  return json{{"Certificates", out}};
}

Output DescribeSslPolicies(const json& in) {
  AWS_ASSIGN_OR_RETURN(policies, LoadBalancerService::DescribeSslPolicies(StrList(in, "Names")));
  json out = json::array();
  for (const auto& p : policies) {
    json ciphers = json::array();
    for (size_t i = 0; i < p.ciphers.size(); i++) ciphers.push_back({{"Name", p.ciphers[i]}, {"Priority", i + 1}});
    out.push_back({{"Name", p.name},
                   {"SslProtocols", p.protocols},
                   {"Ciphers", ciphers},
                   {"SupportedLoadBalancerTypes", {"application", "network"}}});
  }
  return json{{"SslPolicies", out}};
}

Output DescribeListeners(LoadBalancerService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(list, svc.DescribeListeners(Str(in, "LoadBalancerArn"), StrList(in, "ListenerArns")));
  json out = json::array();
  for (const auto& l : list) out.push_back(elb::ToJson(l));
  return json{{"Listeners", out}};
}

Output CreateRule(LoadBalancerService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(conditions, elb::ConditionsFromJson(in.value("Conditions", json::array())));
  AWS_ASSIGN_OR_RETURN(action, elb::ActionsFromJson(in.value("Actions", json::array())));
  AWS_ASSIGN_OR_RETURN(rule, svc.CreateRule(Str(in, "ListenerArn"), static_cast<int>(OptInt(in, "Priority").value_or(0)),
                                            conditions, action));
  return json{{"Rules", json::array({elb::ToJson(rule)})}};
}

Output DescribeRules(LoadBalancerService& svc, const json& in) {
  std::string listener = Str(in, "ListenerArn");
  auto wanted = StrList(in, "RuleArns");
  if (listener.empty()) {
    return AwsError{"ValidationError", "Stratus needs ListenerArn to describe rules", 400};
  }
  AWS_ASSIGN_OR_RETURN(rules, svc.DescribeRules(listener));
  json out = json::array();
  for (const auto& [rule, is_default] : rules) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), rule.arn) == wanted.end()) continue;
    out.push_back(elb::ToJson(rule, is_default));
  }
  return json{{"Rules", out}};
}

Output DescribeTags(LoadBalancerService& svc, const json& in) {
  json out = json::array();
  for (const auto& arn : StrList(in, "ResourceArns")) {
    std::vector<Tag> tags;
    if (arn.find(":loadbalancer/") != std::string::npos) {
      AWS_ASSIGN_OR_RETURN(lbs, svc.DescribeLoadBalancers({arn}));
      if (!lbs.empty()) tags = lbs[0].tags;
    } else if (arn.find(":targetgroup/") != std::string::npos) {
      AWS_ASSIGN_OR_RETURN(tg, svc.FindTargetGroup(arn));
      tags = tg.tags;
    }
    out.push_back({{"ResourceArn", arn}, {"Tags", TagList(tags)}});
  }
  return json{{"TagDescriptions", out}};
}

}  // namespace

void StratusAwsHandler::RegisterElbv2() {
  ServiceOps<LoadBalancerService> op(ops_, kService, s_.elb, "load balancer service");
  op("CreateLoadBalancer", CreateLoadBalancer);
  op("DescribeLoadBalancers", DescribeLoadBalancers);
  op("DeleteLoadBalancer", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteLoadBalancer(Str(in, "LoadBalancerArn")));
    return json::object();
  });
  op("CreateListener", CreateListener);
  op("DescribeListeners", DescribeListeners);
  op("DeleteListener", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteListener(Str(in, "ListenerArn")));
    return json::object();
  });
  op("ModifyListener", ModifyListener);
  op("DescribeListenerCertificates", DescribeListenerCertificates);
  op("AddListenerCertificates", [](LoadBalancerService& svc, const json& in) -> Output {
    std::string arn = Str(in, "ListenerArn");
    AWS_RETURN_IF_ERROR(svc.AddListenerCertificates(arn, CertificateArns(in)));
    return DescribeListenerCertificates(svc, in);
  });
  op("RemoveListenerCertificates", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.RemoveListenerCertificates(Str(in, "ListenerArn"), CertificateArns(in)));
    return json::object();
  });
  ops_[std::string(kService) + "/DescribeSSLPolicies"] = [](const json& in, const AwsCallContext&) {
    return DescribeSslPolicies(in);
  };
  op("CreateRule", CreateRule);
  op("DescribeRules", DescribeRules);
  op("DeleteRule", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteRule(Str(in, "RuleArn")));
    return json::object();
  });
  op("DescribeTags", DescribeTags);
}

void StratusAwsHandler::RegisterElbv2Targets() {
  ServiceOps<LoadBalancerService> op(ops_, kService, s_.elb, "load balancer service");
  op("CreateTargetGroup", [&s = s_](LoadBalancerService& svc, const json& in) { return CreateTargetGroup(svc, s, in); });
  op("DescribeTargetGroups", DescribeTargetGroups);
  op("ModifyTargetGroup", ModifyTargetGroup);
  op("DeleteTargetGroup", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteTargetGroup(Str(in, "TargetGroupArn")));
    return json::object();
  });
  op("ModifyTargetGroupAttributes", ModifyTargetGroupAttributes);
  op("DescribeTargetGroupAttributes", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(tg, svc.FindTargetGroup(Str(in, "TargetGroupArn")));
    return json{{"Attributes", AttributeList(LoadBalancerService::AttributesOf(tg))}};
  });
  op("RegisterTargets", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(targets, TargetsOf(in));
    AWS_RETURN_IF_ERROR(svc.RegisterTargets(Str(in, "TargetGroupArn"), targets));
    return json::object();
  });
  op("DeregisterTargets", [](LoadBalancerService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(targets, TargetsOf(in));
    AWS_RETURN_IF_ERROR(svc.DeregisterTargets(Str(in, "TargetGroupArn"), targets));
    return json::object();
  });
  op("DescribeTargetHealth", DescribeTargetHealth);
}

}  // namespace stratus::aws
