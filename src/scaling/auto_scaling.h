// EC2 Auto Scaling objects as stratusd keeps them: groups with their instances, scaling policies,
// scheduled actions, instance refreshes and activities. Field names follow the Auto Scaling API, so
// every front-end serializes them with the functions below. Times are milliseconds since the epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus::scaling {

struct AsgTag {
  std::string key;
  std::string value;
  bool propagate_at_launch = true;
};

struct AsgInstance {
  std::string instance_id;
  std::string subnet_id;
  // Pending | InService | Terminating | Terminating:Wait (draining) | Terminating:Proceed (terminating)
  std::string lifecycle_state = "Pending";
  std::string health_status = "Healthy";  // Healthy | Unhealthy
  int64_t launch_template_version = 0;
  bool protected_from_scale_in = false;
  int64_t launched_ms = 0;
  int64_t in_service_ms = 0;     // when it became InService (warmup counts from here)
  int64_t drain_until_ms = 0;    // Terminating:Wait ends at the latest here
  bool registered = false;       // with every target group of the group
  std::string activity_id;       // the launch or terminate activity it belongs to
};

struct StepAdjustment {
  std::optional<double> lower_bound;  // MetricIntervalLowerBound, relative to the alarm threshold
  std::optional<double> upper_bound;  // MetricIntervalUpperBound
  int scaling_adjustment = 0;
};

struct MetricDimensionSpec {
  std::string name;
  std::string value;
};

struct ScalingPolicy {
  std::string policy_name;
  std::string policy_arn;
  std::string policy_type = "SimpleScaling";  // TargetTrackingScaling | StepScaling | SimpleScaling
  // TargetTrackingConfiguration
  std::string predefined_metric_type;  // ASGAverageCPUUtilization | ALBRequestCountPerTarget | "" (customized)
  std::string resource_label;          // app/<lb>/<id>/targetgroup/<tg>/<id> (ALBRequestCountPerTarget)
  std::string custom_namespace;
  std::string custom_metric_name;
  std::vector<MetricDimensionSpec> custom_dimensions;
  std::string custom_statistic = "Average";
  double target_value = 0;
  bool disable_scale_in = false;
  int estimated_instance_warmup = -1;     // seconds; -1: the group's DefaultInstanceWarmup
  int metric_period = 1;                  // Stratus: seconds per alarm datapoint (AWS: 60)
  int scale_out_periods = 2;              // Stratus: periods whose average above target scales out (AWS: 3)
  int scale_in_stabilization = 30;        // Stratus: seconds a lower recommendation must persist (HPA: 300)
  // Step and simple scaling
  std::string adjustment_type = "ChangeInCapacity";  // | ExactCapacity | PercentChangeInCapacity
  int scaling_adjustment = 0;
  int min_adjustment_magnitude = 0;
  int cooldown = -1;  // SimpleScaling; -1: the group's DefaultCooldown
  std::string metric_aggregation_type = "Average";
  std::vector<StepAdjustment> step_adjustments;
  bool enabled = true;
  std::vector<std::pair<std::string, std::string>> alarms;  // (AlarmName, AlarmARN) created by target tracking
};

struct ScheduledAction {
  std::string name;
  std::string arn;
  std::string recurrence;          // cron, 5 fields, UTC unless time_zone
  std::string time_zone = "UTC";
  int64_t start_ms = 0;            // one-off when recurrence is empty
  int64_t end_ms = 0;              // 0: none
  std::optional<int> min_size, max_size, desired_capacity;
  int64_t next_run_ms = 0;         // computed
};

struct InstanceRefresh {
  std::string instance_refresh_id;
  std::string status = "Pending";  // Pending | InProgress | Successful | Failed | Cancelled
  std::string status_reason;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int min_healthy_percentage = 90;
  int instance_warmup = -1;        // seconds; -1: the group's DefaultInstanceWarmup
  int64_t target_version = 0;      // launch template version the group rolls onto
  int instances_to_update = 0;
  int percentage_complete = 0;
  int min_in_service_seen = -1;    // the lowest InService count observed while it ran (for tests)
};

struct Activity {
  std::string activity_id;
  std::string description;
  std::string cause;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string status_code = "InProgress";  // InProgress | Successful | Failed | Cancelled
  std::string status_message;
  int progress = 0;
};

struct AutoScalingGroup {
  std::string name;
  std::string arn;
  std::string launch_template_id;
  std::string launch_template_name;
  std::string launch_template_version = "$Default";
  int min_size = 0;
  int max_size = 0;
  int desired_capacity = 0;
  int default_cooldown = 10;            // AWS: 300
  int default_instance_warmup = 5;      // AWS: unset (the cooldown)
  std::string health_check_type = "EC2";
  int health_check_grace_period = 10;   // AWS API: 0 (console 300)
  std::vector<std::string> subnets;     // VPCZoneIdentifier
  std::vector<std::string> target_group_arns;
  std::vector<std::string> termination_policies = {"Default"};
  bool new_instances_protected_from_scale_in = false;
  std::set<std::string> suspended_processes;
  std::vector<AsgTag> tags;
  std::string created_time;
  std::string status;  // "Delete in progress" while a forced delete drains
  int64_t last_scaling_ms = 0;          // end of the last scaling activity (cooldowns)
  std::string capacity_cause;           // why desired capacity last changed (prefixes activity causes)
  int surge = 0;                        // extra instances allowed while an instance refresh replaces
  // Stratus: the most the group may cost per hour (USD, its instances at their type's price); 0: no
  // budget. A scale-out past it is refused with a failed activity saying so (docs/cost.md).
  double max_spend_per_hour = 0;
  int budget_refused_desired = 0;       // the desired capacity last refused (one activity per refusal)
  std::vector<AsgInstance> instances;
  std::vector<ScalingPolicy> policies;
  std::vector<ScheduledAction> scheduled_actions;
  std::vector<InstanceRefresh> refreshes;  // newest first
  std::vector<Activity> activities;        // newest first, at most kMaxActivities

  AsgInstance* FindInstance(const std::string& id);
};

inline constexpr size_t kMaxActivities = 100;

// StepAdjustments in the API form ({MetricIntervalLowerBound, MetricIntervalUpperBound, ScalingAdjustment}).
void to_json(nlohmann::json& j, const StepAdjustment& s);
void from_json(const nlohmann::json& j, StepAdjustment& s);

// The processes SuspendProcesses knows (AWS's names).
const std::set<std::string>& ScalingProcessNames();

// API forms.
nlohmann::json ToJson(const AutoScalingGroup& g);                     // DescribeAutoScalingGroups entry
nlohmann::json ToJson(const AutoScalingGroup& g, const AsgInstance& i);  // DescribeAutoScalingInstances entry
nlohmann::json ToJson(const AutoScalingGroup& g, const ScalingPolicy& p);
nlohmann::json ToJson(const AutoScalingGroup& g, const ScheduledAction& a);
nlohmann::json ToJson(const AutoScalingGroup& g, const InstanceRefresh& r);
nlohmann::json ToJson(const AutoScalingGroup& g, const Activity& a);

// Store forms: everything, so the reconcile loop recomputes from them after a restart.
nlohmann::json ToStoreJson(const AutoScalingGroup& g);
Result<AutoScalingGroup> GroupFromStoreJson(const nlohmann::json& j);

std::string FormatTime(int64_t ms);  // ISO 8601 UTC
Result<int64_t> ParseTime(const std::string& iso);

}  // namespace stratus::scaling
