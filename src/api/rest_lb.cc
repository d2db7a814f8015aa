#include "api/rest_lb.h"

#include "api/request_json.h"
#include "api/rest_api.h"

namespace stratus {

using nlohmann::json;

namespace {

Result<json> Body(const httplib::Request& req) { return JsonObjectBody(req, "ValidationError"); }

// Reads body[name] as T when present; ValidationError naming the field when it has another type.
template <typename T>
Status Field(const json& body, const char* name, T& out) {
  return ReadJsonField(body, name, out, "ValidationError");
}


// The health check members and the REST API's string Matcher.
Status ParseHealthCheck(const json& body, elb::TargetGroupHealthCheck& hc) {
  STRATUS_RETURN_IF_ERROR(elb::ReadHealthCheckMembers(body, hc));
  return Field(body, "Matcher", hc.matcher);
}

// A listener's members: Port, Protocol, then TargetGroup (a forward default action) or DefaultActions (ELBv2's
// action list), and for HTTPS/TLS Certificates (ARNs or ids, the first is the default), SslPolicy, AlpnPolicy.
Status ReadListenerSpec(const json& l, elb::ListenerSpec& spec) {
  STRATUS_RETURN_IF_ERROR(Field(l, "Port", spec.port));
  STRATUS_RETURN_IF_ERROR(Field(l, "Protocol", spec.protocol));
  STRATUS_RETURN_IF_ERROR(Field(l, "TargetGroup", spec.default_target_group));
  STRATUS_RETURN_IF_ERROR(Field(l, "Certificates", spec.certificates));
  STRATUS_RETURN_IF_ERROR(Field(l, "SslPolicy", spec.ssl_policy));
  STRATUS_RETURN_IF_ERROR(Field(l, "AlpnPolicy", spec.alpn_policy));
  if (l.contains("DefaultActions")) {
    STRATUS_ASSIGN_OR_RETURN(spec.default_action, elb::ActionsFromJson(l["DefaultActions"]));
  } else if (spec.default_target_group.empty()) {
    return InvalidArgument("TargetGroup (or DefaultActions) is required").WithErrorCode("ValidationError");
  }
  return Status::Ok();
}

// The optional "Listeners" member of POST /v1/load-balancers: listeners as ReadListenerSpec reads them, created with
// the load balancer in one step.
Result<std::vector<elb::ListenerSpec>> ParseListenerSpecs(const json& body) {
  std::vector<elb::ListenerSpec> specs;
  if (!body.contains("Listeners") || body["Listeners"].is_null()) return specs;
  if (!body["Listeners"].is_array()) return InvalidArgument("field Listeners has the wrong type").WithErrorCode("ValidationError");
  for (const auto& l : body["Listeners"]) {
    if (!l.is_object()) return InvalidArgument("field Listeners has the wrong type").WithErrorCode("ValidationError");
    elb::ListenerSpec spec;
    STRATUS_RETURN_IF_ERROR(ReadListenerSpec(l, spec));
    specs.push_back(std::move(spec));
  }
  return specs;
}

json ListenersJson(const std::vector<elb::Listener>& listeners) {
  json a = json::array();
  for (const auto& l : listeners) a.push_back(elb::ToJson(l));
  return {{"Listeners", a}};
}

void MountLoadBalancers(httplib::Server& server, elb::LoadBalancerService* s) {
  server.Post("/v1/load-balancers", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string name, type = "application";
    Status st = Field(*body, "Name", name);
    if (st.ok()) st = Field(*body, "Type", type);
    if (!st.ok()) return ReplyJson(res, st);
    auto tags = TagsFromJson(body->value("Tags", json::array()));
    if (!tags.ok()) return ReplyJson(res, tags.status().WithErrorCode("ValidationError"));
    auto listeners = ParseListenerSpecs(*body);
    if (!listeners.ok()) return ReplyJson(res, listeners.status());
    auto lb = s->CreateLoadBalancer(name, type, *tags, *listeners);
    if (!lb.ok()) return ReplyJson(res, lb.status());
    json j = elb::ToJson(*lb);
    if (!listeners->empty()) j["Listeners"] = ListenersJson(lb->listeners)["Listeners"];
    ReplyJson(res, j);
  });
  server.Get("/v1/load-balancers", [s](const httplib::Request&, httplib::Response& res) {
    auto lbs = s->DescribeLoadBalancers({});
    if (!lbs.ok()) return ReplyJson(res, lbs.status());
    json a = json::array();
    for (const auto& lb : *lbs) a.push_back(elb::ToJson(lb));
    ReplyJson(res, json{{"LoadBalancers", a}});
  });
  server.Get(R"(/v1/load-balancers/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto lbs = s->DescribeLoadBalancers({req.matches[1].str()});
    if (!lbs.ok()) return ReplyJson(res, lbs.status());
    json j = elb::ToJson(lbs->front());
    j["Listeners"] = ListenersJson(lbs->front().listeners)["Listeners"];
    ReplyJson(res, j);
  });
  server.Delete(R"(/v1/load-balancers/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    Status st = s->DeleteLoadBalancer(req.matches[1].str());
    ReplyStatus(res, st);
  });
  server.Post(R"(/v1/load-balancers/([^/]+)/listeners)", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    elb::ListenerSpec spec;
    spec.port = 0;
    Status st = ReadListenerSpec(*body, spec);
    if (!st.ok()) return ReplyJson(res, st);
    auto l = s->CreateListener(req.matches[1].str(), spec);
    if (!l.ok()) return ReplyJson(res, l.status());
    ReplyJson(res, elb::ToJson(*l));
  });
  // A rule on the listener of a given port: what `stratus lb route` sends.
  server.Post(R"(/v1/load-balancers/([^/]+)/rules)", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    int port = 0, priority = 0;
    std::vector<std::string> hosts, paths;
    std::string tg;
    Status st = Field(*body, "Port", port);
    if (st.ok()) st = Field(*body, "Priority", priority);
    if (st.ok()) st = Field(*body, "Hosts", hosts);
    if (st.ok()) st = Field(*body, "Paths", paths);
    if (st.ok()) st = Field(*body, "TargetGroup", tg);
    if (!st.ok()) return ReplyJson(res, st);
    auto listeners = s->DescribeListeners(req.matches[1].str(), {});
    if (!listeners.ok()) return ReplyJson(res, listeners.status());
    for (const auto& l : *listeners) {
      if (l.port != port) continue;
      auto r = s->CreateRule(l.arn, priority, hosts, paths, tg);
      if (!r.ok()) return ReplyJson(res, r.status());
      return ReplyJson(res, elb::ToJson(*r));
    }
    ReplyJson(res, NotFound("load balancer " + req.matches[1].str() + " has no listener on port " + std::to_string(port))
                       .WithErrorCode("ListenerNotFound"));
  });
  server.Get(R"(/v1/load-balancers/([^/]+)/listeners)", [s](const httplib::Request& req, httplib::Response& res) {
    auto ls = s->DescribeListeners(req.matches[1].str(), {});
    if (!ls.ok()) return ReplyJson(res, ls.status());
    ReplyJson(res, ListenersJson(*ls));
  });
}

void MountListenersAndRules(httplib::Server& server, elb::LoadBalancerService* s) {
  // Listener and rule ARNs contain '/', so they travel in the body or the query, not the path.
  server.Post("/v1/listeners/delete", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    Status st = s->DeleteListener(body->value("ListenerArn", ""));
    ReplyStatus(res, st);
  });
  // A rule: Hosts/Paths/TargetGroup shorthand, or ELBv2's Conditions and Actions.
  server.Post("/v1/rules", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string listener, tg;
    int priority = 0;
    std::vector<std::string> hosts, paths;
    Status st = Field(*body, "ListenerArn", listener);
    if (st.ok()) st = Field(*body, "Priority", priority);
    if (st.ok()) st = Field(*body, "Hosts", hosts);
    if (st.ok()) st = Field(*body, "Paths", paths);
    if (st.ok()) st = Field(*body, "TargetGroup", tg);
    if (!st.ok()) return ReplyJson(res, st);
    if (!body->contains("Conditions") && !body->contains("Actions")) {
      auto r = s->CreateRule(listener, priority, hosts, paths, tg);
      return ReplyJson(res, r.ok() ? Result<json>(elb::ToJson(*r)) : Result<json>(r.status()));
    }
    auto conditions = elb::ConditionsFromJson(body->value("Conditions", json::array()));
    if (!conditions.ok()) return ReplyJson(res, conditions.status());
    auto action = elb::ActionsFromJson(body->value("Actions", json::array()));
    if (!action.ok()) return ReplyJson(res, action.status());
    auto r = s->CreateRule(listener, priority, *conditions, *action);
    if (!r.ok()) return ReplyJson(res, r.status());
    ReplyJson(res, elb::ToJson(*r));
  });
  // An HTTPS or TLS listener's certificates; POST adds SNI certificates, POST .../remove removes them.
  server.Get("/v1/listener-certificates", [s](const httplib::Request& req, httplib::Response& res) {
    auto certs = s->DescribeListenerCertificates(req.get_param_value("listener"));
    if (!certs.ok()) return ReplyJson(res, certs.status());
    json a = json::array();
    for (size_t i = 0; i < certs->size(); i++) a.push_back({{"CertificateArn", (*certs)[i]}, {"IsDefault", i == 0}});
    ReplyJson(res, json{{"Certificates", a}});
  });
  server.Post(R"(/v1/listener-certificates(/remove)?)", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    std::string listener;
    std::vector<std::string> certs;
    Status st = Field(*body, "ListenerArn", listener);
    if (st.ok()) st = Field(*body, "Certificates", certs);
    if (!st.ok()) return ReplyJson(res, st);
    ReplyStatus(res, req.matches[1].matched ? s->RemoveListenerCertificates(listener, certs)
                                            : s->AddListenerCertificates(listener, certs));
  });
  server.Get("/v1/rules", [s](const httplib::Request& req, httplib::Response& res) {
    auto rules = s->DescribeRules(req.get_param_value("listener"));
    if (!rules.ok()) return ReplyJson(res, rules.status());
    json a = json::array();
    for (const auto& [r, is_default] : *rules) a.push_back(elb::ToJson(r, is_default));
    ReplyJson(res, json{{"Rules", a}});
  });
}

void MountTargetGroups(httplib::Server& server, elb::LoadBalancerService* s) {
  server.Post("/v1/target-groups", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    elb::TargetGroup tg;
    std::string algorithm;
    Status st = Field(*body, "Name", tg.name);
    if (st.ok()) st = Field(*body, "Protocol", tg.protocol);
    if (st.ok()) st = Field(*body, "Port", tg.port);
    if (st.ok()) st = Field(*body, "TargetType", tg.target_type);
    if (st.ok()) st = ParseHealthCheck(*body, tg.health_check);
    if (st.ok()) st = Field(*body, "Algorithm", algorithm);
    if (!st.ok()) return ReplyJson(res, st);
    std::map<std::string, std::string> attributes;
    if (!algorithm.empty()) attributes["load_balancing.algorithm.type"] = algorithm;
    auto created = s->CreateTargetGroup(tg, attributes);
    if (!created.ok()) return ReplyJson(res, created.status());
    ReplyJson(res, elb::ToJson(*created));
  });
  server.Get("/v1/target-groups", [s](const httplib::Request&, httplib::Response& res) {
    auto tgs = s->DescribeTargetGroups({}, "");
    if (!tgs.ok()) return ReplyJson(res, tgs.status());
    json a = json::array();
    for (const auto& tg : *tgs) a.push_back(elb::ToJson(tg));
    ReplyJson(res, json{{"TargetGroups", a}});
  });
  server.Get(R"(/v1/target-groups/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto tg = s->FindTargetGroup(req.matches[1].str());
    if (!tg.ok()) return ReplyJson(res, tg.status());
    ReplyJson(res, elb::ToJson(*tg));
  });
  server.Patch(R"(/v1/target-groups/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto tg = s->FindTargetGroup(req.matches[1].str());
    if (!tg.ok()) return ReplyJson(res, tg.status());
    elb::TargetGroupHealthCheck hc = tg->health_check;
    Status st = ParseHealthCheck(*body, hc);
    if (!st.ok()) return ReplyJson(res, st);
    std::map<std::string, std::string> attrs;
    if (body->contains("Attributes")) {
      if (!(*body)["Attributes"].is_object()) {
        return ReplyJson(res, InvalidArgument("field Attributes has the wrong type").WithErrorCode("ValidationError"));
      }
      for (const auto& [k, v] : (*body)["Attributes"].items()) attrs[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    auto updated = s->ModifyTargetGroup(tg->arn, hc, attrs);
    if (!updated.ok()) return ReplyJson(res, updated.status());
    ReplyJson(res, elb::ToJson(*updated));
  });
  server.Delete(R"(/v1/target-groups/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    Status st = s->DeleteTargetGroup(req.matches[1].str());
    ReplyStatus(res, st);
  });
  server.Post(R"(/v1/target-groups/([^/]+)/(register|deregister))", [s](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req);
    if (!body.ok()) return ReplyJson(res, body.status());
    auto targets = elb::ParseTargets(*body);
    if (!targets.ok()) return ReplyJson(res, targets.status());
    Status st = req.matches[2].str() == "register" ? s->RegisterTargets(req.matches[1].str(), *targets)
                                                   : s->DeregisterTargets(req.matches[1].str(), *targets);
    ReplyStatus(res, st);
  });
  server.Get(R"(/v1/target-groups/([^/]+)/health)", [s](const httplib::Request& req, httplib::Response& res) {
    auto health = s->DescribeTargetHealth(req.matches[1].str(), {});
    if (!health.ok()) return ReplyJson(res, health.status());
    json a = json::array();
    for (const auto& h : *health) {
      a.push_back({{"Target", {{"Id", h.target.id}, {"Port", h.target.port}}},
                   {"TargetHealth", {{"State", h.state}, {"Reason", h.reason}, {"Description", h.description}}}});
    }
    ReplyJson(res, json{{"TargetHealthDescriptions", a}});
  });
}

}  // namespace

void MountLoadBalancerRoutes(httplib::Server& server, elb::LoadBalancerService* service) {
  MountLoadBalancers(server, service);
  MountListenersAndRules(server, service);
  MountTargetGroups(server, service);
}

}  // namespace stratus
