// The reconcile logic against fakes: instances that start at once (or when told), target groups,
// metrics and alarms held in maps, and a clock the test moves.
#include "scaling/auto_scaling_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "common/ids.h"
#include "store/sqlite_store.h"

namespace stratus::scaling {
namespace {

class FakeInstances : public InstancePort {
 public:
  Result<std::string> Launch(const LaunchSpec& spec) override {
    std::string id = NewId("i");
    instances[id] = {id, start_running ? "running" : "pending", spec.subnet_id, "10.0.0.1"};
    specs[id] = spec;
    order.push_back(id);
    return id;
  }
  Result<InstanceView> Get(const std::string& id) override {
    auto it = instances.find(id);
    if (it == instances.end()) return NotFound(id);
    return it->second;
  }
  Status Terminate(const std::string& id) override {
    auto it = instances.find(id);
    if (it == instances.end()) return NotFound(id);
    it->second.state = "terminated";
    return Status::Ok();
  }
  Result<std::vector<InstanceView>> ListTagged(const std::string& key, const std::string& value) override {
    std::vector<InstanceView> out;
    for (const auto& [id, v] : instances) {
      if (v.state == "terminated") continue;
      for (const auto& t : specs[id].tags) {
        if (t.key == key && t.value == value) out.push_back(v);
      }
    }
    return out;
  }
  int Running() const {
    int n = 0;
    for (const auto& [id, v] : instances) n += v.state == "running";
    return n;
  }
  bool start_running = true;
  std::map<std::string, InstanceView> instances;
  std::map<std::string, LaunchSpec> specs;
  std::vector<std::string> order;
};

class FakeTargetGroups : public TargetGroupPort {
 public:
  Result<std::string> Resolve(const std::string& name) override {
    if (name != "web") return NotFound("target group " + name);
    return std::string("arn:tg/web");
  }
  Status Register(const std::string&, const std::string& id) override {
    state[id] = "healthy";
    return Status::Ok();
  }
  Status Deregister(const std::string&, const std::string& id) override {
    state[id] = "draining";
    return Status::Ok();
  }
  Result<std::vector<TargetState>> Health(const std::string&) override {
    std::vector<TargetState> out;
    for (const auto& [id, s] : state) out.push_back({id, s});
    return out;
  }
  std::map<std::string, std::string> state;
};

class FakeMetrics : public MetricReader {
 public:
  std::optional<double> Read(const MetricQuery& q) override {
    windows.push_back(q.window_seconds);
    if (series) return series(q);
    if (q.dimensions.empty()) return std::nullopt;
    auto it = cpu.find(q.dimensions[0].value);
    if (it == cpu.end()) return default_cpu;
    return it->second;
  }
  std::optional<double> default_cpu;
  std::map<std::string, double> cpu;
  std::function<std::optional<double>(const MetricQuery&)> series;  // when set, answers every read
  std::vector<int> windows;                                          // window_seconds of every read
};

class FakeAlarms : public cloudwatch::AlarmService {
 public:
  Result<cloudwatch::MetricAlarm> PutMetricAlarm(cloudwatch::MetricAlarm a) override {
    a.alarm_arn = "arn:aws:cloudwatch:local:0:alarm:" + a.alarm_name;
    alarms[a.alarm_name] = a;
    return a;
  }
  Result<std::vector<cloudwatch::MetricAlarm>> DescribeAlarms(const std::vector<std::string>&, const std::string&,
                                                              const std::string&) const override {
    std::vector<cloudwatch::MetricAlarm> out;
    for (const auto& [n, a] : alarms) out.push_back(a);
    return out;
  }
  Status DeleteAlarms(const std::vector<std::string>& names) override {
    for (const auto& n : names) {
      if (!alarms.erase(n)) return NotFound(n);
    }
    return Status::Ok();
  }
  Status SetAlarmState(const std::string&, const std::string&, const std::string&) override { return Status::Ok(); }
  std::vector<cloudwatch::AlarmHistoryItem> DescribeAlarmHistory(const std::string&) const override { return {}; }
  void SetActionHandler(const std::string&, cloudwatch::AlarmActionHandler h) override { handler = std::move(h); }
  std::map<std::string, cloudwatch::MetricAlarm> alarms;
  cloudwatch::AlarmActionHandler handler;
};

class AutoScalingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("scaling-test-" + RandomHex(8));
    std::filesystem::create_directories(dir_);
    auto opened = OpenSqliteStore((dir_ / "db").string());
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    LaunchTemplateOptions lo;
    lo.resolve_image = [](const std::string& id) -> Result<std::string> {
      if (id == "missing") return NotFound("image missing not found");
      return id;
    };
    templates_ = std::make_unique<LaunchTemplateService>(store_.get(), lo);
    ASSERT_TRUE(templates_->Load().ok());
    LaunchTemplateData d;
    d.image_id = "ami-1";
    d.tags = {{"Role", "web"}};
    lt_ = templates_->Create("web-lt", d, "v1")->launch_template_id;
    MakeService();
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  void MakeService() {
    service_.reset();
    AutoScalingOptions o;
    o.default_subnets = {"subnet-a", "subnet-b", "subnet-c"};
    o.clock = [this] { return now_; };
    o.max_drain_seconds = 5;
    o.instance_hour_price = [](const std::string&) { return 0.01; };  // every type: a cent an hour
    o.publish_group_metrics = [this](const std::string& group, int64_t ts, const std::vector<GroupMetric>& m) {
      published_.push_back({group, ts, m});
    };
    service_ = std::make_unique<AutoScalingService>(store_.get(), templates_.get(), &instances_, &tgs_, &metrics_,
                                                    &alarms_, o);
    ASSERT_TRUE(service_->Load().ok());
  }
  GroupSpec Spec(int min, int max, std::optional<int> desired) {
    GroupSpec s;
    s.name = "web";
    s.launch_template = "web-lt";
    s.min_size = min;
    s.max_size = max;
    s.desired_capacity = desired;
    return s;
  }
  // Advances the clock by `seconds`, one tick per second.
  void Run(int seconds) {
    for (int k = 0; k < seconds; ++k) {
      now_ += 1000;
      service_->Tick();
    }
  }
  // Target tracking of ASGAverageCPUUtilization at 50 %, named cpu50.
  static ScalingPolicy CpuPolicy50() {
    ScalingPolicy p;
    p.policy_name = "cpu50";
    p.policy_type = "TargetTrackingScaling";
    p.predefined_metric_type = "ASGAverageCPUUtilization";
    p.target_value = 50;
    return p;
  }
  AutoScalingGroup G() {
    auto g = service_->GetGroup("web");
    return g.ok() ? *g : AutoScalingGroup{};
  }
  int Count(const char* state) {
    int n = 0;
    AutoScalingGroup g = G();
    for (const auto& i : g.instances) n += i.lifecycle_state == state;
    return n;
  }

  // The value of `name` in the last group metrics published, -1 when none.
  double LastPublished(const std::string& name) const {
    if (published_.empty()) return -1;
    for (const auto& m : published_.back().metrics) {
      if (m.name == name) return m.value;
    }
    return -1;
  }
  struct Published {
    std::string group;
    int64_t timestamp_ms;
    std::vector<GroupMetric> metrics;
  };

  std::vector<Published> published_;
  std::filesystem::path dir_;
  StorePtr store_;
  std::unique_ptr<LaunchTemplateService> templates_;
  FakeInstances instances_;
  FakeTargetGroups tgs_;
  FakeMetrics metrics_;
  FakeAlarms alarms_;
  std::unique_ptr<AutoScalingService> service_;
  std::string lt_;
  int64_t now_ = 1795759200000;
};

TEST_F(AutoScalingTest, LaunchesDesiredSpreadOverSubnetsWithTags) {
  GroupSpec s = Spec(1, 5, 3);
  s.tags = std::vector<AsgTag>{{"Team", "blue", true}, {"Secret", "x", false}};
  ASSERT_TRUE(service_->CreateGroup(s).ok());
  Run(2);
  EXPECT_EQ(Count("InService"), 3);
  std::set<std::string> subnets;
  for (const auto& [id, v] : instances_.instances) subnets.insert(v.subnet_id);
  EXPECT_EQ(subnets.size(), 3u);
  const auto& tags = instances_.specs.begin()->second.tags;
  auto has = [&](const std::string& k, const std::string& v) {
    return std::any_of(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == k && t.value == v; });
  };
  EXPECT_TRUE(has("aws:autoscaling:groupName", "web"));
  EXPECT_TRUE(has("Team", "blue"));
  EXPECT_TRUE(has("Role", "web"));
  EXPECT_FALSE(has("Secret", "x"));
  auto g = service_->GetGroup("web");
  ASSERT_FALSE(g->activities.empty());
  EXPECT_NE(g->activities.front().cause.find("a user request created an AutoScalingGroup"), std::string::npos);
  EXPECT_EQ(g->activities.front().status_code, "Successful");
}

TEST_F(AutoScalingTest, BadInputChangesNothing) {
  EXPECT_EQ(service_->CreateGroup(Spec(3, 1, std::nullopt)).status().error_code(), "ValidationError");
  EXPECT_EQ(service_->CreateGroup(Spec(1, 3, 5)).status().error_code(), "ValidationError");
  GroupSpec s = Spec(1, 3, 2);
  s.launch_template = "nope";
  EXPECT_EQ(service_->CreateGroup(s).status().error_code(), "ValidationError");
  s = Spec(1, 3, 2);
  s.target_groups = std::vector<std::string>{"unknown-tg"};
  Status unknown_tg = service_->CreateGroup(s).status();
  EXPECT_EQ(unknown_tg.error_code(), "ValidationError");
  EXPECT_EQ(unknown_tg.message(), "target group unknown-tg not found");  // said once
  EXPECT_TRUE(service_->DescribeGroups({}).empty());
  EXPECT_TRUE(store_->List("asg/")->empty());
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 3, 2)).ok());
  EXPECT_FALSE(service_->SetDesiredCapacity("web", 4, false).ok());
  EXPECT_EQ(G().desired_capacity, 2);
  LaunchTemplateData bad;
  bad.image_id = "missing";
  EXPECT_FALSE(templates_->Create("bad", bad, "").ok());
}

TEST_F(AutoScalingTest, ReplacesDeadInstances) {
  ASSERT_TRUE(service_->CreateGroup(Spec(2, 4, 2)).ok());
  Run(2);
  ASSERT_EQ(Count("InService"), 2);
  std::string victim = G().instances[0].instance_id;
  instances_.instances[victim].state = "terminated";  // its processes died
  Run(3);
  EXPECT_EQ(Count("InService"), 2);
  EXPECT_FALSE(G().FindInstance(victim));
  bool found = false;
  AutoScalingGroup g = G();
  for (const auto& a : g.activities) {
    found = found || a.cause.find("EC2 health check indicating it has been terminated or stopped") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

TEST_F(AutoScalingTest, ScaleInDrainsTargetsBeforeTerminating) {
  GroupSpec s = Spec(1, 4, 3);
  s.target_groups = std::vector<std::string>{"web"};
  ASSERT_TRUE(service_->CreateGroup(s).ok());
  Run(3);  // launch, register, healthy
  ASSERT_EQ(Count("InService"), 3);
  ASSERT_TRUE(service_->SetDesiredCapacity("web", 1, false).ok());
  Run(1);
  EXPECT_EQ(Count("Terminating:Wait"), 2);
  EXPECT_EQ(instances_.Running(), 3);  // still draining
  Run(6);                              // past the drain bound
  EXPECT_EQ(instances_.Running(), 1);
  EXPECT_EQ(G().instances.size(), 1u);
}

TEST_F(AutoScalingTest, ScaleInProtectionAndTerminationPolicy) {
  GroupSpec s = Spec(0, 4, 3);
  s.termination_policies = std::vector<std::string>{"NewestInstance"};
  ASSERT_TRUE(service_->CreateGroup(s).ok());
  for (int k = 0; k < 3; ++k) {  // launched one second apart
    ASSERT_TRUE(service_->SetDesiredCapacity("web", k + 1, false).ok());
    Run(1);
  }
  auto order = instances_.order;
  ASSERT_EQ(order.size(), 3u);
  ASSERT_TRUE(service_->SetInstanceProtection("web", {order[2]}, true).ok());
  ASSERT_TRUE(service_->SetDesiredCapacity("web", 2, false).ok());
  Run(2);
  EXPECT_EQ(instances_.instances[order[1]].state, "terminated");  // newest unprotected
  EXPECT_EQ(instances_.instances[order[2]].state, "running");
}

TEST_F(AutoScalingTest, TargetTrackingScalesOutFastAndInAfterTheWindow) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 2)).ok());
  Run(2);
  ScalingPolicy p = CpuPolicy50();
  p.scale_in_stabilization = 10;
  auto put = service_->PutScalingPolicy("web", p);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_EQ(put->alarms.size(), 2u);
  EXPECT_EQ(alarms_.alarms[put->alarms[0].first].evaluation_periods, 2);
  EXPECT_EQ(alarms_.alarms[put->alarms[1].first].threshold, 45);
  Run(10);  // past the warmup, at no load yet: metrics absent
  EXPECT_EQ(G().desired_capacity, 2);
  metrics_.default_cpu = 100;
  Run(1);
  EXPECT_EQ(G().desired_capacity, 4);
  // New instances are warming up: their (absent here, in reality low) metrics do not count, and the
  // old ones at 100% do not push the group further.
  Run(2);
  EXPECT_EQ(G().desired_capacity, 4);
  metrics_.default_cpu = 50;
  Run(10);
  EXPECT_EQ(G().desired_capacity, 4);
  metrics_.default_cpu = 10;
  Run(5);
  EXPECT_EQ(G().desired_capacity, 4);  // the stabilisation window holds it
  Run(12);
  EXPECT_EQ(G().desired_capacity, 1);
  ASSERT_TRUE(service_->DeletePolicy("web", "cpu50").ok());
  EXPECT_TRUE(alarms_.alarms.empty());
}

// The scale-out window: the average of the last ScaleOutEvaluationPeriods (2) periods, the one just
// collected included (as MetricStoreReader reads), must be above the target.
TEST_F(AutoScalingTest, TargetTrackingScalesOutOnTheAverageOfTheLastTwoPeriods) {
  std::map<int64_t, double> cpu;  // second -> every instance's CPUUtilization in it
  metrics_.series = [&](const MetricQuery& q) -> std::optional<double> {
    double sum = 0;
    int n = 0;
    for (int64_t s = now_ / 1000 - q.window_seconds + 1; s <= now_ / 1000; ++s) {
      if (cpu.count(s)) sum += cpu[s], ++n;
    }
    return n ? std::optional<double>(sum / n) : std::nullopt;
  };
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 2)).ok());
  ScalingPolicy p = CpuPolicy50();
  p.estimated_instance_warmup = 0;
  p.disable_scale_in = true;
  auto put = service_->PutScalingPolicy("web", p);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(alarms_.alarms[put->alarms[0].first].evaluation_periods, 2);  // the high alarm has the same window
  auto at = [&](int64_t ahead, double v) { cpu[now_ / 1000 + ahead] = v; };
  for (int k = 1; k <= 3; ++k) at(k, 5);
  Run(3);
  EXPECT_EQ(G().desired_capacity, 2);
  metrics_.windows.clear();
  at(1, 90);  // the step began during this second
  Run(1);
  EXPECT_EQ(G().desired_capacity, 2);  // (5 + 90) / 2 = 47.5: not above 50
  EXPECT_EQ(metrics_.windows.front(), 2);
  at(1, 100);
  Run(1);
  EXPECT_EQ(G().desired_capacity, 4);  // (90 + 100) / 2 = 95: ceil(2 * 95 / 50)
  // With MetricPeriod 2 the window is 4 seconds.
  p.metric_period = 2;
  ASSERT_TRUE(service_->PutScalingPolicy("web", p).ok());
  metrics_.windows.clear();
  Run(1);
  EXPECT_EQ(metrics_.windows.front(), 4);
  // ScaleOutEvaluationPeriods below 1 is refused.
  p.scale_out_periods = 0;
  EXPECT_FALSE(service_->PutScalingPolicy("web", p).ok());
}

TEST_F(AutoScalingTest, SimpleScalingHonoursCooldown) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 1)).ok());
  ScalingPolicy p;
  p.policy_name = "up";
  p.scaling_adjustment = 2;
  p.cooldown = 30;
  auto put = service_->PutScalingPolicy("web", p);
  ASSERT_TRUE(put.ok());
  cloudwatch::MetricAlarm alarm;
  alarm.alarm_name = "high";
  alarms_.handler(put->policy_arn, alarm);
  Run(1);
  EXPECT_EQ(G().desired_capacity, 3);
  alarms_.handler(put->policy_arn, alarm);  // within the cooldown: ignored
  Run(1);
  EXPECT_EQ(G().desired_capacity, 3);
  Run(30);
  alarms_.handler(put->policy_arn, alarm);
  Run(1);
  EXPECT_EQ(G().desired_capacity, 5);
}

TEST_F(AutoScalingTest, PublishesGroupSizesOncePerSecondAsAwsAutoScalingMetrics) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 4, 2)).ok());
  Run(1);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].group, "web");
  EXPECT_EQ(published_[0].timestamp_ms % 1000, 0);  // stamped at a whole second
  EXPECT_EQ(LastPublished("GroupDesiredCapacity"), 2);
  EXPECT_EQ(LastPublished("GroupMinSize"), 1);
  EXPECT_EQ(LastPublished("GroupMaxSize"), 4);
  EXPECT_EQ(LastPublished("GroupPendingInstances") + LastPublished("GroupInServiceInstances"), 2);
  service_->Tick();  // a second tick within the same second publishes nothing more
  EXPECT_EQ(published_.size(), 1u);
  Run(3);
  EXPECT_EQ(published_.size(), 4u);
  EXPECT_EQ(LastPublished("GroupInServiceInstances"), 2);
  EXPECT_EQ(LastPublished("GroupPendingInstances"), 0);
  EXPECT_EQ(LastPublished("GroupTotalInstances"), 2);
  ASSERT_TRUE(service_->SetDesiredCapacity("web", 3, false).ok());
  Run(1);
  EXPECT_EQ(LastPublished("GroupDesiredCapacity"), 3);
  EXPECT_EQ(LastPublished("GroupPendingInstances"), Count("Pending"));
  EXPECT_EQ(LastPublished("GroupTotalInstances"), 3);
}

TEST_F(AutoScalingTest, BudgetRefusesScaleOutPastMaxSpendAndSaysWhy) {
  GroupSpec s = Spec(1, 10, 1);
  s.max_spend_per_hour = 0.035;  // three instances at $0.01
  ASSERT_TRUE(service_->CreateGroup(s).ok());
  ScalingPolicy p;
  p.policy_name = "up";
  p.scaling_adjustment = 5;
  p.cooldown = 0;
  auto put = service_->PutScalingPolicy("web", p);
  ASSERT_TRUE(put.ok());
  cloudwatch::MetricAlarm alarm;
  alarm.alarm_name = "high";
  alarms_.handler(put->policy_arn, alarm);
  Run(3);
  EXPECT_EQ(G().desired_capacity, 3);  // as far as the budget goes
  EXPECT_EQ(Count("InService"), 3);
  auto g = G();
  auto it = std::find_if(g.activities.begin(), g.activities.end(), [](const Activity& a) { return a.status_code == "Failed"; });
  ASSERT_NE(it, g.activities.end());
  EXPECT_NE(it->description.find("6 instances"), std::string::npos) << it->description;
  EXPECT_NE(it->description.find("MaxSpendPerHour of $0.0350"), std::string::npos) << it->description;
  EXPECT_NE(it->description.find("desired capacity set to 3"), std::string::npos) << it->description;
  // Each refused value gets one activity (3 + 5 = 8 now), not one per trigger or tick; SetDesiredCapacity
  // past the budget is an error that changes nothing but the activity log.
  auto failed = [this] {
    auto acts = G().activities;
    return std::count_if(acts.begin(), acts.end(), [](const Activity& a) { return a.status_code == "Failed"; });
  };
  EXPECT_EQ(failed(), 1);
  for (int k = 0; k < 3; ++k) {
    alarms_.handler(put->policy_arn, alarm);
    Run(1);
  }
  EXPECT_EQ(failed(), 2);
  EXPECT_EQ(G().desired_capacity, 3);
  auto set = service_->SetDesiredCapacity("web", 5, false);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().error_code(), "ValidationError");
  EXPECT_NE(set.status().message().find("refused by the budget"), std::string::npos);
  EXPECT_EQ(G().desired_capacity, 3);
  EXPECT_EQ(G().activities.front().status_code, "Failed");
  // Scale-in is never limited, and without a budget nothing is.
  ASSERT_TRUE(service_->SetDesiredCapacity("web", 2, false).ok());
  GroupSpec unlimited;
  unlimited.name = "web";
  unlimited.max_spend_per_hour = 0;
  ASSERT_TRUE(service_->UpdateGroup(unlimited).ok());
  ASSERT_TRUE(service_->SetDesiredCapacity("web", 8, false).ok());
  GroupSpec negative;
  negative.name = "web";
  negative.max_spend_per_hour = -1;
  EXPECT_EQ(service_->UpdateGroup(negative).status().error_code(), "ValidationError");
}

TEST_F(AutoScalingTest, InstanceRefreshKeepsMinHealthy) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 4)).ok());
  Run(2);
  LaunchTemplateData d2;
  d2.image_id = "ami-2";
  ASSERT_TRUE(templates_->CreateVersion("web-lt", d2, "", "v2").ok());
  ASSERT_TRUE(templates_->ModifyDefaultVersion("web-lt", "2").ok());
  instances_.start_running = false;  // new instances take a few ticks to run
  ASSERT_TRUE(service_->StartInstanceRefresh("web", 75, 0).ok());
  int min_in_service = 100;
  for (int k = 0; k < 60; ++k) {
    Run(1);
    for (auto& [id, v] : instances_.instances) {
      if (v.state == "pending") v.state = "running";  // one tick after launch
    }
    min_in_service = std::min(min_in_service, Count("InService"));
  }
  EXPECT_GE(min_in_service, 3);
  auto g = service_->GetGroup("web");
  EXPECT_EQ(g->refreshes.front().status, "Successful");
  EXPECT_EQ(g->instances.size(), 4u);
  for (const auto& i : g->instances) EXPECT_EQ(i.launch_template_version, 2);
}

TEST_F(AutoScalingTest, RestartMidScalingConverges) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 2)).ok());
  Run(2);
  instances_.start_running = false;
  ASSERT_TRUE(service_->SetDesiredCapacity("web", 5, false).ok());
  Run(1);
  EXPECT_EQ(Count("Pending"), 3);
  MakeService();  // stratusd restarts
  for (auto& [id, v] : instances_.instances) v.state = "running";
  Run(2);
  EXPECT_EQ(Count("InService"), 5);
  EXPECT_EQ(instances_.instances.size(), 5u);
}

TEST_F(AutoScalingTest, ForceDeleteTerminatesEverything) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 2)).ok());
  Run(2);
  EXPECT_EQ(service_->DeleteGroup("web", false).error_code(), "ResourceInUse");
  ASSERT_TRUE(service_->DeleteGroup("web", true).ok());
  Run(3);
  EXPECT_FALSE(service_->GetGroup("web").ok());
  EXPECT_EQ(instances_.Running(), 0);
  EXPECT_TRUE(store_->List("asg/")->empty());
}

TEST_F(AutoScalingTest, ScheduledActionRuns) {
  ASSERT_TRUE(service_->CreateGroup(Spec(1, 10, 1)).ok());
  ScheduledAction a;
  a.name = "morning";
  a.start_ms = now_ + 5000;
  a.desired_capacity = 3;
  ASSERT_TRUE(service_->PutScheduledAction("web", a).ok());
  Run(3);
  EXPECT_EQ(G().desired_capacity, 1);
  Run(3);
  EXPECT_EQ(G().desired_capacity, 3);
  a.time_zone = "Europe/Paris";
  EXPECT_FALSE(service_->PutScheduledAction("web", a).ok());
}

TEST_F(AutoScalingTest, LaunchTemplatesVersionsAndImageUse) {
  EXPECT_TRUE(templates_->UsesImage("ami-1"));
  EXPECT_FALSE(templates_->UsesImage("ami-9"));
  LaunchTemplateData d;
  d.instance_type = "c5.large";
  auto v = templates_->CreateVersion("web-lt", d, "$Latest", "bigger");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->second, 2);
  EXPECT_EQ(templates_->ResolveVersion("web-lt", "$Latest")->data.image_id, "ami-1");  // from the source
  EXPECT_EQ(templates_->ResolveVersion("web-lt", "$Default")->version_number, 1);
  EXPECT_FALSE(templates_->ResolveVersion("web-lt", "7").ok());
  d.image_id = "ami-1";
  EXPECT_EQ(templates_->Create("web-lt", d, "").status().code(), Code::kAlreadyExists);
  LaunchTemplateService reloaded(store_.get(), {});
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.Find(lt_)->latest_version_number, 2);
}

}  // namespace
}  // namespace stratus::scaling
