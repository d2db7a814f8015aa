#include "elb/elb.h"

#include "common/json_field.h"

namespace stratus::elb {

using nlohmann::json;

Status ValidateName(const std::string& kind, const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) {
    return InvalidArgument(kind + " name '" + name +
                           "' must be 1 to 32 letters, digits and hyphens, not starting or ending with a hyphen")
        .WithErrorCode("ValidationError");
  }
  return Status::Ok();
}

json ToJson(const TargetGroup& tg) {
  const auto& hc = tg.health_check;
  return {
      {"TargetGroupArn", tg.arn},
      {"TargetGroupName", tg.name},
      {"Protocol", tg.protocol},
      {"Port", tg.port},
      {"VpcId", tg.vpc_id},
      {"TargetType", tg.target_type},
      {"HealthCheckProtocol", hc.protocol},
      {"HealthCheckPort", hc.port},
      {"HealthCheckPath", hc.path},
      {"HealthCheckEnabled", true},
      {"HealthCheckIntervalSeconds", hc.interval_seconds},
      {"HealthCheckTimeoutSeconds", hc.timeout_seconds},
      {"HealthyThresholdCount", hc.healthy_threshold},
      {"UnhealthyThresholdCount", hc.unhealthy_threshold},
      {"Matcher", {{"HttpCode", hc.matcher}}},
      {"Attributes",
       {{"deregistration_delay.timeout_seconds", tg.attributes.deregistration_delay_seconds},
        {"stickiness.enabled", tg.attributes.stickiness_enabled},
        {"stickiness.lb_cookie.duration_seconds", tg.attributes.stickiness_duration_seconds},
        {"slow_start.duration_seconds", tg.attributes.slow_start_seconds},
        {"load_balancing.algorithm.type", tg.attributes.algorithm}}},
      {"Targets", [&] {
         json a = json::array();
         for (const auto& t : tg.targets) a.push_back({{"Id", t.id}, {"Port", t.port}});
         return a;
       }()},
      {"Tags", TagsToJson(tg.tags)},
  };
}

Result<TargetGroup> TargetGroupFromJson(const json& j) {
  try {
    TargetGroup tg;
    tg.arn = j.at("TargetGroupArn").get<std::string>();
    tg.name = j.at("TargetGroupName").get<std::string>();
    tg.protocol = j.value("Protocol", "HTTP");
    tg.port = j.value("Port", 80);
    tg.vpc_id = j.value("VpcId", "");
    tg.target_type = j.value("TargetType", "instance");
    auto& hc = tg.health_check;
    hc.protocol = j.value("HealthCheckProtocol", "HTTP");
    hc.port = j.value("HealthCheckPort", "traffic-port");
    hc.path = j.value("HealthCheckPath", "/");
    hc.interval_seconds = j.value("HealthCheckIntervalSeconds", 5);
    hc.timeout_seconds = j.value("HealthCheckTimeoutSeconds", 2);
    hc.healthy_threshold = j.value("HealthyThresholdCount", 3);
    hc.unhealthy_threshold = j.value("UnhealthyThresholdCount", 2);
    hc.matcher = j.value("Matcher", json::object()).value("HttpCode", "200");
    json a = j.value("Attributes", json::object());
    tg.attributes.deregistration_delay_seconds = a.value("deregistration_delay.timeout_seconds", 300);
    tg.attributes.stickiness_enabled = a.value("stickiness.enabled", false);
    tg.attributes.stickiness_duration_seconds = a.value("stickiness.lb_cookie.duration_seconds", 86400);
    tg.attributes.slow_start_seconds = a.value("slow_start.duration_seconds", 0);
    tg.attributes.algorithm = a.value("load_balancing.algorithm.type", "round_robin");
    for (const auto& t : j.value("Targets", json::array())) tg.targets.push_back({t.at("Id"), t.value("Port", 0)});
    STRATUS_ASSIGN_OR_RETURN(tg.tags, TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false));
    return tg;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad target group record: ") + e.what());
  }
}

json ToJson(const Rule& r, bool is_default) {
  json conditions = json::array();
  if (!r.hosts.empty()) {
    conditions.push_back({{"Field", "host-header"}, {"Values", r.hosts}, {"HostHeaderConfig", {{"Values", r.hosts}}}});
  }
  if (!r.paths.empty()) {
    conditions.push_back({{"Field", "path-pattern"}, {"Values", r.paths}, {"PathPatternConfig", {{"Values", r.paths}}}});
  }
  return {
      {"RuleArn", r.arn},
      {"Priority", is_default ? std::string("default") : std::to_string(r.priority)},
      {"Conditions", conditions},
      {"Actions", json::array({{{"Type", "forward"}, {"TargetGroupArn", r.target_group_arn}}})},
      {"IsDefault", is_default},
  };
}

json ToJson(const Listener& l) {
  return {
      {"ListenerArn", l.arn},
      {"LoadBalancerArn", l.load_balancer_arn},
      {"Port", l.port},
      {"Protocol", l.protocol},
      {"DefaultActions", json::array({{{"Type", "forward"}, {"TargetGroupArn", l.default_target_group_arn}}})},
  };
}

json ToJson(const LoadBalancer& lb) {
  return {
      {"LoadBalancerArn", lb.arn},
      {"LoadBalancerName", lb.name},
      {"DNSName", lb.dns_name},
      {"Type", lb.type},
      {"Scheme", lb.scheme},
      {"VpcId", lb.vpc_id},
      {"State", {{"Code", lb.state}}},
      {"CreatedTime", lb.created_time},
      {"IpAddressType", "ipv4"},
      {"Tags", TagsToJson(lb.tags)},
  };
}

json ToStoreJson(const LoadBalancer& lb) {
  json j = ToJson(lb);
  json listeners = json::array();
  for (const auto& l : lb.listeners) {
    json lj = ToJson(l);
    json rules = json::array();
    for (const auto& r : l.rules) rules.push_back(ToJson(r));
    lj["Rules"] = rules;
    listeners.push_back(lj);
  }
  j["Listeners"] = listeners;
  return j;
}

Result<LoadBalancer> LoadBalancerFromStoreJson(const json& j) {
  try {
    LoadBalancer lb;
    lb.arn = j.at("LoadBalancerArn").get<std::string>();
    lb.name = j.at("LoadBalancerName").get<std::string>();
    lb.dns_name = j.value("DNSName", "");
    lb.type = j.value("Type", "application");
    lb.scheme = j.value("Scheme", "internet-facing");
    lb.vpc_id = j.value("VpcId", "");
    lb.state = j.value("State", json::object()).value("Code", "active");
    lb.created_time = j.value("CreatedTime", "");
    STRATUS_ASSIGN_OR_RETURN(lb.tags, TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false));
    for (const auto& lj : j.value("Listeners", json::array())) {
      Listener l;
      l.arn = lj.at("ListenerArn");
      l.load_balancer_arn = lb.arn;
      l.port = lj.at("Port");
      l.protocol = lj.value("Protocol", "HTTP");
      l.default_target_group_arn = lj.at("DefaultActions").at(0).value("TargetGroupArn", "");
      for (const auto& rj : lj.value("Rules", json::array())) {
        Rule r;
        r.arn = rj.at("RuleArn");
        r.priority = std::stoi(rj.at("Priority").get<std::string>());
        for (const auto& c : rj.value("Conditions", json::array())) {
          auto values = c.value("Values", std::vector<std::string>{});
          if (c.value("Field", "") == "host-header") r.hosts = values;
          if (c.value("Field", "") == "path-pattern") r.paths = values;
        }
        r.target_group_arn = rj.at("Actions").at(0).value("TargetGroupArn", "");
        l.rules.push_back(std::move(r));
      }
      lb.listeners.push_back(std::move(l));
    }
    return lb;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("bad load balancer record: ") + e.what());
  }
}

Result<std::vector<Target>> ParseTargets(const json& body) {
  std::vector<Target> targets;
  if (!body.contains("Targets") || !body["Targets"].is_array()) {
    return InvalidArgument("Targets must be a list of {\"Id\": ..., \"Port\": ...}").WithErrorCode("ValidationError");
  }
  for (const auto& t : body["Targets"]) {
    if (!t.is_object() || !t.contains("Id") || !t["Id"].is_string()) {
      return InvalidArgument("each target needs a string Id").WithErrorCode("ValidationError");
    }
    Target target{t["Id"].get<std::string>(), 0};
    if (t.contains("Port") && !t["Port"].is_number_integer()) {
      return InvalidArgument("target Port must be an integer").WithErrorCode("ValidationError");
    }
    target.port = t.value("Port", 0);
    targets.push_back(std::move(target));
  }
  return targets;
}

Status ReadHealthCheckMembers(const json& body, TargetGroupHealthCheck& hc) {
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "HealthCheckProtocol", hc.protocol, "ValidationError"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "HealthCheckPort", hc.port, "ValidationError"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "HealthCheckPath", hc.path, "ValidationError"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "HealthCheckIntervalSeconds", hc.interval_seconds, "ValidationError"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "HealthCheckTimeoutSeconds", hc.timeout_seconds, "ValidationError"));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(body, "HealthyThresholdCount", hc.healthy_threshold, "ValidationError"));
  return ReadJsonField(body, "UnhealthyThresholdCount", hc.unhealthy_threshold, "ValidationError");
}

}  // namespace stratus::elb
