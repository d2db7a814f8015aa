// AutoScalingService: the reconcile loop. Every tick recomputes each group's next steps from its
// record and the world (instance states, target health, metrics): nothing depends on having seen a
// previous tick, so a restart in the middle of anything converges.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "common/ids.h"
#include "common/log.h"
#include "scaling/auto_scaling_service.h"
#include "scaling/scaling_math.h"

namespace stratus::scaling {

namespace {

bool IsTerminating(const AsgInstance& i) { return i.lifecycle_state.rfind("Terminating", 0) == 0; }
bool Suspended(const AutoScalingGroup& g, const char* process) { return g.suspended_processes.count(process) > 0; }
std::string At(int64_t now) { return "At " + FormatTime(now); }
std::string Str(int v) { return std::to_string(v); }

int ActiveCount(const AutoScalingGroup& g) {
  int n = 0;
  for (const auto& i : g.instances) n += !IsTerminating(i);
  return n;
}

// A step of a member's way to InService, with the time since its launch (bench/scaling reads these).
void LogMember(const char* what, const AutoScalingGroup& g, const AsgInstance& i, int64_t now) {
  LogInfo(what, {{"group", g.name}, {"instance", i.instance_id}, {"since_launch_ms", std::to_string(now - i.launched_ms)}});
}

int InServiceCount(const AutoScalingGroup& g) {
  int n = 0;
  for (const auto& i : g.instances) n += i.lifecycle_state == "InService";
  return n;
}

}  // namespace

void AutoScalingService::Tick() {
  std::vector<Trigger> triggers;
  {
    std::lock_guard lock(triggers_mu_);
    triggers.swap(triggers_);
  }
  // Group metrics, published after the lock is released: one datapoint per group and second.
  std::vector<std::pair<std::string, std::vector<GroupMetric>>> metrics;
  int64_t now = Now();
  {
    std::lock_guard lock(mu_);
    std::vector<std::string> deleted;
    for (auto& [name, g] : groups_) {
      std::string before = ToStoreJson(g).dump();
      ReconcileGroup(g, now, triggers);
      if (!g.status.empty() && g.instances.empty()) {
        deleted.push_back(name);
        continue;
      }
      if (ToStoreJson(g).dump() != before) {
        Status st = Persist(g);
        if (!st.ok()) LogError("persisting auto scaling group", {{"group", name}, {"error", st.ToString()}});
      }
      if (options_.publish_group_metrics && published_second_[name] != now / 1000) {
        published_second_[name] = now / 1000;
        metrics.emplace_back(name, GroupMetrics(g));
      }
    }
    for (const auto& name : deleted) {
      Status st = store_->Delete("asg/" + name);
      if (!st.ok() && st.code() != Code::kNotFound) LogError("deleting auto scaling group", {{"group", name}, {"error", st.ToString()}});
      groups_.erase(name);
      published_second_.erase(name);
      LogInfo("auto scaling group deleted", {{"group", name}});
    }
  }
  for (const auto& [name, values] : metrics) options_.publish_group_metrics(name, now / 1000 * 1000, values);
}

void AutoScalingService::ReconcileGroup(AutoScalingGroup& g, int64_t now, const std::vector<Trigger>& triggers) {
  if (!adopted_[g.name]) AdoptOrphans(g);
  RefreshMembers(g, now);
  for (auto& i : g.instances) {
    if (IsTerminating(i)) AdvanceTermination(g, i, now);
  }
  std::erase_if(g.instances, [](const AsgInstance& i) { return i.lifecycle_state == "Terminated"; });
  if (g.status.empty()) {
    if (!Suspended(g, "ScheduledActions")) RunScheduledActions(g, now);
    if (!Suspended(g, "AlarmNotification")) {
      for (auto& p : g.policies) {
        if (!p.enabled) continue;
        if (p.policy_type == "TargetTrackingScaling") RunTargetTracking(g, p, now);
        for (const auto& t : triggers) {
          if (t.policy_arn == p.policy_arn && p.policy_type != "TargetTrackingScaling") {
            RunAlarmTrigger(g, p, &t.alarm, std::nullopt, now);
          }
        }
      }
    }
    if (!Suspended(g, "InstanceRefresh")) RunInstanceRefresh(g, now);
  }
  MatchCapacity(g, now);
}

void AutoScalingService::AdoptOrphans(AutoScalingGroup& g) {
  auto tagged = instances_->ListTagged("aws:autoscaling:groupName", g.name);
  if (!tagged.ok()) return;
  adopted_[g.name] = true;
  for (const auto& v : *tagged) {
    if (g.FindInstance(v.instance_id)) continue;
    // Launched, then stratusd stopped before the record was written: the group owns it.
    AsgInstance i;
    i.instance_id = v.instance_id;
    i.subnet_id = v.subnet_id;
    i.launched_ms = Now();
    g.instances.push_back(i);
    LogInfo("auto scaling adopted an instance", {{"group", g.name}, {"instance", v.instance_id}});
  }
}

void AutoScalingService::RefreshMembers(AutoScalingGroup& g, int64_t now) {
  std::map<std::string, std::map<std::string, std::string>> health;  // tg -> instance -> state
  if (target_groups_) {
    for (const auto& tg : g.target_group_arns) {
      auto h = target_groups_->Health(tg);
      if (!h.ok()) continue;
      for (const auto& t : *h) health[tg][t.instance_id] = t.state;
    }
  }
  std::optional<std::set<std::string>> alive;
  if (options_.running_instances) {
    auto running = options_.running_instances();
    if (running.ok()) alive = std::move(*running);
  }
  for (auto& i : g.instances) {
    if (IsTerminating(i)) continue;
    auto view = instances_->Get(i.instance_id);
    bool impaired = false;
    bool gone = !view.ok() || view->state == "terminated" || view->state == "shutting-down" ||
                view->state == "stopped" || view->state == "stopping";
    if (view.ok() && i.subnet_id.empty()) i.subnet_id = view->subnet_id;
    if (i.lifecycle_state == "Pending") {
      if (gone) {
        if (Activity* a = FindActivity(g, i.activity_id)) {
          a->status_code = "Failed";
          a->status_message = "Instance " + i.instance_id + " did not start" + (view.ok() ? " (" + view->state + ")" : "");
          a->end_ms = now;
        }
        i.lifecycle_state = "Terminated";
        continue;
      }
      if (view->state != "running") continue;
      if (!i.registered && !g.target_group_arns.empty() && target_groups_ && !Suspended(g, "AddToLoadBalancer")) {
        bool ok = true;
        for (const auto& tg : g.target_group_arns) ok = target_groups_->Register(tg, i.instance_id).ok() && ok;
        i.registered = ok;
        if (ok) LogMember("auto scaling registered", g, i, now);
      }
      bool ready = true;
      if (i.registered) {
        for (const auto& tg : g.target_group_arns) ready = ready && health[tg][i.instance_id] == "healthy";
      }
      bool overdue = now - i.launched_ms > (g.health_check_grace_period + 120) * 1000LL;
      if (ready || (overdue && g.health_check_type == "EC2")) {
        i.lifecycle_state = "InService";
        i.in_service_ms = now;
        LogMember("auto scaling in service", g, i, now);
        if (Activity* a = FindActivity(g, i.activity_id)) {
          a->status_code = "Successful";
          a->progress = 100;
          a->end_ms = now;
        }
      } else if (overdue) {
        i.health_status = "Unhealthy";
      }
    } else if (i.lifecycle_state == "InService" && !Suspended(g, "HealthCheck")) {
      // InService means it ran at an earlier tick, before `alive` was read: absent now is dead.
      impaired = !gone && view->state == "running" && alive && !alive->count(i.instance_id);
      if (gone || impaired) i.health_status = "Unhealthy";
      bool in_grace = now - i.launched_ms < g.health_check_grace_period * 1000LL;
      if (g.health_check_type == "ELB" && !in_grace) {
        for (const auto& tg : g.target_group_arns) {
          if (health[tg][i.instance_id] == "unhealthy") i.health_status = "Unhealthy";
        }
      }
    }
    if (i.health_status == "Unhealthy" && !Suspended(g, "ReplaceUnhealthy")) {
      std::string why = gone       ? "an EC2 health check indicating it has been terminated or stopped"
                        : impaired ? "an EC2 instance status check failure"
                                   : (g.health_check_type == "ELB" ? "an ELB system health check failure"
                                                             : "an EC2 health check failure");
      BeginTerminate(g, i, now, At(now) + " an instance was taken out of service in response to " + why + ".");
    }
  }
}

void AutoScalingService::BeginTerminate(AutoScalingGroup& g, AsgInstance& i, int64_t now, const std::string& cause) {
  i.lifecycle_state = "Terminating";
  Activity& a = AddActivity(g, "Terminating EC2 instance: " + i.instance_id, cause, now);
  i.activity_id = a.activity_id;
  LogInfo("auto scaling terminating", {{"group", g.name}, {"instance", i.instance_id}, {"cause", cause}});
  AdvanceTermination(g, i, now);
}

void AutoScalingService::AdvanceTermination(AutoScalingGroup& g, AsgInstance& i, int64_t now) {
  if (i.lifecycle_state == "Terminating") {
    if (i.registered && target_groups_ && !g.target_group_arns.empty()) {
      for (const auto& tg : g.target_group_arns) (void)target_groups_->Deregister(tg, i.instance_id);
      i.lifecycle_state = "Terminating:Wait";
      i.drain_until_ms = now + options_.max_drain_seconds * 1000LL;
      return;
    }
    i.lifecycle_state = "Terminating:Proceed";
    (void)instances_->Terminate(i.instance_id);
    return;
  }
  if (i.lifecycle_state == "Terminating:Wait") {
    bool draining = false;
    for (const auto& tg : g.target_group_arns) {
      auto h = target_groups_->Health(tg);
      if (!h.ok()) continue;
      for (const auto& t : *h) draining = draining || t.instance_id == i.instance_id;
    }
    if (draining && now < i.drain_until_ms) return;
    i.lifecycle_state = "Terminating:Proceed";
    (void)instances_->Terminate(i.instance_id);
    return;
  }
  // Terminating:Proceed: done once the instance is terminated (or gone).
  auto view = instances_->Get(i.instance_id);
  if (view.ok() && view->state != "terminated") {
    if (view->state == "running" || view->state == "stopped") (void)instances_->Terminate(i.instance_id);
    return;
  }
  if (Activity* a = FindActivity(g, i.activity_id)) {
    a->status_code = "Successful";
    a->progress = 100;
    a->end_ms = now;
  }
  i.lifecycle_state = "Terminated";
}

Activity& AutoScalingService::AddActivity(AutoScalingGroup& g, const std::string& description, const std::string& cause,
                                          int64_t now) {
  Activity a;
  a.activity_id = RandomHex(8) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(12);
  a.description = description;
  a.cause = cause;
  a.start_ms = now;
  g.activities.insert(g.activities.begin(), std::move(a));
  if (g.activities.size() > kMaxActivities) g.activities.resize(kMaxActivities);
  return g.activities.front();
}

Activity* AutoScalingService::FindActivity(AutoScalingGroup& g, const std::string& id) {
  for (auto& a : g.activities) {
    if (a.activity_id == id) return &a;
  }
  return nullptr;
}

int AutoScalingService::ApplyBudget(AutoScalingGroup& g, int desired, int64_t now, const std::string& cause) {
  if (g.max_spend_per_hour <= 0 || !options_.instance_hour_price || desired <= g.desired_capacity) return desired;
  auto version = templates_->ResolveVersion(g.launch_template_id, g.launch_template_version);
  if (!version.ok()) return desired;  // the launch fails and says why
  double price = options_.instance_hour_price(version->data.instance_type);
  if (price <= 0 || desired * price <= g.max_spend_per_hour + 1e-9) return desired;
  int affordable = std::max(g.desired_capacity, static_cast<int>(std::floor(g.max_spend_per_hour / price + 1e-9)));
  if (g.budget_refused_desired != desired) {
    g.budget_refused_desired = desired;
    char money[160];
    snprintf(money, sizeof money, "%d instances of %s at $%.4f per hour would cost $%.4f per hour, over the group's "
             "MaxSpendPerHour of $%.4f", desired, version->data.instance_type.c_str(), price, desired * price,
             g.max_spend_per_hour);
    std::string why = std::string("scale-out refused by the budget: ") + money +
                      (affordable > g.desired_capacity ? "; desired capacity set to " + Str(affordable) + " instead" : "");
    Activity& a = AddActivity(g, "Launching a new EC2 instance.  Status Reason: " + why, cause, now);
    a.status_code = "Failed";
    a.status_message = why;
    a.end_ms = now;
    LogWarn("auto scaling budget", {{"group", g.name}, {"refused", Str(desired)}, {"allowed", Str(affordable)}});
  }
  return affordable;
}

bool AutoScalingService::ChangeDesired(AutoScalingGroup& g, int desired, int64_t now, const std::string& cause) {
  desired = std::clamp(desired, g.min_size, g.max_size);
  desired = ApplyBudget(g, desired, now, cause);
  if (desired == g.desired_capacity) return false;
  if (desired < g.desired_capacity) g.budget_refused_desired = 0;
  LogInfo("auto scaling desired capacity", {{"group", g.name}, {"from", Str(g.desired_capacity)}, {"to", Str(desired)},
                                            {"cause", cause}});
  g.desired_capacity = desired;
  g.capacity_cause = cause;
  g.last_scaling_ms = now;
  return true;
}

void AutoScalingService::RunScheduledActions(AutoScalingGroup& g, int64_t now) {
  for (auto& a : g.scheduled_actions) {
    if (!a.next_run_ms || a.next_run_ms > now) continue;
    if (a.end_ms && now > a.end_ms) {
      a.next_run_ms = 0;
      continue;
    }
    if (a.min_size) g.min_size = *a.min_size;
    if (a.max_size) g.max_size = *a.max_size;
    int desired = a.desired_capacity.value_or(g.desired_capacity);
    std::string cause = At(now) + " a scheduled action update of AutoScalingGroup constraints to min: " + Str(g.min_size) +
                        ", max: " + Str(g.max_size) + ", desired: " + Str(desired) + " changing the desired capacity from " +
                        Str(g.desired_capacity) + " to " + Str(std::clamp(desired, g.min_size, g.max_size)) + ".";
    if (!ChangeDesired(g, desired, now, cause)) g.desired_capacity = std::clamp(g.desired_capacity, g.min_size, g.max_size);
    a.next_run_ms = 0;
    if (!a.recurrence.empty()) {
      auto cron = CronSchedule::Parse(a.recurrence);
      if (cron.ok()) a.next_run_ms = cron->Next(now);
    }
  }
  std::erase_if(g.scheduled_actions, [](const ScheduledAction& a) { return a.recurrence.empty() && !a.next_run_ms; });
}

std::optional<double> AutoScalingService::ReadTrackedMetric(const AutoScalingGroup& g, const ScalingPolicy& p,
                                                            const std::vector<const AsgInstance*>& counted,
                                                            int window_seconds) {
  if (!metrics_) return std::nullopt;
  if (p.predefined_metric_type == "ASGAverageCPUUtilization") {
    double sum = 0;
    int n = 0;
    for (const AsgInstance* i : counted) {
      auto v = metrics_->Read({"AWS/EC2", "CPUUtilization", {{"InstanceId", i->instance_id}}, "Average", window_seconds});
      if (v) {
        sum += *v;
        ++n;
      }
    }
    if (n == 0) return std::nullopt;
    return sum / n;
  }
  if (p.predefined_metric_type == "ALBRequestCountPerTarget") {
    auto pos = p.resource_label.find("targetgroup/");
    auto total = metrics_->Read({"AWS/ApplicationELB", "RequestCount", {{"TargetGroup", p.resource_label.substr(pos)}},
                                 "Sum", window_seconds});
    int targets = InServiceCount(g);
    if (!total || targets == 0) return std::nullopt;
    return *total * 60.0 / window_seconds / targets;  // requests per target per minute, as AWS's target value
  }
  MetricQuery q{p.custom_namespace, p.custom_metric_name, {}, p.custom_statistic, window_seconds};
  for (const auto& d : p.custom_dimensions) q.dimensions.push_back({d.name, d.value});
  return metrics_->Read(q);
}

void AutoScalingService::RunTargetTracking(AutoScalingGroup& g, ScalingPolicy& p, int64_t now) {
  int warmup = p.estimated_instance_warmup >= 0 ? p.estimated_instance_warmup : g.default_instance_warmup;
  std::vector<const AsgInstance*> counted;
  bool warming = false;
  for (const auto& i : g.instances) {
    if (i.lifecycle_state == "Pending") warming = true;
    if (i.lifecycle_state != "InService") continue;
    if (now - i.in_service_ms < warmup * 1000LL) warming = true;
    else counted.push_back(&i);
  }
  if (counted.empty()) return;
  int n = static_cast<int>(counted.size());
  std::string alarm_high = p.alarms.empty() ? "TargetTracking-" + g.name + "-AlarmHigh" : p.alarms[0].first;
  // Scale out fast: the average of the last ScaleOutEvaluationPeriods periods above the target (the
  // high alarm's window; docs/scaling.md says why 2 by default).
  auto fast = ReadTrackedMetric(g, p, counted, p.scale_out_periods * p.metric_period);
  if (auto want = ScaleOutCapacity(n, fast, p.target_value, g.desired_capacity)) {
    LogInfo("target tracking scale-out", {{"group", g.name}, {"policy", p.policy_name}, {"metric", std::to_string(*fast)},
                                          {"counted", Str(n)}, {"want", Str(*want)}});
    ChangeDesired(g, *want, now,
                  At(now) + " a monitor alarm " + alarm_high + " in state ALARM triggered policy " + p.policy_name +
                      " changing the desired capacity from " + Str(g.desired_capacity) + " to " +
                      Str(std::min(*want, g.max_size)) + ".");
    recommendations_[p.policy_arn].clear();
    return;
  }
  if (p.disable_scale_in) return;
  // Scale in slowly: fifteen periods below 90% of the target, and the highest recommendation of the
  // stabilisation window (the HPA's rule) below the current capacity.
  auto slow = ReadTrackedMetric(g, p, counted, 15 * p.metric_period);
  auto& recs = recommendations_[p.policy_arn];
  int rec = g.desired_capacity;
  if (slow && *slow < 0.9 * p.target_value) rec = std::max(TargetTrackingCapacity(n, *slow, p.target_value), 1);
  if (!slow) return;
  recs.emplace_back(now, rec);
  while (!recs.empty() && recs.front().first < now - p.scale_in_stabilization * 1000LL) recs.pop_front();
  if (warming || recs.empty() || recs.front().first > now - p.scale_in_stabilization * 1000LL + p.metric_period * 1000LL) {
    return;  // warming instances or a window not yet full
  }
  int highest = 0;
  for (const auto& [t, r] : recs) highest = std::max(highest, r);
  if (highest < g.desired_capacity) {
    std::string alarm_low = p.alarms.size() > 1 ? p.alarms[1].first : "TargetTracking-" + g.name + "-AlarmLow";
    ChangeDesired(g, highest, now,
                  At(now) + " a monitor alarm " + alarm_low + " in state ALARM triggered policy " + p.policy_name +
                      " changing the desired capacity from " + Str(g.desired_capacity) + " to " +
                      Str(std::max(highest, g.min_size)) + ".");
    recs.clear();
  }
}

void AutoScalingService::RunAlarmTrigger(AutoScalingGroup& g, ScalingPolicy& p, const cloudwatch::MetricAlarm* alarm,
                                         std::optional<double> metric_value, int64_t now) {
  int cooldown = p.cooldown >= 0 ? p.cooldown : g.default_cooldown;
  if (p.policy_type == "SimpleScaling" && now < g.last_scaling_ms + cooldown * 1000LL) return;
  int adjustment = p.scaling_adjustment;
  if (p.policy_type == "StepScaling") {
    double threshold = alarm ? alarm->threshold : 0;
    if (!metric_value && alarm && metrics_) {
      MetricQuery q{alarm->namespace_, alarm->metric_name, {}, alarm->statistic.empty() ? "Average" : alarm->statistic,
                    alarm->period};
      for (const auto& d : alarm->dimensions) q.dimensions.push_back({d.name, d.value});
      metric_value = metrics_->Read(q);
    }
    if (!metric_value) return;
    auto step = StepAdjustmentFor(p.step_adjustments, *metric_value, threshold);
    if (!step) return;
    adjustment = *step;
  }
  int want = ApplyAdjustment(p.adjustment_type, adjustment, g.desired_capacity, p.min_adjustment_magnitude);
  std::string source = alarm ? "a monitor alarm " + alarm->alarm_name + " in state ALARM" : "a user request";
  ChangeDesired(g, want, now,
                At(now) + " " + source + " triggered policy " + p.policy_name + " changing the desired capacity from " +
                    Str(g.desired_capacity) + " to " + Str(std::clamp(want, g.min_size, g.max_size)) + ".");
}

void AutoScalingService::RunInstanceRefresh(AutoScalingGroup& g, int64_t now) {
  InstanceRefresh* r = nullptr;
  for (auto& x : g.refreshes) {
    if (x.status == "Pending" || x.status == "InProgress") r = &x;
  }
  if (!r) {
    g.surge = 0;
    return;
  }
  r->status = "InProgress";
  int warmup = r->instance_warmup >= 0 ? r->instance_warmup : g.default_instance_warmup;
  int in_service = InServiceCount(g);
  r->min_in_service_seen = r->min_in_service_seen < 0 ? in_service : std::min(r->min_in_service_seen, in_service);
  std::vector<AsgInstance> old, active;
  int ready = 0, pending = 0, leaving = 0;
  for (const auto& i : g.instances) {
    if (IsTerminating(i)) {
      leaving++;
      continue;
    }
    active.push_back(i);
    if (i.lifecycle_state == "Pending") pending++;
    if (i.lifecycle_state == "InService" && i.health_status == "Healthy" && now - i.in_service_ms >= warmup * 1000LL) ready++;
    if (i.launch_template_version != r->target_version && !i.protected_from_scale_in) old.push_back(i);
  }
  int total = std::max(r->instances_to_update, static_cast<int>(old.size()));
  r->instances_to_update = total;
  r->percentage_complete = total ? (total - static_cast<int>(old.size())) * 100 / total : 100;
  if (old.empty()) {
    g.surge = 0;
    if (pending == 0 && leaving == 0 && ready >= g.desired_capacity) {  // the last old (or surplus) ones drained too
      r->status = "Successful";
      r->percentage_complete = 100;
      r->end_ms = now;
      LogInfo("instance refresh done", {{"group", g.name}, {"refresh", r->instance_refresh_id}});
    }
    return;
  }
  RefreshStep step = PlanRefresh(g.desired_capacity, r->min_healthy_percentage, ready,
                                 static_cast<int>(active.size()), static_cast<int>(old.size()));
  if (step.terminate_now > 0) {
    g.surge = 0;
    auto victims = ChooseInstancesToTerminate(old, active, g.termination_policies, step.terminate_now, r->target_version);
    for (const auto& id : victims) {
      BeginTerminate(g, *g.FindInstance(id), now,
                     At(now) + " an instance was taken out of service in response to an instance refresh.  " + At(now) +
                         " instance " + id + " was selected for termination.");
    }
  } else if (pending == 0 && step.surge) {
    g.surge = 1;
  }
}

void AutoScalingService::MatchCapacity(AutoScalingGroup& g, int64_t now) {
  int active = ActiveCount(g);
  int target = g.desired_capacity + g.surge;
  if (active < target && !Suspended(g, "Launch")) {
    if (now < launch_backoff_until_[g.name]) return;
    LaunchInstances(g, target - active, now, g.capacity_cause);
    return;
  }
  if (active > target && !Suspended(g, "Terminate")) {
    std::vector<AsgInstance> all, candidates;
    for (const auto& i : g.instances) {
      if (IsTerminating(i)) continue;
      all.push_back(i);
      if (!i.protected_from_scale_in) candidates.push_back(i);
    }
    auto victims = ChooseInstancesToTerminate(candidates, all, g.termination_policies, active - target);
    int from = active;
    for (const auto& id : victims) {
      std::string cause = (g.capacity_cause.empty() ? "" : g.capacity_cause + "  ") + At(now) +
                          " an instance was taken out of service in response to a difference between desired and actual "
                          "capacity, shrinking the capacity from " + Str(from) + " to " + Str(target) + ".  " + At(now) +
                          " instance " + id + " was selected for termination.";
      BeginTerminate(g, *g.FindInstance(id), now, cause);
    }
    return;
  }
  // AZRebalance: the subnets differ by more than one instance; launch in the emptiest first (the
  // next ticks terminate one in the fullest, as AWS rebalances).
  if (active != target || Suspended(g, "AZRebalance") || g.subnets.size() < 2 || !g.status.empty()) return;
  std::map<std::string, int> per;
  for (const auto& s : g.subnets) per[s] = 0;
  for (const auto& i : g.instances) {
    if (IsTerminating(i)) continue;
    if (i.lifecycle_state == "Pending") return;
    per[i.subnet_id]++;
  }
  auto [lo, hi] = std::minmax_element(per.begin(), per.end(), [](auto& a, auto& b) { return a.second < b.second; });
  if (hi->second - lo->second > 1 && !Suspended(g, "Launch") && !Suspended(g, "Terminate")) {
    g.surge = 0;
    LaunchInstances(g, 1, now, At(now) + " an instance was launched to rebalance the group's subnets.");
  }
}

void AutoScalingService::LaunchInstances(AutoScalingGroup& g, int count, int64_t now, const std::string& why) {
  auto version = templates_->ResolveVersion(g.launch_template_id, g.launch_template_version);
  int from = ActiveCount(g);
  if (!version.ok()) {
    Activity& a = AddActivity(g, "Launching a new EC2 instance.  Status Reason: " + version.status().message(), why, now);
    a.status_code = "Failed";
    a.status_message = version.status().message();
    a.end_ms = now;
    launch_backoff_until_[g.name] = now + options_.launch_retry_seconds * 1000LL;
    return;
  }
  for (int k = 0; k < count; ++k) {
    std::map<std::string, int> per;
    for (const auto& s : g.subnets) per[s] = 0;
    for (const auto& i : g.instances) {
      if (!IsTerminating(i) && per.count(i.subnet_id)) per[i.subnet_id]++;
    }
    LaunchSpec spec;
    spec.image_id = version->data.image_id;
    spec.instance_type = version->data.instance_type;
    spec.user_data = version->data.user_data;
    spec.sysctls = version->data.sysctls;
    spec.tags = version->data.tags;
    for (const auto& t : g.tags) {
      if (t.propagate_at_launch) spec.tags.push_back({t.key, t.value});
    }
    spec.tags.push_back({"aws:autoscaling:groupName", g.name});
    if (!per.empty()) {
      spec.subnet_id = std::min_element(per.begin(), per.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
    }
    auto id = instances_->Launch(spec);
    std::string cause = (why.empty() ? "" : why + "  ") + At(now) +
                        " an instance was started in response to a difference between desired and actual capacity, "
                        "increasing the capacity from " + Str(from) + " to " + Str(from + count) + ".";
    if (!id.ok()) {
      Activity& a = AddActivity(g, "Launching a new EC2 instance.  Status Reason: " + id.status().message(), cause, now);
      a.status_code = "Failed";
      a.status_message = id.status().message();
      a.end_ms = now;
      launch_backoff_until_[g.name] = now + options_.launch_retry_seconds * 1000LL;
      LogWarn("auto scaling launch failed", {{"group", g.name}, {"error", id.status().ToString()}});
      return;
    }
    AsgInstance i;
    i.instance_id = *id;
    i.subnet_id = spec.subnet_id;
    i.launch_template_version = version->version_number;
    i.protected_from_scale_in = g.new_instances_protected_from_scale_in;
    i.launched_ms = now;
    Activity& a = AddActivity(g, "Launching a new EC2 instance: " + *id, cause, now);
    i.activity_id = a.activity_id;
    g.instances.push_back(i);
    LogInfo("auto scaling launched", {{"group", g.name}, {"instance", *id}, {"subnet", spec.subnet_id}});
  }
}

}  // namespace stratus::scaling
