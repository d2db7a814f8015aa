// AlarmManager over a real SQLite store and a memory-only MetricStore, on a fake clock, evaluated
// by hand (background = false).
#include "cloudwatch/alarm_manager.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/files.h"
#include "store/sqlite_store.h"

namespace stratus::cloudwatch {
namespace {

constexpr int64_t kT0 = 1795755600000;  // 2026-11-27T05:00:00Z

class AlarmManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cw-alarm-test-" + std::to_string(getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    MetricStoreOptions o;
    o.background = false;
    o.clock = [this] { return now_; };
    metrics_ = std::move(OpenMetricStore(o)).value();
    OpenManager();
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenManager() {
    manager_.reset();
    store_.reset();
    store_ = std::move(OpenSqliteStore((dir_ / "s.db").string())).value();
    AlarmManagerOptions ao;
    ao.background = false;
    ao.clock = [this] { return now_; };
    manager_ = std::make_unique<AlarmManager>(store_.get(), metrics_.get(), ao);
    ASSERT_TRUE(manager_->Start().ok());
    manager_->SetActionHandler("arn:aws:autoscaling:", [this](const std::string& arn, const MetricAlarm& a) {
      actions_.push_back(arn + " " + a.state_value);
    });
  }
  // One datum at second `s` (+300 ms), then the clock moves to the end of second s + 2 so the
  // period has settled, and one evaluation runs.
  void PutAndTick(int s, std::optional<double> v) {
    if (v) {
      MetricDatum d;
      d.metric = MetricIdentity{"Test", "Load", {{"Host", "a"}}, "None"};
      d.timestamp_ms = kT0 + s * 1000 + 300;
      d.value = *v;
      ASSERT_TRUE(metrics_->PutMetricData({d}).ok());
    }
    now_ = kT0 + (s + 2) * 1000 + 100;
    manager_->EvaluateAllForTest();
  }
  MetricAlarm Alarm(int n = 3, int m = 0, std::string missing = "missing") {
    MetricAlarm a;
    a.alarm_name = "load-high";
    a.namespace_ = "Test";
    a.metric_name = "Load";
    a.dimensions = {{"Host", "a"}};
    a.statistic = "Average";
    a.period = 1;
    a.evaluation_periods = n;
    a.datapoints_to_alarm = m;
    a.threshold = 50;
    a.comparison_operator = "GreaterThanThreshold";
    a.treat_missing_data = missing;
    a.alarm_actions = {"arn:aws:autoscaling:local:000000000000:scalingPolicy:p1"};
    a.ok_actions = {"arn:aws:autoscaling:local:000000000000:scalingPolicy:p2"};
    return a;
  }
  std::string State() { return manager_->DescribeAlarms({"load-high"}).value().at(0).state_value; }

  std::filesystem::path dir_;
  int64_t now_ = kT0;
  MetricStorePtr metrics_;
  StorePtr store_;
  std::unique_ptr<AlarmManager> manager_;
  std::vector<std::string> actions_;
};

TEST_F(AlarmManagerTest, PutValidatesAndDescribes) {
  MetricAlarm bad = Alarm();
  bad.comparison_operator = "Bigger";
  auto r = manager_->PutMetricAlarm(bad);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().error_code(), "ValidationError");
  bad = Alarm(3, 4);  // M > N
  EXPECT_FALSE(manager_->PutMetricAlarm(bad).ok());
  auto a = manager_->PutMetricAlarm(Alarm());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->alarm_arn, "arn:aws:cloudwatch:local:000000000000:alarm:load-high");
  EXPECT_EQ(a->state_value, "INSUFFICIENT_DATA");
  EXPECT_EQ(manager_->DescribeAlarms({}, "ALARM").value().size(), 0u);
  EXPECT_EQ(manager_->DescribeAlarms({}, "", "load").value().size(), 1u);
  EXPECT_EQ(manager_->DescribeAlarms({}, "BAD").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(manager_->DeleteAlarms({"load-high", "nope"}).code(), Code::kNotFound);
  EXPECT_EQ(manager_->DescribeAlarms({}).value().size(), 1u);  // nothing deleted
  EXPECT_TRUE(manager_->DeleteAlarms({"load-high"}).ok());
  EXPECT_TRUE(manager_->DescribeAlarms({}).value().empty());
}

TEST_F(AlarmManagerTest, NoDataStaysInsufficientAndSaysWhy) {
  ASSERT_TRUE(manager_->PutMetricAlarm(Alarm()).ok());
  PutAndTick(0, std::nullopt);
  MetricAlarm a = manager_->DescribeAlarms({"load-high"}).value().at(0);
  EXPECT_EQ(a.state_value, "INSUFFICIENT_DATA");
  EXPECT_NE(a.state_reason.find("Insufficient Data"), std::string::npos) << a.state_reason;
  EXPECT_TRUE(actions_.empty());
}

TEST_F(AlarmManagerTest, MOutOfNAndActionsOnChangeAndWhileInAlarm) {
  ASSERT_TRUE(manager_->PutMetricAlarm(Alarm(3, 2)).ok());
  PutAndTick(0, 10);
  EXPECT_EQ(State(), "OK");
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0], "arn:aws:autoscaling:local:000000000000:scalingPolicy:p2 OK");
  PutAndTick(1, 90);
  EXPECT_EQ(State(), "OK");  // 1 of 3 breaching
  PutAndTick(2, 95);
  EXPECT_EQ(State(), "ALARM");  // 2 of 3
  ASSERT_EQ(actions_.size(), 2u);
  EXPECT_EQ(actions_[1], "arn:aws:autoscaling:local:000000000000:scalingPolicy:p1 ALARM");
  PutAndTick(3, 99);  // still in ALARM: the alarm actions run again each period
  EXPECT_EQ(State(), "ALARM");
  EXPECT_EQ(actions_.size(), 3u);
  PutAndTick(4, 1);
  PutAndTick(5, 1);
  EXPECT_EQ(State(), "OK");
  EXPECT_EQ(actions_.back(), "arn:aws:autoscaling:local:000000000000:scalingPolicy:p2 OK");
  auto history = manager_->DescribeAlarmHistory("load-high");
  ASSERT_GE(history.size(), 4u);
  EXPECT_EQ(history.front().history_summary, "Alarm updated from ALARM to OK");  // newest first
  EXPECT_EQ(history.back().history_item_type, "ConfigurationUpdate");
}

TEST_F(AlarmManagerTest, TreatMissingData) {
  for (std::string t : {"missing", "ignore", "breaching", "notBreaching"}) {
    MetricAlarm a = Alarm(2);
    a.alarm_name = "m-" + t;
    a.treat_missing_data = t;
    a.dimensions = {{"Host", "none"}};  // never gets data
    ASSERT_TRUE(manager_->PutMetricAlarm(a).ok()) << t;
  }
  PutAndTick(0, std::nullopt);
  auto state = [this](const std::string& n) { return manager_->DescribeAlarms({n}).value().at(0).state_value; };
  EXPECT_EQ(state("m-missing"), "INSUFFICIENT_DATA");
  EXPECT_EQ(state("m-ignore"), "INSUFFICIENT_DATA");  // keeps its state
  EXPECT_EQ(state("m-breaching"), "ALARM");
  EXPECT_EQ(state("m-notBreaching"), "OK");
  MetricAlarm bad = Alarm();
  bad.treat_missing_data = "sometimes";
  EXPECT_EQ(manager_->PutMetricAlarm(bad).status().code(), Code::kInvalidArgument);
}

TEST_F(AlarmManagerTest, SetAlarmStateRunsActionsUntilTheNextEvaluation) {
  ASSERT_TRUE(manager_->PutMetricAlarm(Alarm(1)).ok());
  ASSERT_TRUE(manager_->SetAlarmState("load-high", "ALARM", "testing").ok());
  EXPECT_EQ(State(), "ALARM");
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(manager_->SetAlarmState("load-high", "RED", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(manager_->SetAlarmState("nope", "OK", "x").code(), Code::kNotFound);
  PutAndTick(0, 1);
  EXPECT_EQ(State(), "OK");
}

TEST_F(AlarmManagerTest, ActionsDisabledRunNothing) {
  MetricAlarm a = Alarm(1);
  a.actions_enabled = false;
  ASSERT_TRUE(manager_->PutMetricAlarm(a).ok());
  PutAndTick(0, 99);
  EXPECT_EQ(State(), "ALARM");
  EXPECT_TRUE(actions_.empty());
}

TEST_F(AlarmManagerTest, StateAndHistorySurviveARestart) {
  ASSERT_TRUE(manager_->PutMetricAlarm(Alarm(1)).ok());
  PutAndTick(0, 99);
  ASSERT_EQ(State(), "ALARM");
  size_t history = manager_->DescribeAlarmHistory("load-high").size();
  std::string updated = manager_->DescribeAlarms({"load-high"}).value().at(0).state_updated_timestamp;
  OpenManager();
  MetricAlarm a = manager_->DescribeAlarms({"load-high"}).value().at(0);
  EXPECT_EQ(a.state_value, "ALARM");
  EXPECT_EQ(a.state_updated_timestamp, updated);
  EXPECT_EQ(a.period, 1);
  EXPECT_EQ(a.alarm_actions.size(), 1u);
  EXPECT_EQ(manager_->DescribeAlarmHistory("load-high").size(), history);
  // A record that cannot be read is skipped, not fatal.
  ASSERT_TRUE(store_->Put("cloudwatch/alarms/broken", "{not json").ok());
  OpenManager();
  EXPECT_EQ(manager_->DescribeAlarms({}).value().size(), 1u);
}

TEST_F(AlarmManagerTest, JsonRoundTripAndWrongTypes) {
  MetricAlarm a = Alarm(3, 2, "breaching");
  auto back = AlarmFromJson(AlarmToJson(a));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(AlarmToJson(*back), AlarmToJson(a));
  nlohmann::json j = AlarmToJson(a);
  j["Period"] = "sixty";
  EXPECT_EQ(AlarmFromJson(j).status().code(), Code::kInvalidArgument);
  j = AlarmToJson(a);
  j["Dimensions"] = {{{"Name", "x"}}};
  EXPECT_EQ(AlarmFromJson(j).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(AlarmFromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace stratus::cloudwatch
