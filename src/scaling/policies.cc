// AutoScalingService: scaling policies (and their alarms), scheduled actions and instance refreshes.
#include <algorithm>
#include <cmath>

#include "common/ids.h"
#include "common/log.h"
#include "scaling/auto_scaling_service.h"
#include "scaling/scaling_math.h"

namespace stratus::scaling {

namespace {

Status Validation(const std::string& message) { return InvalidArgument(message).WithErrorCode("ValidationError"); }

Status ValidatePolicy(const ScalingPolicy& p) {
  if (p.policy_name.empty() || p.policy_name.size() > 255) return Validation("PolicyName must be 1 to 255 characters");
  if (p.policy_type == "TargetTrackingScaling") {
    if (!(p.target_value > 0) || !std::isfinite(p.target_value)) return Validation("TargetValue must be a positive number");
    if (p.predefined_metric_type.empty()) {
      if (p.custom_metric_name.empty() || p.custom_namespace.empty()) {
        return Validation("TargetTrackingConfiguration needs a PredefinedMetricSpecification or a CustomizedMetricSpecification "
                          "with Namespace and MetricName");
      }
    } else if (p.predefined_metric_type == "ALBRequestCountPerTarget") {
      if (p.resource_label.find("targetgroup/") == std::string::npos) {
        return Validation("ALBRequestCountPerTarget needs a ResourceLabel app/<lb>/<id>/targetgroup/<tg>/<id>");
      }
    } else if (p.predefined_metric_type != "ASGAverageCPUUtilization") {
      return Validation("PredefinedMetricType " + p.predefined_metric_type +
                        " is not supported (ASGAverageCPUUtilization, ALBRequestCountPerTarget)");
    }
    if (p.metric_period < 1 || p.scale_in_stabilization < 0 || p.scale_out_periods < 1) {
      return Validation("MetricPeriod >= 1, ScaleOutEvaluationPeriods >= 1 and ScaleInStabilizationSeconds >= 0");
    }
    return Status::Ok();
  }
  if (p.adjustment_type != "ChangeInCapacity" && p.adjustment_type != "ExactCapacity" &&
      p.adjustment_type != "PercentChangeInCapacity") {
    return Validation("AdjustmentType must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity");
  }
  if (p.policy_type == "StepScaling") {
    if (p.step_adjustments.empty()) return Validation("StepScaling needs StepAdjustments");
    return Status::Ok();
  }
  if (p.policy_type == "SimpleScaling") return Status::Ok();
  return Validation("PolicyType must be TargetTrackingScaling, StepScaling or SimpleScaling");
}

std::string TargetGroupDimension(const std::string& resource_label) {
  auto pos = resource_label.find("targetgroup/");
  return pos == std::string::npos ? resource_label : resource_label.substr(pos);
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> AutoScalingService::CreateAlarms(const AutoScalingGroup& g,
                                                                                          const ScalingPolicy& p) {
  std::vector<std::pair<std::string, std::string>> created;
  if (!alarms_ || p.policy_type != "TargetTrackingScaling") return created;
  cloudwatch::MetricAlarm base;
  if (p.predefined_metric_type == "ASGAverageCPUUtilization") {
    base.namespace_ = "AWS/EC2";
    base.metric_name = "CPUUtilization";
    base.dimensions = {{"AutoScalingGroupName", g.name}};
    base.statistic = "Average";
  } else if (p.predefined_metric_type == "ALBRequestCountPerTarget") {
    base.namespace_ = "AWS/ApplicationELB";
    base.metric_name = "RequestCountPerTarget";
    base.dimensions = {{"TargetGroup", TargetGroupDimension(p.resource_label)}};
    base.statistic = "Sum";
  } else {
    base.namespace_ = p.custom_namespace;
    base.metric_name = p.custom_metric_name;
    for (const auto& d : p.custom_dimensions) base.dimensions.push_back({d.name, d.value});
    base.statistic = p.custom_statistic;
  }
  base.period = p.metric_period;
  base.alarm_actions = {p.policy_arn};
  std::string uuid = RandomHex(8) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(12);
  cloudwatch::MetricAlarm high = base;
  high.alarm_name = "TargetTracking-" + g.name + "-AlarmHigh-" + uuid;
  high.alarm_description = "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + p.policy_arn + ".";
  high.evaluation_periods = p.scale_out_periods;
  high.threshold = p.target_value;
  high.comparison_operator = "GreaterThanThreshold";
  auto h = alarms_->PutMetricAlarm(high);
  if (!h.ok()) return h.status().WithContext("creating the target tracking alarm");
  created.emplace_back(h->alarm_name, h->alarm_arn);
  if (!p.disable_scale_in) {
    cloudwatch::MetricAlarm low = base;
    low.alarm_name = "TargetTracking-" + g.name + "-AlarmLow-" + uuid;
    low.alarm_description = high.alarm_description;
    low.evaluation_periods = 15;
    low.threshold = p.target_value * 0.9;
    low.comparison_operator = "LessThanThreshold";
    auto l = alarms_->PutMetricAlarm(low);
    if (!l.ok()) {
      (void)alarms_->DeleteAlarms({h->alarm_name});
      return l.status().WithContext("creating the target tracking alarm");
    }
    created.emplace_back(l->alarm_name, l->alarm_arn);
  }
  return created;
}

void AutoScalingService::DeleteAlarms(const ScalingPolicy& p) {
  if (!alarms_ || p.alarms.empty()) return;
  std::vector<std::string> names;
  for (const auto& [name, arn] : p.alarms) names.push_back(name);
  for (const auto& n : names) {
    Status st = alarms_->DeleteAlarms({n});  // one by one: one already gone must not keep the others
    if (!st.ok()) LogWarn("deleting a target tracking alarm", {{"alarm", n}, {"error", st.ToString()}});
  }
}

Result<ScalingPolicy> AutoScalingService::PutScalingPolicy(const std::string& group, ScalingPolicy policy) {
  STRATUS_RETURN_IF_ERROR(ValidatePolicy(policy));
  AutoScalingGroup g;
  std::optional<ScalingPolicy> old;
  {
    std::lock_guard lock(mu_);
    AutoScalingGroup* found = FindLocked(group);
    if (!found) return Validation("AutoScalingGroup name not found - " + group);
    g = *found;
    for (const auto& p : g.policies) {
      if (p.policy_name == policy.policy_name) old = p;
    }
  }
  policy.policy_arn = old ? old->policy_arn
                          : "arn:aws:autoscaling:" + options_.region + ":" + options_.account + ":scalingPolicy:" +
                                RandomHex(8) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" +
                                RandomHex(12) + ":autoScalingGroupName/" + group + ":policyName/" + policy.policy_name;
  // Alarms are made outside mu_: the alarm service may call back into OnAlarmAction.
  STRATUS_ASSIGN_OR_RETURN(policy.alarms, CreateAlarms(g, policy));
  std::lock_guard lock(mu_);
  AutoScalingGroup* found = FindLocked(group);
  if (!found) {
    DeleteAlarms(policy);
    return Validation("AutoScalingGroup name not found - " + group);
  }
  AutoScalingGroup copy = *found;
  auto it = std::find_if(copy.policies.begin(), copy.policies.end(),
                         [&](const ScalingPolicy& p) { return p.policy_name == policy.policy_name; });
  if (it != copy.policies.end()) *it = policy;
  else copy.policies.push_back(policy);
  Status st = Persist(copy);
  if (!st.ok()) {
    DeleteAlarms(policy);
    return st;
  }
  *found = copy;
  recommendations_.erase(policy.policy_arn);
  if (old) DeleteAlarms(*old);
  return policy;
}

Status AutoScalingService::DeletePolicy(const std::string& group, const std::string& policy_name) {
  ScalingPolicy removed;
  {
    std::lock_guard lock(mu_);
    AutoScalingGroup* g = FindLocked(group);
    if (!g) return Validation("AutoScalingGroup name not found - " + group);
    AutoScalingGroup copy = *g;
    auto it = std::find_if(copy.policies.begin(), copy.policies.end(),
                           [&](const ScalingPolicy& p) { return p.policy_name == policy_name; });
    if (it == copy.policies.end()) return Validation("Policy " + policy_name + " not found in group " + group);
    removed = *it;
    copy.policies.erase(it);
    STRATUS_RETURN_IF_ERROR(Persist(copy));
    *g = copy;
  }
  DeleteAlarms(removed);
  return Status::Ok();
}

Status AutoScalingService::ExecutePolicy(const std::string& group, const std::string& policy_name,
                                         std::optional<double> metric_value, bool honor_cooldown) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(group);
  if (!g) return Validation("AutoScalingGroup name not found - " + group);
  AutoScalingGroup copy = *g;
  for (auto& p : copy.policies) {
    if (p.policy_name != policy_name) continue;
    if (p.policy_type == "TargetTrackingScaling") return Validation("ExecutePolicy does not run target tracking policies");
    if (p.policy_type == "StepScaling" && !metric_value) return Validation("MetricValue is required for a step scaling policy");
    int64_t now = Now();
    if (honor_cooldown && now < copy.last_scaling_ms + (p.cooldown >= 0 ? p.cooldown : copy.default_cooldown) * 1000LL) {
      return FailedPrecondition("the group is in cooldown").WithErrorCode("ScalingActivityInProgress");
    }
    if (!honor_cooldown) copy.last_scaling_ms = 0;
    RunAlarmTrigger(copy, p, nullptr, metric_value, now);
    STRATUS_RETURN_IF_ERROR(Persist(copy));
    *g = copy;
    return Status::Ok();
  }
  return Validation("Policy " + policy_name + " not found in group " + group);
}

Result<ScheduledAction> AutoScalingService::PutScheduledAction(const std::string& group, ScheduledAction action) {
  if (action.name.empty()) return Validation("ScheduledActionName is required");
  if (!action.min_size && !action.max_size && !action.desired_capacity) {
    return Validation("a scheduled action needs MinSize, MaxSize or DesiredCapacity");
  }
  if (action.time_zone.empty()) action.time_zone = "UTC";
  if (action.time_zone != "UTC" && action.time_zone != "Etc/UTC" && action.time_zone != "GMT") {
    return Validation("TimeZone " + action.time_zone + " is not supported yet: Stratus evaluates schedules in UTC");
  }
  int64_t now = Now();
  if (!action.recurrence.empty()) {
    STRATUS_ASSIGN_OR_RETURN(auto cron, CronSchedule::Parse(action.recurrence));
    action.next_run_ms = cron.Next(std::max(now, action.start_ms) - 1);
  } else {
    if (!action.start_ms) return Validation("a scheduled action needs StartTime or Recurrence");
    action.next_run_ms = action.start_ms;
  }
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(group);
  if (!g) return Validation("AutoScalingGroup name not found - " + group);
  AutoScalingGroup copy = *g;
  int min = action.min_size.value_or(copy.min_size), max = action.max_size.value_or(copy.max_size);
  if (min > max) return Validation("Max bound, " + std::to_string(max) + ", must be greater than or equal to min bound, " + std::to_string(min));
  if (action.desired_capacity && (*action.desired_capacity < min || *action.desired_capacity > max)) {
    return Validation("Desired capacity:" + std::to_string(*action.desired_capacity) +
                      " must be between the specified min size:" + std::to_string(min) + " and max size:" + std::to_string(max));
  }
  action.arn = "arn:aws:autoscaling:" + options_.region + ":" + options_.account + ":scheduledUpdateGroupAction:" +
               RandomHex(8) + ":autoScalingGroupName/" + group + ":scheduledActionName/" + action.name;
  auto it = std::find_if(copy.scheduled_actions.begin(), copy.scheduled_actions.end(),
                         [&](const ScheduledAction& a) { return a.name == action.name; });
  if (it != copy.scheduled_actions.end()) *it = action;
  else copy.scheduled_actions.push_back(action);
  STRATUS_RETURN_IF_ERROR(Persist(copy));
  *g = copy;
  return action;
}

Status AutoScalingService::DeleteScheduledAction(const std::string& group, const std::string& name) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(group);
  if (!g) return Validation("AutoScalingGroup name not found - " + group);
  AutoScalingGroup copy = *g;
  auto it = std::find_if(copy.scheduled_actions.begin(), copy.scheduled_actions.end(),
                         [&](const ScheduledAction& a) { return a.name == name; });
  if (it == copy.scheduled_actions.end()) return Validation("Scheduled action " + name + " not found");
  copy.scheduled_actions.erase(it);
  STRATUS_RETURN_IF_ERROR(Persist(copy));
  *g = copy;
  return Status::Ok();
}

Result<std::string> AutoScalingService::StartInstanceRefresh(const std::string& group, int min_healthy_percentage,
                                                             int instance_warmup) {
  if (min_healthy_percentage < 0 || min_healthy_percentage > 100) return Validation("MinHealthyPercentage must be 0 to 100");
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(group);
  if (!g) return Validation("AutoScalingGroup name not found - " + group);
  for (const auto& r : g->refreshes) {
    if (r.status == "Pending" || r.status == "InProgress" || r.status == "Cancelling") {
      return FailedPrecondition("An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
          .WithErrorCode("InstanceRefreshInProgress");
    }
  }
  auto version = templates_->ResolveVersion(g->launch_template_id, g->launch_template_version);
  if (!version.ok()) return Validation(version.status().message());
  AutoScalingGroup copy = *g;
  InstanceRefresh r;
  r.instance_refresh_id = RandomHex(8) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(12);
  r.start_ms = Now();
  r.min_healthy_percentage = min_healthy_percentage;
  r.instance_warmup = instance_warmup;
  r.target_version = version->version_number;
  for (const auto& i : copy.instances) {
    if (i.lifecycle_state.rfind("Terminating", 0) != 0 && i.launch_template_version != r.target_version) r.instances_to_update++;
  }
  copy.refreshes.insert(copy.refreshes.begin(), r);
  if (copy.refreshes.size() > 20) copy.refreshes.resize(20);
  STRATUS_RETURN_IF_ERROR(Persist(copy));
  *g = copy;
  return r.instance_refresh_id;
}

Result<std::string> AutoScalingService::CancelInstanceRefresh(const std::string& group) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(group);
  if (!g) return Validation("AutoScalingGroup name not found - " + group);
  AutoScalingGroup copy = *g;
  for (auto& r : copy.refreshes) {
    if (r.status == "Pending" || r.status == "InProgress") {
      r.status = "Cancelled";
      r.status_reason = "Cancelled by a user request";
      r.end_ms = Now();
      copy.surge = 0;
      STRATUS_RETURN_IF_ERROR(Persist(copy));
      *g = copy;
      return r.instance_refresh_id;
    }
  }
  return FailedPrecondition("No in progress or pending Instance Refresh found for Auto Scaling group " + group)
      .WithErrorCode("ActiveInstanceRefreshNotFound");
}

}  // namespace stratus::scaling
