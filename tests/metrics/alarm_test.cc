#include "metrics/alarm.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace stratus {
namespace {

constexpr int64_t kT0 = 1795755600000;  // 2026-11-27T05:00:00Z

// "0 - X - X" (oldest first): 0 non-breaching (value 1), X breaching (value 10), - missing.
std::vector<AlarmDatapoint> Points(const std::string& pattern, int64_t period_s = 60) {
  std::vector<AlarmDatapoint> out;
  int64_t t = kT0;
  for (char c : pattern) {
    if (c == ' ') continue;
    AlarmDatapoint p{t, std::nullopt};
    if (c == '0') p.value = 1;
    if (c == 'X') p.value = 10;
    out.push_back(p);
    t += period_s * 1000;
  }
  return out;
}

AlarmConfig Config(int n, int m, TreatMissingData t) {
  AlarmConfig c;
  c.statistic = "Average";
  c.period_s = 60;
  c.evaluation_periods = n;
  c.datapoints_to_alarm = m;
  c.comparison = ComparisonOperator::kGreaterThanThreshold;
  c.threshold = 5;
  c.treat_missing_data = t;
  return c;
}

constexpr TreatMissingData kTreatments[] = {TreatMissingData::kMissing, TreatMissingData::kIgnore,
                                            TreatMissingData::kBreaching, TreatMissingData::kNotBreaching};
enum Want { OK, ALARM, INSUFFICIENT, RETAIN };

struct Row {
  const char* points;
  Want want[4];  // missing, ignore, breaching, notBreaching
};

void CheckTable(int n, int m, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    for (int t = 0; t < 4; ++t) {
      AlarmConfig c = Config(n, m, kTreatments[t]);
      ASSERT_EQ(static_cast<int>(Points(row.points).size()), EvaluationRangePeriods(c));
      // Every current state, so "retain" is distinguishable from a real decision.
      for (AlarmState current : {AlarmState::kOk, AlarmState::kAlarm, AlarmState::kInsufficientData}) {
        AlarmEvaluation ev = EvaluateAlarm(c, Points(row.points), current, kT0 + 600000);
        AlarmState want = row.want[t] == OK       ? AlarmState::kOk
                          : row.want[t] == ALARM  ? AlarmState::kAlarm
                          : row.want[t] == RETAIN ? current
                                                  : AlarmState::kInsufficientData;
        EXPECT_EQ(ev.state, want) << "points '" << row.points << "' treat " << TreatMissingDataName(kTreatments[t])
                                  << " from " << AlarmStateName(current) << ": " << ev.reason;
        EXPECT_EQ(ev.changed, want != current);
        if (row.want[t] != RETAIN) {
          EXPECT_FALSE(ev.reason.empty());
        }
      }
    }
  }
}

// The first table of AWS's "How alarm state is evaluated when data is missing": 3 of 3.
TEST(AlarmEvaluation, AwsTableThreeOfThree) {
  CheckTable(3, 3,
             {
                 {"0 - X - X", {OK, OK, OK, OK}},
                 {"0 - - - -", {OK, OK, OK, OK}},
                 {"- - - - -", {INSUFFICIENT, RETAIN, ALARM, OK}},
                 {"0 X X - X", {ALARM, ALARM, ALARM, ALARM}},
                 {"- - - - X", {INSUFFICIENT, RETAIN, ALARM, OK}},
                 {"X - - - -", {ALARM, RETAIN, ALARM, OK}},
             });
}

// The second table: 2 of 3 (M out of N).
TEST(AlarmEvaluation, AwsTableTwoOfThree) {
  CheckTable(3, 2,
             {
                 {"0 - X - X", {ALARM, ALARM, ALARM, ALARM}},
                 {"0 0 X 0 X", {ALARM, ALARM, ALARM, ALARM}},
                 {"0 - X - -", {OK, OK, ALARM, OK}},
                 {"- - - - 0", {OK, OK, ALARM, OK}},
                 {"- - - - X", {INSUFFICIENT, RETAIN, ALARM, OK}},
             });
}

TEST(AlarmEvaluation, MOfNUsesTheNewestNDatapoints) {
  CheckTable(5, 3,
             {
                 {"X X X 0 0 0 0", {OK, OK, OK, OK}},              // the X's fell out of the newest 5
                 {"0 0 X 0 X 0 X", {ALARM, ALARM, ALARM, ALARM}},  // 3 of the newest 5
                 {"0 0 X 0 X 0 0", {OK, OK, OK, OK}},
                 {"X X 0 X 0 0 -", {OK, OK, OK, OK}},              // newest 5 existing: X 0 X 0 0
                 {"X X X 0 X 0 -", {ALARM, ALARM, ALARM, ALARM}},  // newest 5 existing: X X 0 X 0
             });
  CheckTable(1, 1,
             {
                 {"0 0 X", {ALARM, ALARM, ALARM, ALARM}},
                 {"X X 0", {OK, OK, OK, OK}},
                 {"X - -", {ALARM, ALARM, ALARM, ALARM}},  // the newest existing datapoint decides
                 {"- - -", {INSUFFICIENT, RETAIN, ALARM, OK}},
             });
}

TEST(AlarmEvaluation, ComparisonOperators) {
  struct Case {
    ComparisonOperator op;
    double value;
    AlarmState want;
  };
  for (const Case& k : {Case{ComparisonOperator::kGreaterThanOrEqualToThreshold, 5, AlarmState::kAlarm},
                        Case{ComparisonOperator::kGreaterThanThreshold, 5, AlarmState::kOk},
                        Case{ComparisonOperator::kLessThanThreshold, 5, AlarmState::kOk},
                        Case{ComparisonOperator::kLessThanThreshold, 4.5, AlarmState::kAlarm},
                        Case{ComparisonOperator::kLessThanOrEqualToThreshold, 5, AlarmState::kAlarm},
                        Case{ComparisonOperator::kGreaterThanThreshold, 5.001, AlarmState::kAlarm}}) {
    AlarmConfig c = Config(1, 1, TreatMissingData::kMissing);
    c.comparison = k.op;
    std::vector<AlarmDatapoint> range = {{kT0, k.value}};
    EXPECT_EQ(EvaluateAlarm(c, range, AlarmState::kInsufficientData, kT0).state, k.want)
        << ComparisonOperatorName(k.op) << " " << k.value;
  }
}

TEST(AlarmEvaluation, ReasonTextsLookLikeAws) {
  AlarmConfig c = Config(3, 2, TreatMissingData::kMissing);
  AlarmEvaluation ev = EvaluateAlarm(c, Points("0 0 X 0 X"), AlarmState::kOk, kT0 + 300000);
  EXPECT_EQ(ev.reason,
            "Threshold Crossed: 2 out of the last 3 datapoints [10.0 (27/11/26 05:04:00), 10.0 (27/11/26 05:02:00)] "
            "were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).");
  auto data = nlohmann::json::parse(ev.reason_data);
  EXPECT_EQ(data["version"], "1.0");
  EXPECT_EQ(data["statistic"], "Average");
  EXPECT_EQ(data["period"], 60);
  EXPECT_EQ(data["threshold"], 5.0);
  EXPECT_EQ(data["evaluatedDatapoints"].size(), 3u);
  EXPECT_EQ(data["recentDatapoints"].size(), 5u);

  ev = EvaluateAlarm(c, Points("X X 0 0 X"), AlarmState::kAlarm, kT0);
  EXPECT_EQ(ev.state, AlarmState::kOk);
  EXPECT_NE(ev.reason.find("2 out of the last 3 datapoints"), std::string::npos) << ev.reason;
  EXPECT_NE(ev.reason.find("were not greater than the threshold (5.0) (minimum 2 datapoints for ALARM -> OK"),
            std::string::npos)
      << ev.reason;

  ev = EvaluateAlarm(c, Points("- - - - -"), AlarmState::kOk, kT0);
  EXPECT_EQ(ev.reason, "Insufficient Data: 5 datapoints were unknown.");
  c.treat_missing_data = TreatMissingData::kBreaching;
  ev = EvaluateAlarm(c, Points("- - - - -"), AlarmState::kOk, kT0);
  EXPECT_EQ(ev.reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as "
            "[Breaching].");
  ev = EvaluateAlarm(Config(1, 1, TreatMissingData::kMissing), {{kT0, 7.25}}, AlarmState::kOk, kT0);
  EXPECT_EQ(ev.reason, "Threshold Crossed: 1 datapoint [7.25 (27/11/26 05:00:00)] was greater than the threshold (5.0).");
}

TEST(AlarmStateMachine, RecordsTransitionsOnly) {
  AlarmStateMachine alarm(Config(3, 2, TreatMissingData::kMissing), kT0);
  EXPECT_EQ(alarm.state(), AlarmState::kInsufficientData);
  EXPECT_EQ(alarm.reason(), "Unchecked: Initial alarm creation");
  alarm.Evaluate(Points("0 0 0 0 0"), kT0 + 1000);
  alarm.Evaluate(Points("0 0 0 0 X"), kT0 + 2000);  // still OK: no new history item
  EXPECT_EQ(alarm.state(), AlarmState::kOk);
  alarm.Evaluate(Points("0 0 0 X X"), kT0 + 3000);
  EXPECT_EQ(alarm.state(), AlarmState::kAlarm);
  EXPECT_EQ(alarm.state_updated_ms(), kT0 + 3000);
  alarm.Evaluate(Points("- - - - -"), kT0 + 4000);
  EXPECT_EQ(alarm.state(), AlarmState::kInsufficientData);
  ASSERT_EQ(alarm.history().size(), 3u);
  EXPECT_EQ(alarm.history()[0].summary, "Alarm updated from INSUFFICIENT_DATA to OK");
  EXPECT_EQ(alarm.history()[1].summary, "Alarm updated from OK to ALARM");
  EXPECT_EQ(alarm.history()[1].timestamp_ms, kT0 + 3000);
  EXPECT_EQ(alarm.history()[2].new_state, AlarmState::kInsufficientData);
  EXPECT_EQ(alarm.reason(), alarm.history()[2].reason);

  alarm.SetState(AlarmState::kAlarm, "testing", kT0 + 5000);
  EXPECT_EQ(alarm.state(), AlarmState::kAlarm);
  EXPECT_EQ(alarm.history().size(), 4u);
}

TEST(AlarmStateMachine, IgnoreKeepsStateAndReason) {
  AlarmStateMachine alarm(Config(2, 2, TreatMissingData::kIgnore), kT0);
  alarm.Evaluate(Points("X X X X"), kT0 + 1000);
  ASSERT_EQ(alarm.state(), AlarmState::kAlarm);
  std::string reason = alarm.reason();
  AlarmEvaluation ev = alarm.Evaluate(Points("- - - -"), kT0 + 2000);
  EXPECT_FALSE(ev.changed);
  EXPECT_EQ(alarm.state(), AlarmState::kAlarm);
  EXPECT_EQ(alarm.reason(), reason);
  EXPECT_EQ(alarm.history().size(), 1u);
}

TEST(AlarmStateMachine, HistoryIsBounded) {
  AlarmStateMachine alarm(Config(1, 1, TreatMissingData::kMissing), kT0);
  for (int i = 0; i < 2500; ++i) alarm.Evaluate(Points(i % 2 ? "0 0 0" : "X X X"), kT0 + i);
  EXPECT_EQ(alarm.history().size(), AlarmStateMachine::kMaxHistory);
  alarm.Evaluate(Points("0 0 X"), kT0 + 15LL * 24 * 3600 * 1000);  // two weeks later: older items go
  EXPECT_EQ(alarm.history().size(), 1u);
}

TEST(AlarmConfig, Validation) {
  AlarmConfig c = Config(3, 2, TreatMissingData::kMissing);
  EXPECT_TRUE(ValidateAlarmConfig(c).ok());
  c.datapoints_to_alarm = 4;
  EXPECT_EQ(ValidateAlarmConfig(c).code(), Code::kInvalidArgument);
  c = Config(0, 0, TreatMissingData::kMissing);
  EXPECT_FALSE(ValidateAlarmConfig(c).ok());
  c = Config(3, 2, TreatMissingData::kMissing);
  c.period_s = 0;
  EXPECT_FALSE(ValidateAlarmConfig(c).ok());
  c.period_s = 3600;
  c.evaluation_periods = 25;
  EXPECT_FALSE(ValidateAlarmConfig(c).ok());
  c = Config(3, 2, TreatMissingData::kMissing);
  c.threshold = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(ValidateAlarmConfig(c).ok());
  EXPECT_EQ(*ParseTreatMissingData("notBreaching"), TreatMissingData::kNotBreaching);
  EXPECT_FALSE(ParseTreatMissingData("NotBreaching").ok());
  EXPECT_EQ(*ParseComparisonOperator("LessThanThreshold"), ComparisonOperator::kLessThanThreshold);
  EXPECT_FALSE(ParseComparisonOperator(">").ok());
  EXPECT_EQ(*ParseAlarmState("INSUFFICIENT_DATA"), AlarmState::kInsufficientData);
  // M = 0 means M = N, as CloudWatch.
  EXPECT_EQ(EvaluateAlarm(Config(3, 0, TreatMissingData::kMissing), Points("0 0 X X 0"), AlarmState::kOk, kT0).state,
            AlarmState::kOk);
}

}  // namespace
}  // namespace stratus
