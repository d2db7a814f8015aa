// EC2 Auto Scaling over AutoScalingService. Group and policy fields are parsed by the scaling layer's readers
// (scaling/request_json.h), which take AWS member names, so both front ends read requests the same way.
#include <algorithm>
#include <cmath>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "scaling/auto_scaling_service.h"
#include "scaling/request_json.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "autoscaling";
using Output = StratusAwsHandler::Output;
using scaling::AutoScalingService;

bool Wanted(const std::vector<std::string>& list, const std::string& v) {
  return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
}

std::string GroupName(const json& in) { return Str(in, "AutoScalingGroupName"); }

// The group the request's AutoScalingGroupName names, or every group when it names none (the Describe* calls
// of policies, activities and scheduled actions filter this way).
std::vector<scaling::AutoScalingGroup> GroupsNamedIn(const AutoScalingService& svc, const json& in) {
  std::string group = GroupName(in);
  return svc.DescribeGroups(group.empty() ? std::vector<std::string>{} : std::vector<std::string>{group});
}

Output CreateOrUpdate(AutoScalingService& svc, const json& in, bool create) {
  AWS_ASSIGN_OR_RETURN(spec, scaling::ParseGroupSpec(in));
  if (create) {
    AWS_ASSIGN_OR_RETURN(g, svc.CreateGroup(spec));
    (void)g;
  } else {
    AWS_ASSIGN_OR_RETURN(g, svc.UpdateGroup(spec));
    (void)g;
  }
  return json::object();
}

Output DescribeGroups(AutoScalingService& svc, const json& in) {
  json out = json::array();
  for (const auto& g : svc.DescribeGroups(StrList(in, "AutoScalingGroupNames"))) out.push_back(DropEmpty(scaling::ToJson(g)));
  return json{{"AutoScalingGroups", out}};
}

Output PutScalingPolicy(AutoScalingService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(policy, scaling::ParseScalingPolicy(in));
  AWS_ASSIGN_OR_RETURN(p, svc.PutScalingPolicy(GroupName(in), policy));
  json alarms = json::array();
  for (const auto& [name, arn] : p.alarms) alarms.push_back({{"AlarmName", name}, {"AlarmARN", arn}});
  return json{{"PolicyARN", p.policy_arn}, {"Alarms", alarms}};
}

Output DescribePolicies(AutoScalingService& svc, const json& in) {
  auto names = StrList(in, "PolicyNames");
  auto types = StrList(in, "PolicyTypes");
  json out = json::array();
  for (const auto& g : GroupsNamedIn(svc, in)) {
    for (const auto& p : g.policies) {
      bool named = Wanted(names, p.policy_name) || std::find(names.begin(), names.end(), p.policy_arn) != names.end();
      if (named && Wanted(types, p.policy_type)) out.push_back(DropEmpty(scaling::ToJson(g, p)));
    }
  }
  return json{{"ScalingPolicies", out}};
}

Output DescribeActivities(AutoScalingService& svc, const json& in) {
  auto ids = StrList(in, "ActivityIds");
  size_t max = static_cast<size_t>(OptInt(in, "MaxRecords").value_or(100));
  json out = json::array();
  for (const auto& g : GroupsNamedIn(svc, in)) {
    for (const auto& a : g.activities) {
      if (Wanted(ids, a.activity_id) && out.size() < max) out.push_back(DropEmpty(scaling::ToJson(g, a)));
    }
  }
  return json{{"Activities", out}};
}

Output StartRefresh(AutoScalingService& svc, const json& in) {
  json prefs = in.value("Preferences", json::object());
  int min_healthy = static_cast<int>(OptInt(prefs, "MinHealthyPercentage").value_or(90));
  int warmup = static_cast<int>(OptInt(prefs, "InstanceWarmup").value_or(-1));
  AWS_ASSIGN_OR_RETURN(id, svc.StartInstanceRefresh(GroupName(in), min_healthy, warmup));
  return json{{"InstanceRefreshId", id}};
}

Output DescribeRefreshes(AutoScalingService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(g, svc.GetGroup(GroupName(in)));
  auto ids = StrList(in, "InstanceRefreshIds");
  json out = json::array();
  for (const auto& r : g.refreshes) {
    if (Wanted(ids, r.instance_refresh_id)) out.push_back(DropEmpty(scaling::ToJson(g, r)));
  }
  return json{{"InstanceRefreshes", out}};
}

Output PutScheduledAction(AutoScalingService& svc, const json& in) {
  scaling::ScheduledAction a;
  a.name = Str(in, "ScheduledActionName");
  a.recurrence = Str(in, "Recurrence");
  a.time_zone = Str(in, "TimeZone", a.time_zone);
  if (auto t = OptNum(in, "StartTime")) a.start_ms = static_cast<int64_t>(std::llround(*t * 1000));
  if (auto t = OptNum(in, "EndTime")) a.end_ms = static_cast<int64_t>(std::llround(*t * 1000));
  if (auto v = OptInt(in, "MinSize")) a.min_size = static_cast<int>(*v);
  if (auto v = OptInt(in, "MaxSize")) a.max_size = static_cast<int>(*v);
  if (auto v = OptInt(in, "DesiredCapacity")) a.desired_capacity = static_cast<int>(*v);
  AWS_ASSIGN_OR_RETURN(created, svc.PutScheduledAction(GroupName(in), a));
  (void)created;
  return json::object();
}

Output DescribeScheduledActions(AutoScalingService& svc, const json& in) {
  auto names = StrList(in, "ScheduledActionNames");
  json out = json::array();
  for (const auto& g : GroupsNamedIn(svc, in)) {
    for (const auto& a : g.scheduled_actions) {
      if (Wanted(names, a.name)) out.push_back(DropEmpty(scaling::ToJson(g, a)));
    }
  }
  return json{{"ScheduledUpdateGroupActions", out}};
}

Output DescribeInstances(AutoScalingService& svc, const json& in) {
  json out = json::array();
  size_t max = static_cast<size_t>(OptInt(in, "MaxRecords").value_or(50));
  for (const auto& [g, i] : svc.DescribeInstances(StrList(in, "InstanceIds"))) {
    if (out.size() < max) out.push_back(DropEmpty(scaling::ToJson(g, i)));
  }
  return json{{"AutoScalingInstances", out}};
}

}  // namespace

void StratusAwsHandler::RegisterAutoScaling() {
  ServiceOps<AutoScalingService> op(ops_, kService, s_.autoscaling, "auto scaling service");
  op("CreateAutoScalingGroup", [](AutoScalingService& svc, const json& in) { return CreateOrUpdate(svc, in, true); });
  op("UpdateAutoScalingGroup", [](AutoScalingService& svc, const json& in) { return CreateOrUpdate(svc, in, false); });
  op("DeleteAutoScalingGroup", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteGroup(GroupName(in), OptBool(in, "ForceDelete").value_or(false)));
    return json::object();
  });
  op("DescribeAutoScalingGroups", DescribeGroups);
  op("SetDesiredCapacity", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(g, svc.SetDesiredCapacity(GroupName(in), static_cast<int>(OptInt(in, "DesiredCapacity").value_or(0)),
                                                   OptBool(in, "HonorCooldown").value_or(false)));
    (void)g;
    return json::object();
  });
  op("PutScalingPolicy", PutScalingPolicy);
  op("DescribePolicies", DescribePolicies);
  op("DeletePolicy", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeletePolicy(GroupName(in), Str(in, "PolicyName")));
    return json::object();
  });
  op("ExecutePolicy", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.ExecutePolicy(GroupName(in), Str(in, "PolicyName"), OptNum(in, "MetricValue"),
                                          OptBool(in, "HonorCooldown").value_or(false)));
    return json::object();
  });
  op("DescribeScalingActivities", DescribeActivities);
}

void StratusAwsHandler::RegisterAutoScalingActions() {
  ServiceOps<AutoScalingService> op(ops_, kService, s_.autoscaling, "auto scaling service");
  op("TerminateInstanceInAutoScalingGroup", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(r, svc.TerminateInstance(Str(in, "InstanceId"),
                                                  OptBool(in, "ShouldDecrementDesiredCapacity").value_or(false)));
    return json{{"Activity", DropEmpty(scaling::ToJson(r.first, r.second))}};
  });
  op("StartInstanceRefresh", StartRefresh);
  op("DescribeInstanceRefreshes", DescribeRefreshes);
  op("CancelInstanceRefresh", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_ASSIGN_OR_RETURN(id, svc.CancelInstanceRefresh(GroupName(in)));
    return json{{"InstanceRefreshId", id}};
  });
  op("PutScheduledUpdateGroupAction", PutScheduledAction);
  op("DescribeScheduledActions", DescribeScheduledActions);
  op("DeleteScheduledAction", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteScheduledAction(GroupName(in), Str(in, "ScheduledActionName")));
    return json::object();
  });
  op("SuspendProcesses", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.SetProcessesSuspended(GroupName(in), StrList(in, "ScalingProcesses"), true));
    return json::object();
  });
  op("ResumeProcesses", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.SetProcessesSuspended(GroupName(in), StrList(in, "ScalingProcesses"), false));
    return json::object();
  });
  op("SetInstanceProtection", [](AutoScalingService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.SetInstanceProtection(GroupName(in), StrList(in, "InstanceIds"),
                                                  OptBool(in, "ProtectedFromScaleIn").value_or(false)));
    return json::object();
  });
  op("DescribeAutoScalingInstances", DescribeInstances);
}

}  // namespace stratus::aws
