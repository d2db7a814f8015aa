// Alarms evaluated every second against synthetic metrics in a real MetricStore.
#include "metrics/alarm_query.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

constexpr int64_t kT0 = 1795755600000;  // 2026-11-27T05:00:00Z

class AlarmQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MetricStoreOptions o;
    o.background = false;
    o.clock = [this] { return now_; };
    store_ = std::move(OpenMetricStore(o)).value();
  }
  void PutCpu(int64_t second, double v) {
    MetricDatum d;
    d.metric = MetricIdentity{"AWS/EC2", "CPUUtilization", {{"AutoScalingGroupName", "web"}}, "Percent"};
    d.timestamp_ms = kT0 + second * 1000 + 300;
    d.value = v;
    ASSERT_TRUE(store_->PutMetricData({d}).ok());
  }
  AlarmMetric Cpu(std::string statistic = "Average") {
    return AlarmMetric{"AWS/EC2", "CPUUtilization", {{"AutoScalingGroupName", "web"}}, std::nullopt, statistic};
  }

  int64_t now_ = kT0;
  MetricStorePtr store_;
};

TEST_F(AlarmQueryTest, RangeEndsWithTheLastSettledPeriod) {
  PutCpu(3, 42);
  AlarmConfig c;
  c.period_s = 1;
  c.evaluation_periods = 3;
  now_ = kT0 + 5500;  // settled: periods up to [3 s, 4 s) end at 4 s <= 5.5 s - 1 s
  auto r = QueryAlarmRange(store_.get(), Cpu(), c, now_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ(r->front().timestamp_ms, kT0 - 1000);
  EXPECT_EQ(r->back().timestamp_ms, kT0 + 3000);
  EXPECT_EQ(r->back().value, 42);
  EXPECT_FALSE((*r)[3].value.has_value());
  AlarmMetric bad = Cpu("Median");
  EXPECT_EQ(QueryAlarmRange(store_.get(), bad, c, now_).status().code(), Code::kInvalidArgument);
}

// 2 of 3 one-second periods above 50, then the metric stops: what each TreatMissingData does.
TEST_F(AlarmQueryTest, TwoOfThreeThenTheMetricStops) {
  const TreatMissingData treatments[] = {TreatMissingData::kMissing, TreatMissingData::kIgnore,
                                         TreatMissingData::kBreaching, TreatMissingData::kNotBreaching};
  std::vector<AlarmStateMachine> alarms;
  for (TreatMissingData t : treatments) {
    AlarmConfig c;
    c.statistic = "Average";
    c.period_s = 1;
    c.evaluation_periods = 3;
    c.datapoints_to_alarm = 2;
    c.comparison = ComparisonOperator::kGreaterThanThreshold;
    c.threshold = 50;
    c.treat_missing_data = t;
    alarms.emplace_back(c, kT0);
  }
  using S = AlarmState;
  // Expected state after the tick at t seconds, per treatment (missing, ignore, breaching, notBreaching).
  struct Tick {
    int t;
    S want[4];
  };
  const std::vector<Tick> ticks = {
      {10, {S::kOk, S::kOk, S::kOk, S::kOk}},              // 10 % for 10 s
      {12, {S::kOk, S::kOk, S::kOk, S::kOk}},              // one breaching second so far
      {13, {S::kAlarm, S::kAlarm, S::kAlarm, S::kAlarm}},  // 10, 80, 80: 2 of 3
      {14, {S::kAlarm, S::kAlarm, S::kAlarm, S::kAlarm}},  // data stopped; 4 real datapoints in range
      {16, {S::kAlarm, S::kAlarm, S::kAlarm, S::kAlarm}},  // 80 80 - - -: two real ones still breach
      {17, {S::kAlarm, S::kAlarm, S::kAlarm, S::kOk}},     // 80 - - - -: oldest breaching
      {18, {S::kInsufficientData, S::kAlarm, S::kAlarm, S::kOk}},  // nothing left
  };
  for (int s = 0; s < 10; ++s) PutCpu(s, 10);
  size_t next = 0;
  for (int t = 1; t <= 18; ++t) {
    if (t == 11 || t == 12) PutCpu(t - 1, 80);  // seconds 10 and 11
    now_ = kT0 + t * 1000;
    for (size_t a = 0; a < alarms.size(); ++a) {
      auto range = QueryAlarmRange(store_.get(), Cpu(), alarms[a].config(), now_);
      ASSERT_TRUE(range.ok());
      alarms[a].Evaluate(*range, now_);
    }
    if (next < ticks.size() && ticks[next].t == t) {
      for (size_t a = 0; a < alarms.size(); ++a) {
        EXPECT_EQ(alarms[a].state(), ticks[next].want[a])
            << "t=" << t << " treat " << TreatMissingDataName(treatments[a]) << ": " << alarms[a].reason();
      }
      ++next;
    }
  }
  EXPECT_EQ(next, ticks.size());
  // missing: INSUFFICIENT_DATA -> OK -> ALARM -> INSUFFICIENT_DATA.
  ASSERT_EQ(alarms[0].history().size(), 3u);
  EXPECT_EQ(alarms[0].history()[1].summary, "Alarm updated from OK to ALARM");
  EXPECT_EQ(alarms[0].reason(), "Insufficient Data: 5 datapoints were unknown.");
}

TEST_F(AlarmQueryTest, PercentileAndSumAlarms) {
  AlarmConfig c;
  c.period_s = 10;
  c.evaluation_periods = 1;
  c.comparison = ComparisonOperator::kGreaterThanOrEqualToThreshold;
  c.threshold = 90;
  for (int s = 0; s < 10; ++s) PutCpu(s, s * 10 + 9);  // 9, 19, ..., 99
  now_ = kT0 + 11000;
  AlarmStateMachine p90(c, now_);
  auto range = QueryAlarmRange(store_.get(), Cpu("p90"), c, now_);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->back().value, 89);  // nearest rank 9 of 10
  EXPECT_EQ(p90.Evaluate(*range, now_).state, AlarmState::kOk);
  range = QueryAlarmRange(store_.get(), Cpu("p100"), c, now_);
  EXPECT_EQ(p90.Evaluate(*range, now_).state, AlarmState::kAlarm);
  c.threshold = 540;
  range = QueryAlarmRange(store_.get(), Cpu("Sum"), c, now_);
  EXPECT_EQ(range->back().value, 540);
  EXPECT_EQ(EvaluateAlarm(c, *range, AlarmState::kOk, now_).state, AlarmState::kAlarm);
}

}  // namespace
}  // namespace stratus
