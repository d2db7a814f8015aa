// The pure decisions of the autoscaler, separate from any state so they are unit-tested directly:
// target tracking capacity, which instances a scale-in terminates, step and simple adjustments,
// cron schedules and how many instances an instance refresh may replace now.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "scaling/auto_scaling.h"
#include "scaling/ports.h"

namespace stratus::scaling {

// ceil(current * metric / target), the formula of AWS target tracking and of the Kubernetes HPA.
// With no counted instance the metric cannot be divided: returns `current`. Never below 0.
int TargetTrackingCapacity(int current, double metric, double target);

// Target tracking's scale-out rule: when the metric averaged over the scale-out window (the last
// ScaleOutEvaluationPeriods periods) is above the target, the capacity TargetTrackingCapacity gives
// for the `counted` instances, if that is above `desired`; nullopt otherwise (no data, at or below
// the target, or already enough capacity, e.g. instances still warming up were added for it).
std::optional<int> ScaleOutCapacity(int counted, std::optional<double> window_average, double target, int desired);

// Chooses `count` instances to terminate among `candidates` (instances of the group that may be
// terminated: not protected, not already terminating). Each pick first balances subnets (the subnet
// with the most of `all_in_group` loses one, as AWS balances Availability Zones), then applies the
// termination policies in order (Default, OldestInstance, NewestInstance, OldestLaunchTemplate;
// Default last as the tie breaker: oldest launch template version, then oldest launch). During an
// instance refresh, `prefer_not_version` > 0 puts instances on other versions first.
std::vector<std::string> ChooseInstancesToTerminate(const std::vector<AsgInstance>& candidates,
                                                    const std::vector<AsgInstance>& all_in_group,
                                                    const std::vector<std::string>& policies, int count,
                                                    int64_t prefer_version = 0);

// The group's capacity metrics now, with AWS's names and meanings (AWS/AutoScaling group metrics):
// GroupMinSize, GroupMaxSize, GroupDesiredCapacity, GroupInServiceInstances, GroupPendingInstances,
// GroupTerminatingInstances and GroupTotalInstances (in service + pending + terminating).
std::vector<GroupMetric> GroupMetrics(const AutoScalingGroup& g);

// The new desired capacity for a simple or step adjustment of `adjustment` on `current`.
int ApplyAdjustment(const std::string& adjustment_type, int adjustment, int current, int min_adjustment_magnitude);

// The step whose interval (relative to the alarm threshold) holds `metric - threshold`; nullopt when none.
std::optional<int> StepAdjustmentFor(const std::vector<StepAdjustment>& steps, double metric, double threshold);

// A 5-field cron (minute hour day-of-month month day-of-week) as Auto Scaling's Recurrence accepts:
// numbers, '*', lists, ranges and steps.
class CronSchedule {
 public:
  static Result<CronSchedule> Parse(const std::string& text);
  // The first minute strictly after `after_ms` that matches, in UTC shifted by `utc_offset_s`.
  int64_t Next(int64_t after_ms, int utc_offset_s = 0) const;

 private:
  std::vector<bool> minute_, hour_, mday_, month_, wday_;
  bool mday_any_ = true, wday_any_ = true;
};

// How many old instances an instance refresh may take out of service now: in-service ready instances
// above ceil(desired * min_healthy% / 100), at most `old_remaining`; and whether the group must run
// one extra instance first. It must only when none may be taken out yet and the `active` instances
// (ready or still warming up, none leaving) would not make room once all are ready: a replacement
// that is still warming up is waited for, not doubled.
struct RefreshStep {
  int terminate_now = 0;
  int surge = 0;
};
RefreshStep PlanRefresh(int desired, int min_healthy_percentage, int ready_in_service, int active, int old_remaining);

}  // namespace stratus::scaling
