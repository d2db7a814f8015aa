// stratus lb create|list|show|delete|listen|route and stratus tg create|list|show|delete|register|deregister|health
#include <algorithm>
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

namespace {

Columns LbColumns() {
  return {{"NAME", [](const Json& j) { return FieldText(j, "LoadBalancerName"); }},
          {"TYPE", [](const Json& j) { return FieldText(j, "Type"); }},
          {"STATE", [](const Json& j) { return FieldText(j, "State", "Code"); }},
          {"ADDRESS", [](const Json& j) { return FieldText(j, "DNSName"); }},
          {"ARN", [](const Json& j) { return FieldText(j, "LoadBalancerArn"); }}};
}

Columns LbDetails() {
  Columns c = LbColumns();
  c.push_back({"LISTENERS", [](const Json& j) {
                 std::string out;
                 for (const auto& l : j.value("Listeners", Json::array())) {
                   out += (out.empty() ? "" : ", ") + FieldText(l, "Protocol") + ":" + FieldText(l, "Port");
                 }
                 return out;
               }});
  return c;
}

Columns TgColumns() {
  return {{"NAME", [](const Json& j) { return FieldText(j, "TargetGroupName"); }},
          {"PROTOCOL", [](const Json& j) { return FieldText(j, "Protocol"); }},
          {"PORT", [](const Json& j) { return FieldText(j, "Port"); }},
          {"HEALTH CHECK", [](const Json& j) {
             return FieldText(j, "HealthCheckProtocol") + " " + FieldText(j, "HealthCheckPath") + " every " +
                    FieldText(j, "HealthCheckIntervalSeconds") + "s";
           }},
          {"TARGETS", [](const Json& j) { return std::to_string(j.value("Targets", Json::array()).size()); }}};
}

Columns TgDetails() {
  Columns c = TgColumns();
  c.push_back({"ARN", [](const Json& j) { return FieldText(j, "TargetGroupArn"); }});
  c.push_back({"ATTRIBUTES", [](const Json& j) { return FieldText(j, "Attributes"); }});
  return c;
}

Columns HealthColumns() {
  return {{"TARGET", [](const Json& j) { return FieldText(j, "Target", "Id"); }},
          {"PORT", [](const Json& j) { return FieldText(j, "Target", "Port"); }},
          {"STATE", [](const Json& j) { return FieldText(j, "TargetHealth", "State"); }},
          {"REASON", [](const Json& j) { return FieldText(j, "TargetHealth", "Reason"); }},
          {"DESCRIPTION", [](const Json& j) { return FieldText(j, "TargetHealth", "Description"); }}};
}

// "i-0abc:8080" -> {"Id": "i-0abc", "Port": 8080}; "i-0abc" -> {"Id": "i-0abc"}.
Result<Json> TargetsJson(const std::vector<std::string>& specs) {
  Json targets = Json::array();
  for (const auto& s : specs) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) {
      targets.push_back({{"Id", s}});
      continue;
    }
    int port = atoi(s.c_str() + colon + 1);
    if (port < 1 || port > 65535) return InvalidArgument("target " + s + ": the port is not 1 to 65535");
    targets.push_back({{"Id", s.substr(0, colon)}, {"Port", port}});
  }
  return Json{{"Targets", targets}};
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

void RegisterLb(CLI::App& root, CliContext& ctx) {
  CLI::App* lb = AddNoun(root, "lb", "Load balancers (ELBv2 application and network load balancers)");

  struct CreateArgs {
    std::string name, protocol = "http", target_group, ssl_policy;
    std::vector<std::string> certificates;
    int port = 0;
  };
  // The listener members of the create and listen commands.
  auto listener_json = [](const CreateArgs& a) {
    Json j = {{"Port", a.port}, {"Protocol", Upper(a.protocol)}, {"TargetGroup", a.target_group}};
    if (!a.certificates.empty()) j["Certificates"] = a.certificates;
    if (!a.ssl_policy.empty()) j["SslPolicy"] = a.ssl_policy;
    return j;
  };
  auto tls_options = [](CLI::App* cmd, CreateArgs& a) {
    cmd->add_option("--protocol", a.protocol, "http, https, tcp or tls")
        ->check(CLI::IsMember({"http", "https", "tcp", "tls"}))
        ->capture_default_str();
    cmd->add_option("--certificate", a.certificates,
                    "https/tls: certificate id or ARN (stratus cert list); the first is the default, the others are "
                    "chosen by SNI; repeatable");
    cmd->add_option("--ssl-policy", a.ssl_policy, "https/tls: ELBSecurityPolicy-... (default ELBSecurityPolicy-2016-08)");
  };
  auto c = std::make_shared<CreateArgs>();
  CLI::App* create = lb->add_subcommand("create", "Create a load balancer, with a listener when --port is given");
  create->add_option("NAME", c->name, "load balancer name")->required();
  create->add_option("--port", c->port, "listener port on the host");
  tls_options(create, *c);
  create->add_option("--target-group", c->target_group, "target group the listener forwards to");
  OnSelected(create, ctx, [&ctx, c, listener_json]() -> int {
    if (c->port && c->target_group.empty()) return ctx.UsageError(InvalidArgument("--port needs --target-group"));
    bool network = c->protocol == "tcp" || c->protocol == "tls";
    Json body = {{"Name", c->name}, {"Type", network ? "network" : "application"}};
    if (c->port) {
      // One call: a listener the daemon refuses (a port in use) leaves no load balancer behind.
      body["Listeners"] = Json::array({listener_json(*c)});
    }
    auto created = ctx.Call(MakeRequest("POST", "/v1/load-balancers", body));
    if (!created.ok()) return ctx.Failure(created.status());
    return ctx.ShowEach({MakeRequest("GET", "/v1/load-balancers/" + c->name)}, "", LbDetails());
  });

  CLI::App* list = lb->add_subcommand("list", "List load balancers");
  OnSelected(list, ctx, [&ctx] { return ctx.List(MakeRequest("GET", "/v1/load-balancers"), "LoadBalancers", LbColumns()); });

  AddShowEach(lb, ctx,
              {"show", "Show load balancers with their listeners", "NAME", "names or ARNs",
               [](const std::string& n) { return MakeRequest("GET", "/v1/load-balancers/" + n); }},
              "", LbDetails);
  AddSendEach(lb, ctx,
              {"delete", "Delete load balancers", "NAME", "names or ARNs",
               [](const std::string& n) { return MakeRequest("DELETE", "/v1/load-balancers/" + n); }});

  auto l = std::make_shared<CreateArgs>();
  CLI::App* listen = lb->add_subcommand("listen", "Add a listener forwarding to a target group (its default action)");
  listen->add_option("LB", l->name, "load balancer")->required();
  listen->add_option("--port", l->port, "listener port on the host")->required();
  listen->add_option("--target-group", l->target_group, "target group")->required();
  tls_options(listen, *l);
  OnSelected(listen, ctx, [&ctx, l, listener_json] {
    return ctx.ShowEach({MakeRequest("POST", "/v1/load-balancers/" + l->name + "/listeners", listener_json(*l))}, "",
                        {{"LISTENER", [](const Json& j) { return FieldText(j, "ListenerArn"); }},
                         {"PORT", [](const Json& j) { return FieldText(j, "Port"); }}});
  });

  struct RouteArgs {
    std::string lb, target_group;
    int port = 0, priority = 0;
    std::vector<std::string> hosts, paths;
  };
  auto r = std::make_shared<RouteArgs>();
  CLI::App* route = lb->add_subcommand("route", "Add a rule: requests matching --host/--path go to a target group");
  route->add_option("LB", r->lb, "load balancer")->required();
  route->add_option("--port", r->port, "the listener's port")->required();
  route->add_option("--priority", r->priority, "1 to 50000; lower wins")->required();
  route->add_option("--host", r->hosts, "host-header value (may start with *.); repeatable");
  route->add_option("--path", r->paths, "path pattern such as /api/*; repeatable");
  route->add_option("--target-group", r->target_group, "target group")->required();
  OnSelected(route, ctx, [&ctx, r] {
    Json body = {{"Port", r->port}, {"Priority", r->priority}, {"Hosts", r->hosts}, {"Paths", r->paths},
                 {"TargetGroup", r->target_group}};
    return ctx.ShowEach({MakeRequest("POST", "/v1/load-balancers/" + r->lb + "/rules", body)}, "",
                        {{"RULE", [](const Json& j) { return FieldText(j, "RuleArn"); }},
                         {"PRIORITY", [](const Json& j) { return FieldText(j, "Priority"); }}});
  });
}

void RegisterTg(CLI::App& root, CliContext& ctx) {
  CLI::App* tg = AddNoun(root, "tg", "Target groups: where load balancers send traffic, with health checks");

  struct CreateArgs {
    std::string name, protocol = "http", health_path, algorithm;
    int port = 80, interval = 0, deregistration_delay = -1, stickiness = 0;
  };
  auto c = std::make_shared<CreateArgs>();
  CLI::App* create = tg->add_subcommand("create", "Create a target group");
  create->add_option("NAME", c->name, "target group name")->required();
  create->add_option("--port", c->port, "targets' traffic port")->required();
  create->add_option("--protocol", c->protocol, "http or tcp")->check(CLI::IsMember({"http", "tcp"}))->capture_default_str();
  create->add_option("--health-path", c->health_path, "HTTP health check path (default /)");
  create->add_option("--health-interval", c->interval, "seconds between health checks");
  create->add_option("--algorithm", c->algorithm, "round_robin, least_outstanding_requests or weighted_random");
  create->add_option("--deregistration-delay", c->deregistration_delay, "seconds a deregistered target drains");
  create->add_option("--stickiness", c->stickiness, "lb_cookie stickiness duration in seconds (0: off)");
  OnSelected(create, ctx, [&ctx, c]() -> int {
    Json body = {{"Name", c->name}, {"Port", c->port}, {"Protocol", Upper(c->protocol)}};
    if (!c->health_path.empty()) body["HealthCheckPath"] = c->health_path;
    if (c->interval) {
      body["HealthCheckIntervalSeconds"] = c->interval;
      body["HealthCheckTimeoutSeconds"] = std::min(2, c->interval);  // the timeout may not exceed the interval
    }
    if (!c->algorithm.empty()) body["Algorithm"] = c->algorithm;
    auto created = ctx.Call(MakeRequest("POST", "/v1/target-groups", body));
    if (!created.ok()) return ctx.Failure(created.status());
    Json attrs = Json::object();
    if (c->deregistration_delay >= 0) attrs["deregistration_delay.timeout_seconds"] = std::to_string(c->deregistration_delay);
    if (c->stickiness > 0) {
      attrs["stickiness.enabled"] = "true";
      attrs["stickiness.lb_cookie.duration_seconds"] = std::to_string(c->stickiness);
    }
    std::vector<ApiRequest> show = {MakeRequest("GET", "/v1/target-groups/" + c->name)};
    if (!attrs.empty()) show = {MakeRequest("PATCH", "/v1/target-groups/" + c->name, Json{{"Attributes", attrs}})};
    return ctx.ShowEach(show, "", TgDetails());
  });

  CLI::App* list = tg->add_subcommand("list", "List target groups");
  OnSelected(list, ctx, [&ctx] { return ctx.List(MakeRequest("GET", "/v1/target-groups"), "TargetGroups", TgColumns()); });

  AddShowEach(tg, ctx,
              {"show", "Show target groups", "TG", "names or ARNs",
               [](const std::string& n) { return MakeRequest("GET", "/v1/target-groups/" + n); }},
              "", TgDetails);
  AddSendEach(tg, ctx,
              {"delete", "Delete target groups", "TG", "names or ARNs",
               [](const std::string& n) { return MakeRequest("DELETE", "/v1/target-groups/" + n); }});

  for (const char* verb : {"register", "deregister"}) {
    auto args = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
    CLI::App* sub = tg->add_subcommand(verb, std::string(verb == std::string("register") ? "Register" : "Deregister") +
                                                 " targets (instance ids or IPs, optionally :PORT)");
    sub->add_option("TG", args->first, "target group")->required();
    sub->add_option("TARGET", args->second, "ID[:PORT]")->required();
    std::string v = verb;
    OnSelected(sub, ctx, [&ctx, args, v]() -> int {
      auto body = TargetsJson(args->second);
      if (!body.ok()) return ctx.UsageError(body.status());
      return ctx.SendEach({MakeRequest("POST", "/v1/target-groups/" + args->first + "/" + v, *body)});
    });
  }

  auto health_tg = std::make_shared<std::string>();
  CLI::App* health = tg->add_subcommand("health", "Health of each target, as the load balancer sees it");
  health->add_option("TG", *health_tg, "target group")->required();
  OnSelected(health, ctx, [&ctx, health_tg] {
    return ctx.List(MakeRequest("GET", "/v1/target-groups/" + *health_tg + "/health"), "TargetHealthDescriptions",
                    HealthColumns());
  });
}

}  // namespace

void RegisterLoadBalancerCommands(CLI::App& root, CliContext& ctx) {
  RegisterLb(root, ctx);
  RegisterTg(root, ctx);
}

}  // namespace stratus::cli
