#include "elb/elb.h"

#include <algorithm>

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

namespace {

Status Invalid(const std::string& message) { return InvalidArgument(message).WithErrorCode("ValidationError"); }

// A member that must be a string when present.
Status ReadString(const json& j, const char* name, std::string& out) {
  if (!j.contains(name) || j[name].is_null()) return Status::Ok();
  if (!j[name].is_string()) return Invalid(std::string("field ") + name + " has the wrong type");
  out = j[name].get<std::string>();
  return Status::Ok();
}

Result<std::vector<std::string>> StringList(const json& j, const char* name) {
  std::vector<std::string> out;
  if (!j.contains(name) || j[name].is_null()) return out;
  if (!j[name].is_array()) return Invalid(std::string("field ") + name + " must be a list of strings");
  for (const auto& v : j[name]) {
    if (!v.is_string()) return Invalid(std::string("field ") + name + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

const json& Member(const json& j, const char* name) {
  static const json kEmpty = json::object();
  return j.contains(name) && j[name].is_object() ? j[name] : kEmpty;
}

}  // namespace

Result<Action> ActionFromJson(const json& a) {
  if (!a.is_object()) return Invalid("an action must be an object");
  Action out;
  STRATUS_RETURN_IF_ERROR(ReadString(a, "Type", out.type));
  if (out.type == "forward") {
    std::string tg;
    STRATUS_RETURN_IF_ERROR(ReadString(a, "TargetGroupArn", tg));
    if (!tg.empty()) out.target_groups.push_back({tg, 1});
    const json& fc = Member(a, "ForwardConfig");
    if (fc.contains("TargetGroups")) {
      if (!fc["TargetGroups"].is_array()) return Invalid("ForwardConfig.TargetGroups must be a list");
      if (!tg.empty()) out.target_groups.clear();  // both given: ForwardConfig wins, as on ELBv2 when they agree
      for (const auto& g : fc["TargetGroups"]) {
        if (!g.is_object()) return Invalid("ForwardConfig.TargetGroups must be a list of objects");
        ForwardTargetGroup f;
        STRATUS_RETURN_IF_ERROR(ReadString(g, "TargetGroupArn", f.target_group_arn));
        if (g.contains("Weight") && !g["Weight"].is_null()) {
          if (!g["Weight"].is_number_integer()) return Invalid("field Weight has the wrong type");
          f.weight = g["Weight"].get<int>();
        }
        out.target_groups.push_back(std::move(f));
      }
    }
  } else if (out.type == "redirect") {
    const json& rc = Member(a, "RedirectConfig");
    STRATUS_RETURN_IF_ERROR(ReadString(rc, "Protocol", out.protocol));
    STRATUS_RETURN_IF_ERROR(ReadString(rc, "Port", out.port));
    STRATUS_RETURN_IF_ERROR(ReadString(rc, "Host", out.host));
    STRATUS_RETURN_IF_ERROR(ReadString(rc, "Path", out.path));
    STRATUS_RETURN_IF_ERROR(ReadString(rc, "Query", out.query));
    STRATUS_RETURN_IF_ERROR(ReadString(rc, "StatusCode", out.status_code));
  } else if (out.type == "fixed-response") {
    const json& fc = Member(a, "FixedResponseConfig");
    STRATUS_RETURN_IF_ERROR(ReadString(fc, "StatusCode", out.status_code));
    STRATUS_RETURN_IF_ERROR(ReadString(fc, "ContentType", out.content_type));
    STRATUS_RETURN_IF_ERROR(ReadString(fc, "MessageBody", out.message_body));
  } else if (out.type.rfind("authenticate-", 0) == 0) {
    return InvalidArgument("Stratus has no " + out.type + " action").WithErrorCode("UnsupportedFeature");
  } else {
    return Invalid("action type '" + out.type + "' is not forward, redirect or fixed-response");
  }
  return out;
}

Result<Action> ActionsFromJson(const json& list) {
  if (!list.is_array() || list.empty()) return Invalid("an action is required");
  if (list.size() > 1) return InvalidArgument("Stratus takes one action per rule").WithErrorCode("UnsupportedFeature");
  return ActionFromJson(list[0]);
}

json ToJson(const Action& a) {
  json j = {{"Type", a.type}, {"Order", 1}};
  if (a.type == "forward") {
    if (a.target_groups.size() == 1) j["TargetGroupArn"] = a.target_groups[0].target_group_arn;
    json groups = json::array();
    for (const auto& g : a.target_groups) groups.push_back({{"TargetGroupArn", g.target_group_arn}, {"Weight", g.weight}});
    j["ForwardConfig"] = {{"TargetGroups", groups}};
  } else if (a.type == "redirect") {
    j["RedirectConfig"] = {{"Protocol", a.protocol}, {"Port", a.port},   {"Host", a.host},
                           {"Path", a.path},         {"Query", a.query}, {"StatusCode", a.status_code}};
  } else {
    j["FixedResponseConfig"] = {{"StatusCode", a.status_code}, {"ContentType", a.content_type}};
    if (!a.message_body.empty()) j["FixedResponseConfig"]["MessageBody"] = a.message_body;
  }
  return j;
}

Status ValidateAction(const Action& a) {
  if (a.type == "forward") {
    if (a.target_groups.empty()) return Invalid("a forward action needs a target group");
    if (a.target_groups.size() > 5) return Invalid("a forward action takes at most 5 target groups");
    int total = 0;
    for (const auto& g : a.target_groups) {
      if (g.target_group_arn.empty()) return Invalid("a forward action needs a TargetGroupArn");
      if (g.weight < 0 || g.weight > 999) return Invalid("a target group Weight is 0 to 999");
      total += g.weight;
    }
    if (total == 0) return Invalid("the weights of a forward action must not all be 0");
    return Status::Ok();
  }
  if (a.type == "redirect") {
    if (a.status_code != "HTTP_301" && a.status_code != "HTTP_302") return Invalid("RedirectConfig.StatusCode must be HTTP_301 or HTTP_302");
    if (a.protocol != "HTTP" && a.protocol != "HTTPS" && a.protocol != "#{protocol}") {
      return Invalid("RedirectConfig.Protocol must be HTTP, HTTPS or #{protocol}");
    }
    if (a.path.empty() || a.path[0] != '/') return Invalid("RedirectConfig.Path must start with /");
    if (a.protocol == "#{protocol}" && a.port == "#{port}" && a.host == "#{host}" && a.path == "/#{path}" &&
        a.query == "#{query}") {
      return Invalid("a redirect must change the protocol, port, host, path or query (it would loop)");
    }
    return Status::Ok();
  }
  if (a.type == "fixed-response") {
    bool digits = a.status_code.size() == 3 && std::all_of(a.status_code.begin(), a.status_code.end(), ::isdigit);
    if (!digits || a.status_code < "200" || a.status_code > "599") return Invalid("FixedResponseConfig.StatusCode must be 200 to 599");
    static const char* kTypes[] = {"text/plain", "text/css", "text/html", "application/javascript", "application/json"};
    if (std::find(std::begin(kTypes), std::end(kTypes), a.content_type) == std::end(kTypes)) {
      return Invalid("FixedResponseConfig.ContentType must be text/plain, text/css, text/html, application/javascript or application/json");
    }
    if (a.message_body.size() > 1024) return Invalid("FixedResponseConfig.MessageBody is at most 1024 bytes");
    return Status::Ok();
  }
  return Invalid("action type '" + a.type + "' is not forward, redirect or fixed-response");
}

Result<std::vector<Condition>> ConditionsFromJson(const json& list) {
  std::vector<Condition> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return Invalid("Conditions must be a list");
  for (const auto& c : list) {
    if (!c.is_object()) return Invalid("a condition must be an object");
    Condition cond;
    STRATUS_RETURN_IF_ERROR(ReadString(c, "Field", cond.field));
    STRATUS_ASSIGN_OR_RETURN(cond.values, StringList(c, "Values"));
    // Each field's own config member; its values add to the legacy Values (records hold both, so no duplicates).
    static const std::pair<const char*, const char*> kConfigs[] = {
        {"host-header", "HostHeaderConfig"}, {"path-pattern", "PathPatternConfig"}, {"http-header", "HttpHeaderConfig"},
        {"source-ip", "SourceIpConfig"},     {"http-request-method", "HttpRequestMethodConfig"}};
    bool known = cond.field == "query-string";
    for (const auto& [field, member] : kConfigs) {
      if (cond.field != field) continue;
      known = true;
      STRATUS_ASSIGN_OR_RETURN(auto more, StringList(Member(c, member), "Values"));
      for (auto& v : more) {
        if (std::find(cond.values.begin(), cond.values.end(), v) == cond.values.end()) cond.values.push_back(std::move(v));
      }
    }
    if (!known) return Invalid("condition field '" + cond.field + "' is not host-header, path-pattern, http-header, "
                               "query-string, source-ip or http-request-method");
    if (cond.field == "http-header") STRATUS_RETURN_IF_ERROR(ReadString(Member(c, "HttpHeaderConfig"), "HttpHeaderName", cond.header_name));
    if (cond.field == "query-string") {
      if (!cond.values.empty()) return Invalid("a query-string condition takes QueryStringConfig, not Values");
      const json& qc = Member(c, "QueryStringConfig");
      if (qc.contains("Values")) {
        if (!qc["Values"].is_array()) return Invalid("QueryStringConfig.Values must be a list");
        for (const auto& kv : qc["Values"]) {
          if (!kv.is_object()) return Invalid("QueryStringConfig.Values must be a list of {Key, Value}");
          std::string k, v;
          STRATUS_RETURN_IF_ERROR(ReadString(kv, "Key", k));
          STRATUS_RETURN_IF_ERROR(ReadString(kv, "Value", v));
          cond.query.emplace_back(k, v);
        }
      }
    }
    out.push_back(std::move(cond));
  }
  return out;
}

Status ValidateConditions(const std::vector<Condition>& conditions) {
  if (conditions.empty()) return Invalid("a rule needs at least one condition");
  for (const auto& c : conditions) {
    if (c.field == "query-string" ? c.query.empty() : c.values.empty()) {
      return Invalid("the " + c.field + " condition needs at least one value");
    }
    if (c.field == "http-header" && c.header_name.empty()) return Invalid("an http-header condition needs HttpHeaderName");
    if (c.field == "query-string") {
      for (const auto& [k, v] : c.query) {
        if (v.empty()) return Invalid("a query-string condition needs a Value in each pair");
      }
    }
    if (c.field == "http-request-method") {
      for (const auto& m : c.values) {
        if (m.empty() || !std::all_of(m.begin(), m.end(), [](char ch) { return isupper(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_'; })) {
          return Invalid("http-request-method values are upper-case method names like GET");
        }
      }
    }
  }
  return Status::Ok();
}

json ToJson(const Condition& c) {
  json j = {{"Field", c.field}};
  if (c.field == "host-header") j["HostHeaderConfig"] = {{"Values", c.values}};
  if (c.field == "path-pattern") j["PathPatternConfig"] = {{"Values", c.values}};
  if (c.field == "host-header" || c.field == "path-pattern") j["Values"] = c.values;
  if (c.field == "http-header") j["HttpHeaderConfig"] = {{"HttpHeaderName", c.header_name}, {"Values", c.values}};
  if (c.field == "source-ip") j["SourceIpConfig"] = {{"Values", c.values}};
  if (c.field == "http-request-method") j["HttpRequestMethodConfig"] = {{"Values", c.values}};
  if (c.field == "query-string") {
    json pairs = json::array();
    for (const auto& [k, v] : c.query) {
      json p = {{"Value", v}};
      if (!k.empty()) p["Key"] = k;
      pairs.push_back(p);
    }
    j["QueryStringConfig"] = {{"Values", pairs}};
  }
  return j;
}

std::vector<std::string> ForwardedTargetGroups(const Listener& l) {
  std::vector<std::string> out;
  auto add = [&](const Action& a) {
    for (const auto& g : a.target_groups) {
      if (std::find(out.begin(), out.end(), g.target_group_arn) == out.end()) out.push_back(g.target_group_arn);
    }
  };
  add(l.default_action);
  for (const auto& r : l.rules) add(r.action);
  return out;
}

json ToJson(const Rule& r, bool is_default) {
  json conditions = json::array();
  for (const auto& c : r.conditions) conditions.push_back(ToJson(c));
  return {
      {"RuleArn", r.arn},
      {"Priority", is_default ? std::string("default") : std::to_string(r.priority)},
      {"Conditions", conditions},
      {"Actions", json::array({ToJson(r.action)})},
      {"IsDefault", is_default},
  };
}

json ToJson(const Listener& l) {
  json j = {
      {"ListenerArn", l.arn},
      {"LoadBalancerArn", l.load_balancer_arn},
      {"Port", l.port},
      {"Protocol", l.protocol},
      {"DefaultActions", json::array({ToJson(l.default_action)})},
  };
  if (IsTlsProtocol(l.protocol)) {
    // DescribeListeners shows the default certificate only; DescribeListenerCertificates lists them all.
    if (!l.certificates.empty()) j["Certificates"] = json::array({{{"CertificateArn", l.certificates[0]}}});
    j["SslPolicy"] = l.ssl_policy;
    if (!l.alpn_policy.empty()) j["AlpnPolicy"] = json::array({l.alpn_policy});
  }
  return j;
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
    json certs = json::array();
    for (size_t i = 0; i < l.certificates.size(); i++) {
      certs.push_back({{"CertificateArn", l.certificates[i]}, {"IsDefault", i == 0}});
    }
    if (!certs.empty()) lj["Certificates"] = certs;
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
      STRATUS_ASSIGN_OR_RETURN(l.default_action, ActionsFromJson(lj.at("DefaultActions")));
      for (const auto& c : lj.value("Certificates", json::array())) l.certificates.push_back(c.at("CertificateArn"));
      l.ssl_policy = lj.value("SslPolicy", "");
      auto alpn = lj.value("AlpnPolicy", std::vector<std::string>{});
      l.alpn_policy = alpn.empty() ? "" : alpn[0];
      for (const auto& rj : lj.value("Rules", json::array())) {
        Rule r;
        r.arn = rj.at("RuleArn");
        r.priority = std::stoi(rj.at("Priority").get<std::string>());
        STRATUS_ASSIGN_OR_RETURN(r.conditions, ConditionsFromJson(rj.value("Conditions", json::array())));
        STRATUS_ASSIGN_OR_RETURN(r.action, ActionsFromJson(rj.at("Actions")));
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
