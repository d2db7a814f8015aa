#include "scaling/request_json.h"

#include "common/json_field.h"

namespace stratus::scaling {

using nlohmann::json;

namespace {

Status Malformed(const std::string& m) { return InvalidArgument(m).WithErrorCode("ValidationError"); }

// Reads an optional field; a field of the wrong JSON type is a ValidationError naming it.
template <typename T>
Status Read(const json& j, const char* name, T& out) {
  return ReadJsonField(j, name, out, "ValidationError");
}

}  // namespace

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<GroupSpec> ParseGroupSpec(const json& b) {
  GroupSpec s;
  STRATUS_RETURN_IF_ERROR(Read(b, "AutoScalingGroupName", s.name));
  if (b.contains("LaunchTemplate")) {
    const json& lt = b["LaunchTemplate"];
    if (!lt.is_object()) return Malformed("LaunchTemplate must be an object");
    std::optional<std::string> id, name;
    STRATUS_RETURN_IF_ERROR(Read(lt, "LaunchTemplateId", id));
    STRATUS_RETURN_IF_ERROR(Read(lt, "LaunchTemplateName", name));
    s.launch_template = id ? id : name;
    STRATUS_RETURN_IF_ERROR(Read(lt, "Version", s.launch_template_version));
  }
  STRATUS_RETURN_IF_ERROR(Read(b, "MinSize", s.min_size));
  STRATUS_RETURN_IF_ERROR(Read(b, "MaxSize", s.max_size));
  STRATUS_RETURN_IF_ERROR(Read(b, "DesiredCapacity", s.desired_capacity));
  STRATUS_RETURN_IF_ERROR(Read(b, "DefaultCooldown", s.default_cooldown));
  STRATUS_RETURN_IF_ERROR(Read(b, "DefaultInstanceWarmup", s.default_instance_warmup));
  STRATUS_RETURN_IF_ERROR(Read(b, "HealthCheckGracePeriod", s.health_check_grace_period));
  STRATUS_RETURN_IF_ERROR(Read(b, "HealthCheckType", s.health_check_type));
  STRATUS_RETURN_IF_ERROR(Read(b, "TargetGroupARNs", s.target_groups));
  STRATUS_RETURN_IF_ERROR(Read(b, "TerminationPolicies", s.termination_policies));
  STRATUS_RETURN_IF_ERROR(Read(b, "NewInstancesProtectedFromScaleIn", s.new_instances_protected_from_scale_in));
  STRATUS_RETURN_IF_ERROR(Read(b, "MaxSpendPerHour", s.max_spend_per_hour));
  std::optional<std::string> zones;
  STRATUS_RETURN_IF_ERROR(Read(b, "VPCZoneIdentifier", zones));
  if (zones) s.subnets = SplitCommas(*zones);
  if (b.contains("Tags")) {
    if (!b["Tags"].is_array()) return Malformed("Tags must be a list");
    std::vector<AsgTag> tags;
    for (const auto& t : b["Tags"]) {
      AsgTag tag;
      STRATUS_RETURN_IF_ERROR(Read(t, "Key", tag.key));
      STRATUS_RETURN_IF_ERROR(Read(t, "Value", tag.value));
      STRATUS_RETURN_IF_ERROR(Read(t, "PropagateAtLaunch", tag.propagate_at_launch));
      if (tag.key.empty() || tag.key.rfind("aws:", 0) == 0) return Malformed("tag keys must be non-empty and not start with aws:");
      tags.push_back(tag);
    }
    s.tags = tags;
  }
  return s;
}

Result<ScalingPolicy> ParseScalingPolicy(const json& b) {
  ScalingPolicy p;
  STRATUS_RETURN_IF_ERROR(Read(b, "PolicyName", p.policy_name));
  STRATUS_RETURN_IF_ERROR(Read(b, "PolicyType", p.policy_type));
  STRATUS_RETURN_IF_ERROR(Read(b, "AdjustmentType", p.adjustment_type));
  STRATUS_RETURN_IF_ERROR(Read(b, "ScalingAdjustment", p.scaling_adjustment));
  STRATUS_RETURN_IF_ERROR(Read(b, "MinAdjustmentMagnitude", p.min_adjustment_magnitude));
  STRATUS_RETURN_IF_ERROR(Read(b, "Cooldown", p.cooldown));
  STRATUS_RETURN_IF_ERROR(Read(b, "MetricAggregationType", p.metric_aggregation_type));
  STRATUS_RETURN_IF_ERROR(Read(b, "EstimatedInstanceWarmup", p.estimated_instance_warmup));
  STRATUS_RETURN_IF_ERROR(Read(b, "Enabled", p.enabled));
  if (b.contains("StepAdjustments")) {
    try {
      p.step_adjustments = b["StepAdjustments"].get<std::vector<StepAdjustment>>();
    } catch (const json::exception&) {
      return Malformed("StepAdjustments must be a list of {MetricIntervalLowerBound, MetricIntervalUpperBound, ScalingAdjustment}");
    }
  }
  if (b.contains("TargetTrackingConfiguration")) {
    const json& tt = b["TargetTrackingConfiguration"];
    if (!tt.is_object()) return Malformed("TargetTrackingConfiguration must be an object");
    if (!b.contains("PolicyType")) p.policy_type = "TargetTrackingScaling";
    STRATUS_RETURN_IF_ERROR(Read(tt, "TargetValue", p.target_value));
    STRATUS_RETURN_IF_ERROR(Read(tt, "DisableScaleIn", p.disable_scale_in));
    STRATUS_RETURN_IF_ERROR(Read(tt, "MetricPeriod", p.metric_period));
    STRATUS_RETURN_IF_ERROR(Read(tt, "ScaleInStabilizationSeconds", p.scale_in_stabilization));
    STRATUS_RETURN_IF_ERROR(Read(tt, "ScaleOutEvaluationPeriods", p.scale_out_periods));
    if (tt.contains("PredefinedMetricSpecification")) {
      const json& pm = tt["PredefinedMetricSpecification"];
      STRATUS_RETURN_IF_ERROR(Read(pm, "PredefinedMetricType", p.predefined_metric_type));
      STRATUS_RETURN_IF_ERROR(Read(pm, "ResourceLabel", p.resource_label));
    }
    if (tt.contains("CustomizedMetricSpecification")) {
      const json& cm = tt["CustomizedMetricSpecification"];
      STRATUS_RETURN_IF_ERROR(Read(cm, "Namespace", p.custom_namespace));
      STRATUS_RETURN_IF_ERROR(Read(cm, "MetricName", p.custom_metric_name));
      STRATUS_RETURN_IF_ERROR(Read(cm, "Statistic", p.custom_statistic));
      if (cm.contains("Dimensions") && cm["Dimensions"].is_array()) {
        for (const auto& d : cm["Dimensions"]) p.custom_dimensions.push_back({d.value("Name", ""), d.value("Value", "")});
      }
    }
  }
  return p;
}

}  // namespace stratus::scaling
