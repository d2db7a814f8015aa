#include "scaling/auto_scaling.h"

#include <ctime>

namespace stratus::scaling {

using nlohmann::json;

// Store forms (member names as keys; every field defaulted when absent so old records still load).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AsgTag, key, value, propagate_at_launch)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AsgInstance, instance_id, subnet_id, lifecycle_state, health_status,
                                                launch_template_version, protected_from_scale_in, launched_ms,
                                                in_service_ms, drain_until_ms, registered, activity_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MetricDimensionSpec, name, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstanceRefresh, instance_refresh_id, status, status_reason, start_ms,
                                                end_ms, min_healthy_percentage, instance_warmup, target_version,
                                                instances_to_update, percentage_complete, min_in_service_seen)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Activity, activity_id, description, cause, start_ms, end_ms,
                                                status_code, status_message, progress)

namespace {

template <typename T>
void PutOptional(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
template <typename T>
void GetOptional(const json& j, const char* key, std::optional<T>& v) {
  if (j.contains(key) && !j[key].is_null()) v = j[key].get<T>();
}

}  // namespace

void to_json(json& j, const StepAdjustment& s) {
  j = json{{"ScalingAdjustment", s.scaling_adjustment}};
  PutOptional(j, "MetricIntervalLowerBound", s.lower_bound);
  PutOptional(j, "MetricIntervalUpperBound", s.upper_bound);
}
void from_json(const json& j, StepAdjustment& s) {
  s.scaling_adjustment = j.at("ScalingAdjustment").get<int>();
  GetOptional(j, "MetricIntervalLowerBound", s.lower_bound);
  GetOptional(j, "MetricIntervalUpperBound", s.upper_bound);
}

void to_json(json& j, const ScheduledAction& a) {
  j = json{{"name", a.name}, {"arn", a.arn}, {"recurrence", a.recurrence}, {"time_zone", a.time_zone},
           {"start_ms", a.start_ms}, {"end_ms", a.end_ms}, {"next_run_ms", a.next_run_ms}};
  PutOptional(j, "min_size", a.min_size);
  PutOptional(j, "max_size", a.max_size);
  PutOptional(j, "desired_capacity", a.desired_capacity);
}
void from_json(const json& j, ScheduledAction& a) {
  a.name = j.value("name", "");
  a.arn = j.value("arn", "");
  a.recurrence = j.value("recurrence", "");
  a.time_zone = j.value("time_zone", "UTC");
  a.start_ms = j.value("start_ms", int64_t{0});
  a.end_ms = j.value("end_ms", int64_t{0});
  a.next_run_ms = j.value("next_run_ms", int64_t{0});
  GetOptional(j, "min_size", a.min_size);
  GetOptional(j, "max_size", a.max_size);
  GetOptional(j, "desired_capacity", a.desired_capacity);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ScalingPolicy, policy_name, policy_arn, policy_type,
                                                predefined_metric_type, resource_label, custom_namespace,
                                                custom_metric_name, custom_dimensions, custom_statistic, target_value,
                                                disable_scale_in, estimated_instance_warmup, metric_period,
                                                scale_out_periods, scale_in_stabilization, adjustment_type, scaling_adjustment,
                                                min_adjustment_magnitude, cooldown, metric_aggregation_type,
                                                step_adjustments, enabled, alarms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AutoScalingGroup, name, arn, launch_template_id, launch_template_name,
                                                launch_template_version, min_size, max_size, desired_capacity,
                                                default_cooldown, default_instance_warmup, health_check_type,
                                                health_check_grace_period, subnets, target_group_arns,
                                                termination_policies, new_instances_protected_from_scale_in,
                                                suspended_processes, tags, created_time, status, last_scaling_ms,
                                                capacity_cause, surge, instances, policies, scheduled_actions,
                                                refreshes, activities, max_spend_per_hour, budget_refused_desired)

AsgInstance* AutoScalingGroup::FindInstance(const std::string& id) {
  for (auto& i : instances) {
    if (i.instance_id == id) return &i;
  }
  return nullptr;
}

const std::set<std::string>& ScalingProcessNames() {
  static const std::set<std::string> names = {"Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification",
                                              "AZRebalance", "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy",
                                              "ScheduledActions"};
  return names;
}

std::string FormatTime(int64_t ms) {
  if (ms <= 0) return "";
  time_t secs = ms / 1000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

Result<int64_t> ParseTime(const std::string& iso) {
  struct tm tm = {};
  int ms = 0;
  const char* rest = strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return InvalidArgument("time " + iso + " is not ISO 8601 (2026-11-27T06:00:00Z)").WithErrorCode("ValidationError");
  if (*rest == '.') {
    ms = atoi(rest + 1);
    while (*++rest >= '0' && *rest <= '9') {
    }
  }
  if (*rest != 'Z' && *rest != '\0') {
    return InvalidArgument("time " + iso + ": only UTC (Z) times are accepted").WithErrorCode("ValidationError");
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

json ToJson(const AutoScalingGroup& g) {
  json instances = json::array();
  for (const auto& i : g.instances) {
    json ij = ToJson(g, i);
    ij.erase("AutoScalingGroupName");
    instances.push_back(ij);
  }
  json tags = json::array();
  for (const auto& t : g.tags) {
    tags.push_back({{"ResourceId", g.name}, {"ResourceType", "auto-scaling-group"}, {"Key", t.key},
                    {"Value", t.value}, {"PropagateAtLaunch", t.propagate_at_launch}});
  }
  json suspended = json::array();
  for (const auto& p : g.suspended_processes) suspended.push_back({{"ProcessName", p}, {"SuspensionReason", "User suspended"}});
  std::string zones;
  for (const auto& s : g.subnets) zones += (zones.empty() ? "" : ",") + s;
  json j = {{"AutoScalingGroupName", g.name}, {"AutoScalingGroupARN", g.arn},
            {"LaunchTemplate", {{"LaunchTemplateId", g.launch_template_id}, {"LaunchTemplateName", g.launch_template_name},
                                {"Version", g.launch_template_version}}},
            {"MinSize", g.min_size}, {"MaxSize", g.max_size}, {"DesiredCapacity", g.desired_capacity},
            {"DefaultCooldown", g.default_cooldown}, {"DefaultInstanceWarmup", g.default_instance_warmup},
            {"AvailabilityZones", g.subnets}, {"VPCZoneIdentifier", zones}, {"TargetGroupARNs", g.target_group_arns},
            {"HealthCheckType", g.health_check_type}, {"HealthCheckGracePeriod", g.health_check_grace_period},
            {"Instances", instances}, {"CreatedTime", g.created_time}, {"SuspendedProcesses", suspended},
            {"TerminationPolicies", g.termination_policies},
            {"NewInstancesProtectedFromScaleIn", g.new_instances_protected_from_scale_in}, {"Tags", tags}};
  if (!g.status.empty()) j["Status"] = g.status;
  if (g.max_spend_per_hour > 0) j["MaxSpendPerHour"] = g.max_spend_per_hour;
  return j;
}

json ToJson(const AutoScalingGroup& g, const AsgInstance& i) {
  return {{"InstanceId", i.instance_id}, {"AutoScalingGroupName", g.name}, {"AvailabilityZone", i.subnet_id},
          {"SubnetId", i.subnet_id}, {"LifecycleState", i.lifecycle_state}, {"HealthStatus", i.health_status},
          {"LaunchTemplate", {{"LaunchTemplateId", g.launch_template_id}, {"LaunchTemplateName", g.launch_template_name},
                              {"Version", std::to_string(i.launch_template_version)}}},
          {"ProtectedFromScaleIn", i.protected_from_scale_in}, {"LaunchTime", FormatTime(i.launched_ms)}};
}

json ToJson(const AutoScalingGroup& g, const ScalingPolicy& p) {
  json j = {{"AutoScalingGroupName", g.name}, {"PolicyName", p.policy_name}, {"PolicyARN", p.policy_arn},
            {"PolicyType", p.policy_type}, {"Enabled", p.enabled}};
  json alarms = json::array();
  for (const auto& [name, arn] : p.alarms) alarms.push_back({{"AlarmName", name}, {"AlarmARN", arn}});
  j["Alarms"] = alarms;
  if (p.policy_type == "TargetTrackingScaling") {
    json tt = {{"TargetValue", p.target_value}, {"DisableScaleIn", p.disable_scale_in},
               {"MetricPeriod", p.metric_period}, {"ScaleOutEvaluationPeriods", p.scale_out_periods},
               {"ScaleInStabilizationSeconds", p.scale_in_stabilization}};
    if (!p.predefined_metric_type.empty()) {
      tt["PredefinedMetricSpecification"] = {{"PredefinedMetricType", p.predefined_metric_type}};
      if (!p.resource_label.empty()) tt["PredefinedMetricSpecification"]["ResourceLabel"] = p.resource_label;
    } else {
      json dims = json::array();
      for (const auto& d : p.custom_dimensions) dims.push_back({{"Name", d.name}, {"Value", d.value}});
      tt["CustomizedMetricSpecification"] = {{"Namespace", p.custom_namespace}, {"MetricName", p.custom_metric_name},
                                             {"Dimensions", dims}, {"Statistic", p.custom_statistic}};
    }
    j["TargetTrackingConfiguration"] = tt;
    if (p.estimated_instance_warmup >= 0) j["EstimatedInstanceWarmup"] = p.estimated_instance_warmup;
    return j;
  }
  j["AdjustmentType"] = p.adjustment_type;
  if (p.min_adjustment_magnitude) j["MinAdjustmentMagnitude"] = p.min_adjustment_magnitude;
  if (p.policy_type == "SimpleScaling") {
    j["ScalingAdjustment"] = p.scaling_adjustment;
    if (p.cooldown >= 0) j["Cooldown"] = p.cooldown;
  } else {
    j["StepAdjustments"] = p.step_adjustments;
    j["MetricAggregationType"] = p.metric_aggregation_type;
    if (p.estimated_instance_warmup >= 0) j["EstimatedInstanceWarmup"] = p.estimated_instance_warmup;
  }
  return j;
}

json ToJson(const AutoScalingGroup& g, const ScheduledAction& a) {
  json j = {{"AutoScalingGroupName", g.name}, {"ScheduledActionName", a.name}, {"ScheduledActionARN", a.arn},
            {"TimeZone", a.time_zone}};
  if (!a.recurrence.empty()) j["Recurrence"] = a.recurrence;
  if (a.start_ms) j["StartTime"] = FormatTime(a.start_ms);
  if (a.end_ms) j["EndTime"] = FormatTime(a.end_ms);
  if (a.next_run_ms) j["Time"] = FormatTime(a.next_run_ms);
  PutOptional(j, "MinSize", a.min_size);
  PutOptional(j, "MaxSize", a.max_size);
  PutOptional(j, "DesiredCapacity", a.desired_capacity);
  return j;
}

json ToJson(const AutoScalingGroup& g, const InstanceRefresh& r) {
  json j = {{"InstanceRefreshId", r.instance_refresh_id}, {"AutoScalingGroupName", g.name}, {"Status", r.status},
            {"StartTime", FormatTime(r.start_ms)}, {"PercentageComplete", r.percentage_complete},
            {"InstancesToUpdate", r.instances_to_update},
            {"Preferences", {{"MinHealthyPercentage", r.min_healthy_percentage},
                             {"InstanceWarmup", r.instance_warmup < 0 ? g.default_instance_warmup : r.instance_warmup}}},
            {"DesiredConfiguration", {{"LaunchTemplate", {{"LaunchTemplateId", g.launch_template_id},
                                                          {"Version", std::to_string(r.target_version)}}}}},
            {"MinInServiceObserved", r.min_in_service_seen}};
  if (!r.status_reason.empty()) j["StatusReason"] = r.status_reason;
  if (r.end_ms) j["EndTime"] = FormatTime(r.end_ms);
  return j;
}

json ToJson(const AutoScalingGroup& g, const Activity& a) {
  json j = {{"ActivityId", a.activity_id}, {"AutoScalingGroupName", g.name}, {"AutoScalingGroupARN", g.arn},
            {"Description", a.description}, {"Cause", a.cause}, {"StartTime", FormatTime(a.start_ms)},
            {"StatusCode", a.status_code}, {"Progress", a.progress}};
  if (a.end_ms) j["EndTime"] = FormatTime(a.end_ms);
  if (!a.status_message.empty()) j["StatusMessage"] = a.status_message;
  return j;
}

json ToStoreJson(const AutoScalingGroup& g) { return json(g); }

Result<AutoScalingGroup> GroupFromStoreJson(const json& j) {
  try {
    return j.get<AutoScalingGroup>();
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad auto scaling group record: ") + e.what());
  }
}

}  // namespace stratus::scaling
