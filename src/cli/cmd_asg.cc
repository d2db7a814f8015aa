// stratus asg create|list|show|instances|activities|set-desired|update|terminate|delete|policy|refresh
// (EC2 Auto Scaling groups)
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

namespace {

int CountState(const Json& g, const char* state) {
  int n = 0;
  for (const auto& i : g.value("Instances", Json::array())) n += i.value("LifecycleState", "") == state;
  return n;
}

Columns GroupColumns() {
  return {{"NAME", [](const Json& j) { return FieldText(j, "AutoScalingGroupName"); }},
          {"TEMPLATE", [](const Json& j) {
             return FieldText(j, "LaunchTemplate", "LaunchTemplateName") + ":" + FieldText(j, "LaunchTemplate", "Version");
           }},
          {"MIN", [](const Json& j) { return FieldText(j, "MinSize"); }},
          {"MAX", [](const Json& j) { return FieldText(j, "MaxSize"); }},
          {"DESIRED", [](const Json& j) { return FieldText(j, "DesiredCapacity"); }},
          {"INSERVICE", [](const Json& j) { return std::to_string(CountState(j, "InService")); }},
          {"PENDING", [](const Json& j) { return std::to_string(CountState(j, "Pending")); }},
          {"STATUS", [](const Json& j) { return FieldText(j, "Status"); }}};
}

Columns GroupDetails() {
  Columns c = GroupColumns();
  c.push_back({"TARGET GROUPS", [](const Json& j) { return FieldText(j, "TargetGroupARNs"); }});
  c.push_back({"HEALTH CHECK", [](const Json& j) {
                 return FieldText(j, "HealthCheckType") + " (grace " + FieldText(j, "HealthCheckGracePeriod") + " s)";
               }});
  c.push_back({"SUBNETS", [](const Json& j) { return FieldText(j, "VPCZoneIdentifier"); }});
  c.push_back({"INSTANCES", [](const Json& j) {
                 std::string out;
                 for (const auto& i : j.value("Instances", Json::array())) {
                   out += (out.empty() ? "" : ", ") + FieldText(i, "InstanceId") + " " + FieldText(i, "LifecycleState") + " " +
                          FieldText(i, "HealthStatus") + " v" + FieldText(i["LaunchTemplate"], "Version");
                 }
                 return out;
               }});
  return c;
}

std::string GroupPath(const std::string& name) { return "/v1/auto-scaling-groups/" + name; }

void AddCreate(CLI::App* asg, CliContext& ctx) {
  struct Args {
    std::string name, tmpl, version = "$Default", health = "EC2";
    int min = 0, max = 0, desired = -1, grace = -1;
    double max_spend = 0;
    std::vector<std::string> target_groups, subnets, tags;
  };
  auto a = std::make_shared<Args>();
  CLI::App* create = asg->add_subcommand("create", "Create an auto scaling group");
  create->add_option("NAME", a->name, "group name")->required();
  create->add_option("--template", a->tmpl, "launch template id or name")->required();
  create->add_option("--version", a->version, "template version: N, $Latest or $Default")->capture_default_str();
  create->add_option("--min", a->min, "minimum size")->required();
  create->add_option("--max", a->max, "maximum size")->required();
  create->add_option("--desired", a->desired, "desired capacity (default: min)");
  create->add_option("--target-group", a->target_groups, "target group name or ARN; repeatable");
  create->add_option("--subnet", a->subnets, "subnet id; repeatable (default: every subnet)");
  create->add_option("--health-check", a->health, "EC2 or ELB")->check(CLI::IsMember({"EC2", "ELB"}));
  create->add_option("--grace", a->grace, "health check grace period, seconds");
  create->add_option("--max-spend-per-hour", a->max_spend, "budget in USD per hour; a scale-out past it is refused");
  create->add_option("--tag", a->tags, "KEY=VALUE propagated to instances; repeatable")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, a]() -> int {
    Json body = {{"AutoScalingGroupName", a->name},
                 {"LaunchTemplate", {{"LaunchTemplateName", a->tmpl}, {"Version", a->version}}},
                 {"MinSize", a->min}, {"MaxSize", a->max}, {"HealthCheckType", a->health}};
    if (a->tmpl.rfind("lt-", 0) == 0) body["LaunchTemplate"] = {{"LaunchTemplateId", a->tmpl}, {"Version", a->version}};
    if (a->desired >= 0) body["DesiredCapacity"] = a->desired;
    if (a->grace >= 0) body["HealthCheckGracePeriod"] = a->grace;
    if (a->max_spend > 0) body["MaxSpendPerHour"] = a->max_spend;
    if (!a->target_groups.empty()) body["TargetGroupARNs"] = a->target_groups;
    std::string zones;
    for (const auto& s : a->subnets) zones += (zones.empty() ? "" : ",") + s;
    if (!zones.empty()) body["VPCZoneIdentifier"] = zones;
    for (const auto& t : a->tags) {
      auto kv = ParseKeyValue(t, "--tag");
      if (!kv.ok()) return ctx.UsageError(kv.status());
      body["Tags"].push_back({{"Key", kv->key}, {"Value", kv->value}, {"PropagateAtLaunch", true}});
    }
    return ctx.ShowEach({MakeRequest("POST", "/v1/auto-scaling-groups", body)}, "AutoScalingGroup", GroupColumns());
  });
}

void AddReads(CLI::App* asg, CliContext& ctx) {
  CLI::App* list = asg->add_subcommand("list", "List auto scaling groups");
  OnSelected(list, ctx, [&ctx] {
    return ctx.List(MakeRequest("GET", "/v1/auto-scaling-groups"), "AutoScalingGroups", GroupColumns());
  });
  AddShowEach(asg, ctx,
              {"show", "Show groups in detail", "NAME", "group names",
               [](const std::string& n) { return MakeRequest("GET", GroupPath(n)); }},
              "AutoScalingGroup", GroupDetails);
  auto name = std::make_shared<std::string>();
  CLI::App* acts = asg->add_subcommand("activities", "A group's scaling activities, newest first");
  acts->add_option("NAME", *name, "group name")->required();
  OnSelected(acts, ctx, [&ctx, name] {
    Columns cols = {{"START", [](const Json& j) { return FieldText(j, "StartTime"); }},
                    {"STATUS", [](const Json& j) { return FieldText(j, "StatusCode"); }},
                    {"DESCRIPTION", [](const Json& j) { return FieldText(j, "Description"); }},
                    {"CAUSE", [](const Json& j) { return FieldText(j, "Cause"); }}};
    return ctx.List(MakeRequest("GET", GroupPath(*name) + "/activities"), "Activities", cols);
  });
  CLI::App* inst = asg->add_subcommand("instances", "Instances of every group");
  OnSelected(inst, ctx, [&ctx] {
    Columns cols = {{"INSTANCE", [](const Json& j) { return FieldText(j, "InstanceId"); }},
                    {"GROUP", [](const Json& j) { return FieldText(j, "AutoScalingGroupName"); }},
                    {"LIFECYCLE", [](const Json& j) { return FieldText(j, "LifecycleState"); }},
                    {"HEALTH", [](const Json& j) { return FieldText(j, "HealthStatus"); }},
                    {"VERSION", [](const Json& j) { return FieldText(j, "LaunchTemplate", "Version"); }},
                    {"PROTECTED", [](const Json& j) { return FieldText(j, "ProtectedFromScaleIn"); }}};
    return ctx.List(MakeRequest("GET", "/v1/auto-scaling-instances"), "AutoScalingInstances", cols);
  });
}

void AddChanges(CLI::App* asg, CliContext& ctx) {
  auto sd = std::make_shared<std::pair<std::string, int>>();
  CLI::App* set = asg->add_subcommand("set-desired", "Set the desired capacity");
  set->add_option("NAME", sd->first, "group name")->required();
  set->add_option("N", sd->second, "desired capacity")->required();
  OnSelected(set, ctx, [&ctx, sd] {
    return ctx.ShowEach({MakeRequest("POST", GroupPath(sd->first) + "/desired-capacity", Json{{"DesiredCapacity", sd->second}})},
                        "AutoScalingGroup", GroupColumns());
  });
  struct Del {
    std::vector<std::string> names;
    bool force = false;
  };
  auto del = std::make_shared<Del>();
  CLI::App* remove = asg->add_subcommand("delete", "Delete groups");
  remove->add_option("NAME", del->names, "group names")->required();
  remove->add_flag("--force", del->force, "terminate the instances too (ForceDelete)");
  OnSelected(remove, ctx, [&ctx, del] {
    std::vector<ApiRequest> reqs;
    for (const auto& n : del->names) {
      ApiRequest r = MakeRequest("DELETE", GroupPath(n));
      if (del->force) r.query.push_back({"force", "true"});
      reqs.push_back(r);
    }
    if (del->force || ctx.json_output()) return ctx.SendEach(reqs);
    // A group with instances is refused without --force: say so where the refusal is printed.
    int code = kExitOk;
    for (size_t k = 0; k < reqs.size(); k++) {
      Result<Json> response = ctx.Call(reqs[k]);
      if (response.ok()) continue;
      code = ctx.Failure(response.status());
      if (response.status().message().find("instance") != std::string::npos) {
        ctx.err() << "hint: stratus asg delete " << del->names[k] << " --force terminates its instances too\n";
      }
    }
    return code;
  });
  struct Term {
    std::string id;
    bool decrement = false;
  };
  auto term = std::make_shared<Term>();
  CLI::App* terminate = asg->add_subcommand("terminate", "Terminate one instance of a group");
  terminate->add_option("INSTANCE", term->id, "instance id")->required();
  terminate->add_flag("--decrement", term->decrement, "lower the desired capacity instead of replacing it");
  OnSelected(terminate, ctx, [&ctx, term] {
    Columns cols = {{"ACTIVITY", [](const Json& j) { return FieldText(j, "ActivityId"); }},
                    {"DESCRIPTION", [](const Json& j) { return FieldText(j, "Description"); }}};
    return ctx.ShowEach({MakeRequest("POST", "/v1/auto-scaling-instances/" + term->id + "/terminate",
                                 Json{{"ShouldDecrementDesiredCapacity", term->decrement}})},
                        "Activity", cols);
  });
}

void AddPolicyAndRefresh(CLI::App* asg, CliContext& ctx) {
  struct Pol {
    std::string group, name = "target-tracking", target_group;
    double cpu = 0, requests = 0;
    int warmup = -1, period = 0, stabilization = -1;
    bool no_scale_in = false;
  };
  auto p = std::make_shared<Pol>();
  CLI::App* policy = asg->add_subcommand("policy", "Put a target tracking policy on a group");
  policy->add_option("NAME", p->group, "group name")->required();
  policy->add_option("--name", p->name, "policy name")->capture_default_str();
  auto* cpu = policy->add_option("--target-cpu", p->cpu, "keep the group's average CPU at this percent");
  auto* req = policy->add_option("--target-requests-per-target", p->requests, "requests per target per minute");
  cpu->excludes(req);
  policy->add_option("--resource-label", p->target_group, "app/<lb>/<id>/targetgroup/<tg>/<id> (requests)");
  policy->add_option("--warmup", p->warmup, "instance warmup, seconds");
  policy->add_option("--period", p->period, "metric period, seconds (default 1)");
  policy->add_option("--stabilization", p->stabilization, "scale-in stabilisation window, seconds (default 30)");
  policy->add_flag("--disable-scale-in", p->no_scale_in, "never scale in");
  OnSelected(policy, ctx, [&ctx, p]() -> int {
    if (p->cpu <= 0 && p->requests <= 0) return ctx.UsageError(InvalidArgument("--target-cpu or --target-requests-per-target is required"));
    Json tt = {{"DisableScaleIn", p->no_scale_in}};
    if (p->cpu > 0) {
      tt["TargetValue"] = p->cpu;
      tt["PredefinedMetricSpecification"] = {{"PredefinedMetricType", "ASGAverageCPUUtilization"}};
    } else {
      tt["TargetValue"] = p->requests;
      tt["PredefinedMetricSpecification"] = {{"PredefinedMetricType", "ALBRequestCountPerTarget"},
                                             {"ResourceLabel", p->target_group}};
    }
    if (p->period > 0) tt["MetricPeriod"] = p->period;
    if (p->stabilization >= 0) tt["ScaleInStabilizationSeconds"] = p->stabilization;
    Json body = {{"PolicyType", "TargetTrackingScaling"}, {"TargetTrackingConfiguration", tt}};
    if (p->warmup >= 0) body["EstimatedInstanceWarmup"] = p->warmup;
    Columns cols = {{"POLICY", [](const Json& j) { return FieldText(j, "PolicyARN"); }},
                    {"ALARMS", [](const Json& j) { return FieldText(j, "Alarms"); }}};
    return ctx.ShowEach({MakeRequest("PUT", GroupPath(p->group) + "/policies/" + p->name, body)}, "", cols);
  });
  struct Ref {
    std::string group;
    int min_healthy = 90, warmup = -1;
  };
  auto r = std::make_shared<Ref>();
  CLI::App* refresh = asg->add_subcommand("refresh", "Roll the group onto its launch template's version");
  refresh->add_option("NAME", r->group, "group name")->required();
  refresh->add_option("--min-healthy", r->min_healthy, "MinHealthyPercentage")->capture_default_str()->check(CLI::Range(0, 100));
  refresh->add_option("--warmup", r->warmup, "InstanceWarmup, seconds");
  OnSelected(refresh, ctx, [&ctx, r] {
    Json prefs = {{"MinHealthyPercentage", r->min_healthy}};
    if (r->warmup >= 0) prefs["InstanceWarmup"] = r->warmup;
    Columns cols = {{"REFRESH", [](const Json& j) { return FieldText(j, "InstanceRefreshId"); }}};
    return ctx.ShowEach({MakeRequest("POST", GroupPath(r->group) + "/instance-refreshes", Json{{"Preferences", prefs}})}, "",
                        cols);
  });
}

}  // namespace

void RegisterAsgCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* asg = AddNoun(root, "asg", "Auto scaling groups");
  AddCreate(asg, ctx);
  AddReads(asg, ctx);
  AddChanges(asg, ctx);
  AddPolicyAndRefresh(asg, ctx);
}

}  // namespace stratus::cli
