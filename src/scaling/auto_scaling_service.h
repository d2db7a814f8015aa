// AutoScalingService: the one business logic of EC2 Auto Scaling in stratusd, under every API.
//
// Groups (with their instances, policies, scheduled actions, refreshes and activities) are kept in
// memory and written through to the Store under "asg/<name>" before a change is acknowledged. A
// reconcile loop ticks every second and is level-triggered: each tick recomputes what every group
// should do from its record, the instances' states, target health and metrics, so a restart in the
// middle of a scaling action converges. Target tracking policies create their CloudWatch alarms
// through the AlarmService and also evaluate their metric on every tick (docs/scaling.md).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloudwatch/alarm_service.h"
#include "common/status.h"
#include "scaling/auto_scaling.h"
#include "scaling/launch_template.h"
#include "scaling/ports.h"
#include "store/store.h"

namespace stratus::scaling {

struct AutoScalingOptions {
  std::string region = "local";
  std::string account = "000000000000";
  std::vector<std::string> default_subnets;  // VPCZoneIdentifier when a group names none
  std::function<Status(const std::string& subnet)> validate_subnet;
  std::function<int64_t()> clock;            // ms since the epoch; default: the system clock
  int tick_ms = 1000;
  // While an instance of any group is Pending (launched, not yet running, registered and healthy in
  // its target groups), the loop ticks this often instead, so InService follows the first passing
  // health check by at most this much rather than by up to a second.
  int fast_tick_ms = 100;
  int max_drain_seconds = 330;               // a draining target is terminated after this at the latest
  int launch_retry_seconds = 10;             // after a failed launch
  // The instance status check: ids of the instances whose init runs on the host. An InService
  // instance whose record says running but whose init is gone is Unhealthy. Unset: not checked.
  std::function<Result<std::set<std::string>>()> running_instances;
  // The price of one instance-hour of a type (the cost service's); unset: budgets are not enforced.
  std::function<double(const std::string& instance_type)> instance_hour_price;
  // Receives each group's capacity metrics once a second (GroupMetrics); stratusd stores them in the
  // metric store as AWS/AutoScaling. Unset: not published.
  std::function<void(const std::string& group, int64_t timestamp_ms, const std::vector<GroupMetric>& metrics)>
      publish_group_metrics;
};

// The settable fields of CreateAutoScalingGroup / UpdateAutoScalingGroup; unset = unchanged (update)
// or the default (create).
struct GroupSpec {
  std::string name;
  std::optional<std::string> launch_template;  // id or name
  std::optional<std::string> launch_template_version;
  std::optional<int> min_size, max_size, desired_capacity;
  std::optional<int> default_cooldown, default_instance_warmup, health_check_grace_period;
  std::optional<std::string> health_check_type;
  std::optional<std::vector<std::string>> subnets, target_groups, termination_policies;
  std::optional<bool> new_instances_protected_from_scale_in;
  std::optional<std::vector<AsgTag>> tags;
  std::optional<double> max_spend_per_hour;  // Stratus: the group's budget, 0 for none
};

class AutoScalingService {
 public:
  // Every pointer must outlive the service. `target_groups`, `metrics` and `alarms` may be null
  // (then groups cannot name target groups, and target tracking has nothing to read or create).
  AutoScalingService(Store* store, LaunchTemplateService* templates, InstancePort* instances,
                     TargetGroupPort* target_groups, MetricReader* metrics, cloudwatch::AlarmService* alarms,
                     AutoScalingOptions options);
  ~AutoScalingService();

  // Loads the groups from the store and registers the alarm action handler.
  Status Load();
  // Starts the reconcile thread (one tick every tick_ms, every fast_tick_ms while an instance is
  // Pending, and one at once after each Wake()). Stop() or the destructor joins it.
  void StartLoop();
  void Stop();
  // Asks the loop for a tick now instead of at the next period: the metric collector calls it after
  // each pass, so target tracking decides on a datapoint as soon as it is stored. Cheap, any thread.
  void Wake();
  // One reconcile pass over every group (the loop calls this; tests call it directly).
  void Tick();

  Result<AutoScalingGroup> CreateGroup(const GroupSpec& spec);
  Result<AutoScalingGroup> UpdateGroup(const GroupSpec& spec);
  // Without force: ResourceInUse while the group has instances. With force: the group drains and
  // terminates its instances, then disappears ("Delete in progress" meanwhile).
  Status DeleteGroup(const std::string& name, bool force);
  // Groups by name (all when empty); unknown names are skipped as AWS does.
  std::vector<AutoScalingGroup> DescribeGroups(const std::vector<std::string>& names) const;
  Result<AutoScalingGroup> GetGroup(const std::string& name) const;
  // FailedPrecondition (ResourceInUse) naming the group when a group launches from template `lt_id`, else Ok:
  // deleting such a template would fail the group's next launch (LaunchTemplateService::Delete consults it).
  Status CheckTemplateUnused(const std::string& lt_id) const;
  // ValidationError when outside [min, max]; with honor_cooldown, ScalingActivityInProgress during the cooldown.
  Result<AutoScalingGroup> SetDesiredCapacity(const std::string& name, int desired, bool honor_cooldown);
  // (group, instance) pairs for the given instance ids (all when empty).
  std::vector<std::pair<AutoScalingGroup, AsgInstance>> DescribeInstances(const std::vector<std::string>& ids) const;
  // Takes the instance out of service and terminates it; the activity started.
  Result<std::pair<AutoScalingGroup, Activity>> TerminateInstance(const std::string& instance_id, bool decrement);
  Status SetInstanceProtection(const std::string& name, const std::vector<std::string>& ids, bool protect);
  // Suspends (or resumes) processes; all of them when `processes` is empty.
  Status SetProcessesSuspended(const std::string& name, const std::vector<std::string>& processes, bool suspend);

  // Creates or replaces a policy; target tracking creates (or replaces) its alarms.
  Result<ScalingPolicy> PutScalingPolicy(const std::string& group, ScalingPolicy policy);
  // Deletes the policy and the alarms it created.
  Status DeletePolicy(const std::string& group, const std::string& policy_name);
  // Runs a simple or step policy now (ExecutePolicy); `metric_value` picks the step.
  Status ExecutePolicy(const std::string& group, const std::string& policy_name, std::optional<double> metric_value,
                       bool honor_cooldown);

  Result<ScheduledAction> PutScheduledAction(const std::string& group, ScheduledAction action);
  Status DeleteScheduledAction(const std::string& group, const std::string& name);

  // Starts a refresh onto the group's launch template version as it resolves now. InstanceRefreshInProgress
  // when one runs. Returns the refresh id.
  Result<std::string> StartInstanceRefresh(const std::string& group, int min_healthy_percentage, int instance_warmup);
  Result<std::string> CancelInstanceRefresh(const std::string& group);

  // Alarm actions ("arn:aws:autoscaling:...:scalingPolicy:...") land here; they are run by the next tick.
  void OnAlarmAction(const std::string& action_arn, const cloudwatch::MetricAlarm& alarm);

 private:
  struct Trigger {
    std::string policy_arn;
    cloudwatch::MetricAlarm alarm;
  };
  int64_t Now() const;
  // True while an instance of any group is Pending (the loop then ticks every fast_tick_ms).
  bool AnyPending() const;
  AutoScalingGroup* FindLocked(const std::string& name);  // requires mu_
  Status Persist(const AutoScalingGroup& g);             // requires mu_
  Status ValidateSpec(AutoScalingGroup& g) const;
  Status ApplySpec(const GroupSpec& spec, AutoScalingGroup& g) const;
  Result<std::vector<std::pair<std::string, std::string>>> CreateAlarms(const AutoScalingGroup& g, const ScalingPolicy& p);
  void DeleteAlarms(const ScalingPolicy& p);

  // Reconcile steps (reconcile.cc), all requiring mu_.
  void ReconcileGroup(AutoScalingGroup& g, int64_t now, const std::vector<Trigger>& triggers);
  void RefreshMembers(AutoScalingGroup& g, int64_t now);
  void AdvanceTermination(AutoScalingGroup& g, AsgInstance& i, int64_t now);
  void RunScheduledActions(AutoScalingGroup& g, int64_t now);
  void RunTargetTracking(AutoScalingGroup& g, ScalingPolicy& p, int64_t now);
  void RunAlarmTrigger(AutoScalingGroup& g, ScalingPolicy& p, const cloudwatch::MetricAlarm* alarm,
                       std::optional<double> metric_value, int64_t now);
  void RunInstanceRefresh(AutoScalingGroup& g, int64_t now);
  void MatchCapacity(AutoScalingGroup& g, int64_t now);
  void LaunchInstances(AutoScalingGroup& g, int count, int64_t now, const std::string& why);
  void BeginTerminate(AutoScalingGroup& g, AsgInstance& i, int64_t now, const std::string& cause);
  // Changes the desired capacity (clamped to [min, max] and to the budget) and remembers why.
  bool ChangeDesired(AutoScalingGroup& g, int desired, int64_t now, const std::string& cause);
  // The largest capacity the group's budget allows for a scale-out to `desired`; records a failed
  // activity (once per refused value) when that is less than asked. `desired` without a budget.
  int ApplyBudget(AutoScalingGroup& g, int desired, int64_t now, const std::string& cause);
  Activity& AddActivity(AutoScalingGroup& g, const std::string& description, const std::string& cause, int64_t now);
  Activity* FindActivity(AutoScalingGroup& g, const std::string& id);
  std::optional<double> ReadTrackedMetric(const AutoScalingGroup& g, const ScalingPolicy& p,
                                          const std::vector<const AsgInstance*>& counted, int window_seconds);
  void AdoptOrphans(AutoScalingGroup& g);

  Store* store_;
  LaunchTemplateService* templates_;
  InstancePort* instances_;
  TargetGroupPort* target_groups_;
  MetricReader* metrics_;
  cloudwatch::AlarmService* alarms_;
  AutoScalingOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, AutoScalingGroup> groups_;  // GUARDED_BY(mu_)
  // Target tracking scale-in recommendations (time, capacity) per policy ARN; memory only: a restart
  // restarts the stabilisation window, which only delays a scale-in.
  std::map<std::string, std::deque<std::pair<int64_t, int>>> recommendations_;  // GUARDED_BY(mu_)
  std::map<std::string, int64_t> launch_backoff_until_;                          // GUARDED_BY(mu_)
  std::map<std::string, bool> adopted_;                                           // GUARDED_BY(mu_)
  std::map<std::string, int64_t> published_second_;  // last second whose group metrics went out; GUARDED_BY(mu_)

  std::mutex triggers_mu_;
  std::vector<Trigger> triggers_;  // GUARDED_BY(triggers_mu_)

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // GUARDED_BY(loop_mu_)
  bool woken_ = false;     // GUARDED_BY(loop_mu_)
  std::thread loop_;
};

}  // namespace stratus::scaling
