#include "scaling/scaling_math.h"

#include <gtest/gtest.h>

namespace stratus::scaling {
namespace {

AsgInstance Inst(std::string id, std::string subnet, int64_t launched, int64_t version) {
  AsgInstance i;
  i.instance_id = std::move(id);
  i.subnet_id = std::move(subnet);
  i.launched_ms = launched;
  i.launch_template_version = version;
  i.lifecycle_state = "InService";
  return i;
}

TEST(TargetTracking, CapacityIsCeilOfCurrentTimesMetricOverTarget) {
  EXPECT_EQ(TargetTrackingCapacity(2, 100, 50), 4);
  EXPECT_EQ(TargetTrackingCapacity(2, 50, 50), 2);
  EXPECT_EQ(TargetTrackingCapacity(2, 51, 50), 3);
  EXPECT_EQ(TargetTrackingCapacity(4, 10, 50), 1);
  EXPECT_EQ(TargetTrackingCapacity(3, 0, 50), 0);
  EXPECT_EQ(TargetTrackingCapacity(0, 90, 50), 0);
}

TEST(TargetTracking, ScaleOutOnlyAboveTheTargetAndTheDesiredCapacity) {
  EXPECT_EQ(ScaleOutCapacity(2, 100, 50, 2), 4);
  EXPECT_EQ(ScaleOutCapacity(2, 52.5, 50, 2), 3);            // a lone 100 % second after a 5 % one
  EXPECT_EQ(ScaleOutCapacity(2, 50, 50, 2), std::nullopt);   // at the target: not above it
  EXPECT_EQ(ScaleOutCapacity(2, 47.5, 50, 2), std::nullopt);
  EXPECT_EQ(ScaleOutCapacity(2, 100, 50, 4), std::nullopt);  // warming instances already cover it
  EXPECT_EQ(ScaleOutCapacity(2, 100, 50, 3), 4);
  EXPECT_EQ(ScaleOutCapacity(2, std::nullopt, 50, 2), std::nullopt);  // no data
}

TEST(Termination, BalancesSubnetsFirst) {
  std::vector<AsgInstance> all = {Inst("i-a", "s1", 1, 1), Inst("i-b", "s1", 2, 1), Inst("i-c", "s2", 0, 1)};
  auto v = ChooseInstancesToTerminate(all, all, {"Default"}, 1);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "i-a");  // s1 has two; the oldest of them
}

TEST(Termination, PolicyOrder) {
  std::vector<AsgInstance> all = {Inst("i-a", "s1", 10, 2), Inst("i-b", "s2", 20, 1), Inst("i-c", "s3", 30, 3)};
  EXPECT_EQ(ChooseInstancesToTerminate(all, all, {"OldestInstance"}, 3), (std::vector<std::string>{"i-a", "i-b", "i-c"}));
  EXPECT_EQ(ChooseInstancesToTerminate(all, all, {"NewestInstance"}, 3), (std::vector<std::string>{"i-c", "i-b", "i-a"}));
  EXPECT_EQ(ChooseInstancesToTerminate(all, all, {"OldestLaunchTemplate"}, 3),
            (std::vector<std::string>{"i-b", "i-a", "i-c"}));
  EXPECT_EQ(ChooseInstancesToTerminate(all, all, {"Default"}, 1), (std::vector<std::string>{"i-b"}));
}

TEST(Termination, RefreshPrefersOldVersionsAndSkipsNonCandidates) {
  std::vector<AsgInstance> all = {Inst("i-new", "s1", 1, 2), Inst("i-new2", "s1", 2, 2), Inst("i-old", "s2", 3, 1)};
  EXPECT_EQ(ChooseInstancesToTerminate(all, all, {"Default"}, 1, 2), (std::vector<std::string>{"i-old"}));
  std::vector<AsgInstance> candidates = {all[0]};  // the others are protected
  EXPECT_EQ(ChooseInstancesToTerminate(candidates, all, {"Default"}, 2), (std::vector<std::string>{"i-new"}));
}

TEST(Adjustments, SimpleAndStep) {
  EXPECT_EQ(ApplyAdjustment("ChangeInCapacity", 2, 3, 0), 5);
  EXPECT_EQ(ApplyAdjustment("ChangeInCapacity", -5, 3, 0), 0);
  EXPECT_EQ(ApplyAdjustment("ExactCapacity", 7, 3, 0), 7);
  EXPECT_EQ(ApplyAdjustment("PercentChangeInCapacity", 50, 4, 0), 6);
  EXPECT_EQ(ApplyAdjustment("PercentChangeInCapacity", 10, 4, 0), 5);   // 0.4 rounds to 1
  EXPECT_EQ(ApplyAdjustment("PercentChangeInCapacity", 10, 4, 2), 6);   // MinAdjustmentMagnitude
  std::vector<StepAdjustment> steps = {{0.0, 20.0, 1}, {20.0, std::nullopt, 3}};
  EXPECT_EQ(StepAdjustmentFor(steps, 65, 50), 1);
  EXPECT_EQ(StepAdjustmentFor(steps, 80, 50), 3);
  EXPECT_EQ(StepAdjustmentFor(steps, 40, 50), std::nullopt);
}

TEST(Cron, NextMatches) {
  // 2026-11-27T06:00:00Z = 1795759200
  int64_t t = 1795759200LL * 1000;
  auto every5 = CronSchedule::Parse("*/5 * * * *");
  ASSERT_TRUE(every5.ok());
  EXPECT_EQ(every5->Next(t), t + 5 * 60 * 1000);
  auto nine = CronSchedule::Parse("0 9 * * 1-5");
  ASSERT_TRUE(nine.ok());
  EXPECT_EQ(nine->Next(t), t + 3 * 3600 * 1000);  // Friday 09:00
  auto weekend = CronSchedule::Parse("30 8 * * 6");
  ASSERT_TRUE(weekend.ok());
  EXPECT_EQ(weekend->Next(t), t + (24 + 2) * 3600 * 1000LL + 30 * 60 * 1000);
  EXPECT_FALSE(CronSchedule::Parse("* * *").ok());
  EXPECT_FALSE(CronSchedule::Parse("61 * * * *").ok());
  EXPECT_FALSE(CronSchedule::Parse("a * * * *").ok());
}

TEST(Refresh, KeepsMinHealthy) {
  // 4 desired, 50%: two may go at once.
  EXPECT_EQ(PlanRefresh(4, 50, 4, 4, 4).terminate_now, 2);
  // 2 desired, 90%: none may go; surge one.
  RefreshStep s = PlanRefresh(2, 90, 2, 2, 2);
  EXPECT_EQ(s.terminate_now, 0);
  EXPECT_EQ(s.surge, 1);
  EXPECT_EQ(PlanRefresh(2, 90, 3, 3, 2).terminate_now, 1);
  EXPECT_EQ(PlanRefresh(2, 90, 3, 3, 0).terminate_now, 0);
}

TEST(Refresh, WaitsForAWarmingReplacementInsteadOfSurging) {
  // 3 desired, 66%: one old went, its replacement is warming up (2 ready of 3 active).
  RefreshStep s = PlanRefresh(3, 66, 2, 3, 2);
  EXPECT_EQ(s.terminate_now, 0);
  EXPECT_EQ(s.surge, 0);
  // 1 desired, 100%: the only instance may not go before another is ready.
  EXPECT_EQ(PlanRefresh(1, 100, 1, 1, 1).surge, 1);
}

}  // namespace
}  // namespace stratus::scaling
