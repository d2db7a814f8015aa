#include "scaling/auto_scaling_service.h"

#include <algorithm>
#include <chrono>

#include "common/ids.h"
#include "common/log.h"
#include "scaling/scaling_math.h"

namespace stratus::scaling {

namespace {

constexpr char kPrefix[] = "asg/";

Status Validation(const std::string& message) { return InvalidArgument(message).WithErrorCode("ValidationError"); }

Status GroupNotFound(const std::string& name) {
  return NotFound("AutoScalingGroup name not found - AutoScalingGroup '" + name + "' not found")
      .WithErrorCode("ValidationError");
}

Status ValidateGroupName(const std::string& name) {
  if (name.empty() || name.size() > 255) return Validation("AutoScalingGroupName must be 1 to 255 characters");
  for (char c : name) {
    if (c == ':' || c == '/' || static_cast<unsigned char>(c) < 0x20) {
      return Validation("AutoScalingGroupName " + name + " may not contain ':' or '/'");
    }
  }
  return Status::Ok();
}

}  // namespace

AutoScalingService::AutoScalingService(Store* store, LaunchTemplateService* templates, InstancePort* instances,
                                       TargetGroupPort* target_groups, MetricReader* metrics,
                                       cloudwatch::AlarmService* alarms, AutoScalingOptions options)
    : store_(store),
      templates_(templates),
      instances_(instances),
      target_groups_(target_groups),
      metrics_(metrics),
      alarms_(alarms),
      options_(std::move(options)) {}

AutoScalingService::~AutoScalingService() { Stop(); }

int64_t AutoScalingService::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status AutoScalingService::Load() {
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store_->List(kPrefix));
  {
    std::lock_guard lock(mu_);
    groups_.clear();
    for (const auto& kv : kvs) {
      auto j = nlohmann::json::parse(kv.value, nullptr, false);
      if (j.is_discarded()) return Internal("auto scaling record " + kv.key + " is not JSON");
      STRATUS_ASSIGN_OR_RETURN(auto g, GroupFromStoreJson(j));
      groups_[g.name] = std::move(g);
    }
  }
  if (alarms_) {
    alarms_->SetActionHandler("arn:aws:autoscaling:", [this](const std::string& arn, const cloudwatch::MetricAlarm& a) {
      OnAlarmAction(arn, a);
    });
  }
  return Status::Ok();
}

void AutoScalingService::StartLoop() {
  loop_ = std::thread([this] {
    std::unique_lock lock(loop_mu_);
    while (!stopping_) {
      woken_ = false;
      lock.unlock();
      Tick();
      int wait_ms = AnyPending() ? std::min(options_.fast_tick_ms, options_.tick_ms) : options_.tick_ms;
      lock.lock();
      loop_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_ || woken_; });
    }
  });
}

void AutoScalingService::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

void AutoScalingService::Wake() {
  {
    std::lock_guard lock(loop_mu_);
    woken_ = true;
  }
  loop_cv_.notify_all();
}

bool AutoScalingService::AnyPending() const {
  std::lock_guard lock(mu_);
  for (const auto& [name, g] : groups_) {
    for (const auto& i : g.instances) {
      if (i.lifecycle_state == "Pending") return true;
    }
  }
  return false;
}

void AutoScalingService::OnAlarmAction(const std::string& action_arn, const cloudwatch::MetricAlarm& alarm) {
  {
    std::lock_guard lock(triggers_mu_);
    if (triggers_.size() < 1000) triggers_.push_back({action_arn, alarm});
  }
  Wake();  // react now rather than at the next second
}

AutoScalingGroup* AutoScalingService::FindLocked(const std::string& name) {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

Status AutoScalingService::Persist(const AutoScalingGroup& g) {
  return store_->Put(kPrefix + g.name, ToStoreJson(g).dump()).status();
}

Status AutoScalingService::ApplySpec(const GroupSpec& s, AutoScalingGroup& g) const {
  if (s.launch_template) {
    auto lt = templates_->Find(*s.launch_template);
    if (!lt.ok()) return Validation("You must use a valid fully-formed launch template. " + lt.status().message());
    g.launch_template_id = lt->launch_template_id;
    g.launch_template_name = lt->launch_template_name;
  }
  if (s.launch_template_version) g.launch_template_version = *s.launch_template_version;
  if (s.min_size) g.min_size = *s.min_size;
  if (s.max_size) g.max_size = *s.max_size;
  if (s.desired_capacity) g.desired_capacity = *s.desired_capacity;
  if (s.default_cooldown) g.default_cooldown = *s.default_cooldown;
  if (s.default_instance_warmup) g.default_instance_warmup = *s.default_instance_warmup;
  if (s.health_check_grace_period) g.health_check_grace_period = *s.health_check_grace_period;
  if (s.health_check_type) g.health_check_type = *s.health_check_type;
  if (s.subnets) g.subnets = *s.subnets;
  if (s.termination_policies) g.termination_policies = *s.termination_policies;
  if (s.new_instances_protected_from_scale_in) g.new_instances_protected_from_scale_in = *s.new_instances_protected_from_scale_in;
  if (s.tags) g.tags = *s.tags;
  if (s.max_spend_per_hour) g.max_spend_per_hour = *s.max_spend_per_hour;
  if (s.target_groups) {
    g.target_group_arns.clear();
    for (const auto& tg : *s.target_groups) {
      if (!target_groups_) return Validation("target group " + tg + " not found: this stratusd has no load balancer service");
      auto arn = target_groups_->Resolve(tg);
      // Said once: the load balancer service's own NotFound names the target group again.
      if (!arn.ok() && arn.status().code() == Code::kNotFound) return Validation("target group " + tg + " not found");
      if (!arn.ok()) return Validation("target group " + tg + ": " + arn.status().message());
      g.target_group_arns.push_back(*arn);
    }
  }
  return Status::Ok();
}

Status AutoScalingService::ValidateSpec(AutoScalingGroup& g) const {
  if (g.launch_template_id.empty()) return Validation("a LaunchTemplate (LaunchTemplateId or LaunchTemplateName) is required");
  auto version = templates_->ResolveVersion(g.launch_template_id, g.launch_template_version);
  if (!version.ok()) return Validation(version.status().message());
  if (g.min_size < 0 || g.max_size < 0) return Validation("MinSize and MaxSize must be 0 or more");
  if (g.min_size > g.max_size) {
    return Validation("Max bound, " + std::to_string(g.max_size) + ", must be greater than or equal to min bound, " +
                      std::to_string(g.min_size));
  }
  if (g.desired_capacity < g.min_size || g.desired_capacity > g.max_size) {
    return Validation("Desired capacity:" + std::to_string(g.desired_capacity) + " must be between the specified min size:" +
                      std::to_string(g.min_size) + " and max size:" + std::to_string(g.max_size));
  }
  if (g.health_check_type != "EC2" && g.health_check_type != "ELB") return Validation("HealthCheckType must be EC2 or ELB");
  if (!(g.max_spend_per_hour >= 0 && g.max_spend_per_hour < 1e9)) return Validation("MaxSpendPerHour must be 0 (no budget) or more");
  if (g.health_check_grace_period < 0 || g.default_cooldown < 0 || g.default_instance_warmup < 0) {
    return Validation("HealthCheckGracePeriod, DefaultCooldown and DefaultInstanceWarmup must be 0 or more");
  }
  static const std::vector<std::string> kPolicies = {"Default", "OldestInstance", "NewestInstance",
                                                     "OldestLaunchTemplate", "OldestLaunchConfiguration",
                                                     "ClosestToNextInstanceHour", "AllocationStrategy"};
  for (const auto& p : g.termination_policies) {
    if (std::find(kPolicies.begin(), kPolicies.end(), p) == kPolicies.end()) return Validation("unknown termination policy " + p);
  }
  if (g.subnets.empty()) g.subnets = options_.default_subnets;
  for (const auto& s : g.subnets) {
    if (options_.validate_subnet) {
      Status st = options_.validate_subnet(s);
      if (!st.ok()) return Validation("The subnet ID '" + s + "' does not exist");
    }
  }
  return Status::Ok();
}

Result<AutoScalingGroup> AutoScalingService::CreateGroup(const GroupSpec& spec) {
  STRATUS_RETURN_IF_ERROR(ValidateGroupName(spec.name));
  AutoScalingGroup g;
  g.name = spec.name;
  if (!spec.min_size || !spec.max_size) return Validation("MinSize and MaxSize are required");
  STRATUS_RETURN_IF_ERROR(ApplySpec(spec, g));
  if (!spec.desired_capacity) g.desired_capacity = g.min_size;
  STRATUS_RETURN_IF_ERROR(ValidateSpec(g));
  std::lock_guard lock(mu_);
  if (FindLocked(g.name)) {
    return AlreadyExists("AutoScalingGroup by this name already exists - A group with the name " + g.name +
                         " already exists")
        .WithErrorCode("AlreadyExists");
  }
  g.arn = "arn:aws:autoscaling:" + options_.region + ":" + options_.account + ":autoScalingGroup:" + RandomHex(8) + "-" +
          RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(12) + ":autoScalingGroupName/" + g.name;
  g.created_time = FormatTime(Now());
  g.capacity_cause = "At " + FormatTime(Now()) + " a user request created an AutoScalingGroup changing the desired capacity from 0 to " +
                     std::to_string(g.desired_capacity) + ".";
  STRATUS_RETURN_IF_ERROR(Persist(g));
  groups_[g.name] = g;
  LogInfo("auto scaling group created", {{"group", g.name}, {"desired", std::to_string(g.desired_capacity)}});
  return g;
}

Result<AutoScalingGroup> AutoScalingService::UpdateGroup(const GroupSpec& spec) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* existing = FindLocked(spec.name);
  if (!existing) return GroupNotFound(spec.name);
  if (!existing->status.empty()) return Validation("AutoScalingGroup " + spec.name + " is being deleted");
  AutoScalingGroup g = *existing;
  STRATUS_RETURN_IF_ERROR(ApplySpec(spec, g));
  // A new min or max drags the desired capacity along, as AWS does.
  if (!spec.desired_capacity) g.desired_capacity = std::clamp(g.desired_capacity, g.min_size, std::max(g.min_size, g.max_size));
  STRATUS_RETURN_IF_ERROR(ValidateSpec(g));
  if (g.desired_capacity != existing->desired_capacity) {
    g.capacity_cause = "At " + FormatTime(Now()) + " a user request update of AutoScalingGroup constraints to min: " +
                       std::to_string(g.min_size) + ", max: " + std::to_string(g.max_size) + ", desired: " +
                       std::to_string(g.desired_capacity) + " changing the desired capacity from " +
                       std::to_string(existing->desired_capacity) + " to " + std::to_string(g.desired_capacity) + ".";
  }
  STRATUS_RETURN_IF_ERROR(Persist(g));
  *existing = g;
  return g;
}

Status AutoScalingService::DeleteGroup(const std::string& name, bool force) {
  ScalingPolicy gone_policies;
  std::vector<ScalingPolicy> policies;
  {
    std::lock_guard lock(mu_);
    AutoScalingGroup* g = FindLocked(name);
    if (!g) return GroupNotFound(name);
    if (!g->instances.empty() && !force) {
      return FailedPrecondition("You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.")
          .WithErrorCode("ResourceInUse");
    }
    policies = g->policies;
    if (g->instances.empty()) {
      STRATUS_RETURN_IF_ERROR(store_->Delete(kPrefix + name));
      groups_.erase(name);
    } else {
      AutoScalingGroup copy = *g;
      copy.status = "Delete in progress";
      copy.min_size = copy.max_size = copy.desired_capacity = 0;
      copy.policies.clear();
      copy.scheduled_actions.clear();
      copy.capacity_cause = "At " + FormatTime(Now()) + " a user request deleted the AutoScalingGroup (ForceDelete).";
      STRATUS_RETURN_IF_ERROR(Persist(copy));
      *g = copy;
    }
  }
  for (const auto& p : policies) DeleteAlarms(p);
  return Status::Ok();
}

std::vector<AutoScalingGroup> AutoScalingService::DescribeGroups(const std::vector<std::string>& names) const {
  std::lock_guard lock(mu_);
  std::vector<AutoScalingGroup> out;
  for (const auto& [name, g] : groups_) {
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end()) out.push_back(g);
  }
  return out;
}

Status AutoScalingService::CheckTemplateUnused(const std::string& lt_id) const {
  std::lock_guard lock(mu_);
  for (const auto& [name, g] : groups_) {
    if (g.launch_template_id == lt_id) {
      return FailedPrecondition("launch template " + lt_id + " is used by auto scaling group " + name)
          .WithErrorCode("ResourceInUse");
    }
  }
  return Status::Ok();
}

Result<AutoScalingGroup> AutoScalingService::GetGroup(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find(name);
  if (it == groups_.end()) return GroupNotFound(name);
  return it->second;
}

Result<AutoScalingGroup> AutoScalingService::SetDesiredCapacity(const std::string& name, int desired, bool honor_cooldown) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(name);
  if (!g) return GroupNotFound(name);
  if (desired < g->min_size || desired > g->max_size) {
    return Validation("New SetDesiredCapacity value " + std::to_string(desired) + " is " +
                      (desired < g->min_size ? "below min value " + std::to_string(g->min_size)
                                             : "above max value " + std::to_string(g->max_size)) +
                      " for the AutoScalingGroup.");
  }
  int64_t now = Now();
  if (honor_cooldown && now < g->last_scaling_ms + g->default_cooldown * 1000LL) {
    return FailedPrecondition("Scaling activity is in progress or the group is in cooldown").WithErrorCode("ScalingActivityInProgress");
  }
  AutoScalingGroup copy = *g;
  std::string cause = "At " + FormatTime(now) + " a user request explicitly set group desired capacity changing the desired capacity from " +
                      std::to_string(g->desired_capacity) + " to " + std::to_string(desired) + ".";
  copy.budget_refused_desired = 0;  // every refused request gets its activity
  if (ApplyBudget(copy, desired, now, cause) < desired) {
    // The request changes nothing but the activity log, which says why.
    std::string why = copy.activities.front().status_message;
    copy.budget_refused_desired = 0;
    AutoScalingGroup refused = *g;
    refused.activities = copy.activities;
    if (Persist(refused).ok()) *g = refused;
    return Validation(why);
  }
  ChangeDesired(copy, desired, now, cause);
  STRATUS_RETURN_IF_ERROR(Persist(copy));
  *g = copy;
  return copy;
}

std::vector<std::pair<AutoScalingGroup, AsgInstance>> AutoScalingService::DescribeInstances(
    const std::vector<std::string>& ids) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<AutoScalingGroup, AsgInstance>> out;
  for (const auto& [name, g] : groups_) {
    for (const auto& i : g.instances) {
      if (ids.empty() || std::find(ids.begin(), ids.end(), i.instance_id) != ids.end()) out.emplace_back(g, i);
    }
  }
  return out;
}

Result<std::pair<AutoScalingGroup, Activity>> AutoScalingService::TerminateInstance(const std::string& instance_id,
                                                                                      bool decrement) {
  std::lock_guard lock(mu_);
  for (auto& [name, g] : groups_) {
    AsgInstance* i = g.FindInstance(instance_id);
    if (!i) continue;
    if (i->lifecycle_state.rfind("Terminating", 0) == 0) {
      return Validation("instance " + instance_id + " is already terminating");
    }
    if (decrement && g.desired_capacity <= g.min_size) {
      return Validation("Currently, desiredSize equals minSize (" + std::to_string(g.min_size) +
                        "). Terminating instance without replacement will violate group's min size constraint. "
                        "Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.");
    }
    AutoScalingGroup copy = g;
    int64_t now = Now();
    std::string cause = "At " + FormatTime(now) + " instance " + instance_id +
                        " was taken out of service in response to a user request";
    if (decrement) {
      cause += ", shrinking the capacity from " + std::to_string(g.desired_capacity) + " to " +
               std::to_string(g.desired_capacity - 1);
      copy.desired_capacity -= 1;
      copy.capacity_cause.clear();
    }
    cause += ".";
    BeginTerminate(copy, *copy.FindInstance(instance_id), now, cause);
    STRATUS_RETURN_IF_ERROR(Persist(copy));
    g = copy;
    return std::make_pair(g, g.activities.front());
  }
  return Validation("Instance Id not found - No managed instance found for instance ID: " + instance_id);
}

Status AutoScalingService::SetInstanceProtection(const std::string& name, const std::vector<std::string>& ids, bool protect) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(name);
  if (!g) return GroupNotFound(name);
  AutoScalingGroup copy = *g;
  for (const auto& id : ids) {
    AsgInstance* i = copy.FindInstance(id);
    if (!i) return Validation("The instance " + id + " is not part of Auto Scaling group " + name + ".");
    i->protected_from_scale_in = protect;
  }
  STRATUS_RETURN_IF_ERROR(Persist(copy));
  *g = copy;
  return Status::Ok();
}

Status AutoScalingService::SetProcessesSuspended(const std::string& name, const std::vector<std::string>& processes,
                                                 bool suspend) {
  std::lock_guard lock(mu_);
  AutoScalingGroup* g = FindLocked(name);
  if (!g) return GroupNotFound(name);
  std::vector<std::string> list = processes;
  if (list.empty()) list.assign(ScalingProcessNames().begin(), ScalingProcessNames().end());
  AutoScalingGroup copy = *g;
  for (const auto& p : list) {
    if (!ScalingProcessNames().count(p)) return Validation("Unknown process name: " + p);
    if (suspend) copy.suspended_processes.insert(p);
    else copy.suspended_processes.erase(p);
  }
  STRATUS_RETURN_IF_ERROR(Persist(copy));
  *g = copy;
  return Status::Ok();
}

}  // namespace stratus::scaling
