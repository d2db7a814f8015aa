// CloudWatch metric alarm evaluation: M out of N datapoints against a threshold, with
// TreatMissingData, following "Configuring how CloudWatch alarms treat missing data".
//
// The evaluator is pure: it takes the datapoints of the evaluation range (already aggregated per
// period with the alarm's statistic, oldest first, absent periods as nullopt) and the current
// state, and returns the new state and a reason text shaped like AWS's. AlarmStateMachine adds the
// state, its reason and the state history on top. The daemon queries the metric store and calls
// Evaluate every second. See docs/metrics.md.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stratus {

enum class AlarmState { kOk, kAlarm, kInsufficientData };
enum class ComparisonOperator {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
};
enum class TreatMissingData { kMissing, kIgnore, kBreaching, kNotBreaching };

// "OK" | "ALARM" | "INSUFFICIENT_DATA" and the AWS spellings of the other enums.
const char* AlarmStateName(AlarmState s);
const char* ComparisonOperatorName(ComparisonOperator op);
const char* TreatMissingDataName(TreatMissingData t);
Result<AlarmState> ParseAlarmState(std::string_view s);
Result<ComparisonOperator> ParseComparisonOperator(std::string_view s);
Result<TreatMissingData> ParseTreatMissingData(std::string_view s);  // "missing", "ignore", ...

struct AlarmConfig {
  std::string statistic = "Average";  // what the datapoints are (for reason texts)
  int64_t period_s = 60;               // >= 1 (CloudWatch: 10, 30 or a multiple of 60)
  int evaluation_periods = 1;          // N
  int datapoints_to_alarm = 0;         // M; 0 means N, as CloudWatch
  ComparisonOperator comparison = ComparisonOperator::kGreaterThanOrEqualToThreshold;
  double threshold = 0;
  TreatMissingData treat_missing_data = TreatMissingData::kMissing;  // CloudWatch's default
};

// InvalidArgument unless period >= 1, N >= 1, 1 <= M <= N, N * period <= 1 day (CloudWatch's
// limit) and the threshold is finite.
Status ValidateAlarmConfig(const AlarmConfig& c);

// How many periods to pass to EvaluateAlarm: N + 2, as in AWS's documented examples (for N = 3
// CloudWatch retrieves 5 datapoints).
int EvaluationRangePeriods(const AlarmConfig& c);

struct AlarmDatapoint {
  int64_t timestamp_ms = 0;     // start of the period
  std::optional<double> value;  // nullopt: no data for the period
};

struct AlarmEvaluation {
  AlarmState state = AlarmState::kInsufficientData;
  bool changed = false;     // state differs from the current one
  std::string reason;       // StateReason, e.g. "Threshold Crossed: 3 out of the last 3 datapoints [...]"
  std::string reason_data;  // StateReasonData (JSON), empty when the state was retained
};

// Evaluates one tick. `range` is the evaluation range, oldest first, ending with the newest
// complete period (any length >= 1; normally EvaluationRangePeriods). Rules:
//  - at least N datapoints exist: the newest N existing ones are evaluated, missing ones do not matter;
//  - none exist: missing -> INSUFFICIENT_DATA, ignore -> keep state, breaching -> ALARM,
//    notBreaching -> OK;
//  - some but fewer than N: breaching / notBreaching fill the N - existing missing ones; with
//    missing / ignore the real ones decide when they can (>= M breaching -> ALARM; any
//    non-breaching -> OK), otherwise missing -> ALARM if the oldest datapoint of the range is
//    breaching, else INSUFFICIENT_DATA; ignore -> keep state.
// Then ALARM when at least M of the N evaluated datapoints breach, else OK.
AlarmEvaluation EvaluateAlarm(const AlarmConfig& config, const std::vector<AlarmDatapoint>& range,
                              AlarmState current, int64_t now_ms);

struct AlarmHistoryItem {
  int64_t timestamp_ms;
  AlarmState old_state;
  AlarmState new_state;
  std::string summary;  // "Alarm updated from OK to ALARM"
  std::string reason;
  std::string reason_data;
};

// One alarm's state, reason and history (DescribeAlarms / DescribeAlarmHistory).
class AlarmStateMachine {
 public:
  // Starts in INSUFFICIENT_DATA with reason "Unchecked: Initial alarm creation".
  AlarmStateMachine(AlarmConfig config, int64_t now_ms);

  // Evaluates `range` (see EvaluateAlarm) and records a transition in the history.
  AlarmEvaluation Evaluate(const std::vector<AlarmDatapoint>& range, int64_t now_ms);

  // SetAlarmState: forces a state until the next evaluation changes it.
  void SetState(AlarmState state, std::string reason, int64_t now_ms);

  const AlarmConfig& config() const { return config_; }
  AlarmState state() const { return state_; }
  const std::string& reason() const { return reason_; }
  const std::string& reason_data() const { return reason_data_; }
  int64_t state_updated_ms() const { return state_updated_ms_; }
  // Transitions, oldest first; at most kMaxHistory items and 2 weeks, as CloudWatch keeps.
  const std::deque<AlarmHistoryItem>& history() const { return history_; }

  static constexpr size_t kMaxHistory = 1000;
  static constexpr int64_t kHistoryRetentionMs = 14LL * 24 * 3600 * 1000;

 private:
  void Record(AlarmState old_state, int64_t now_ms);

  AlarmConfig config_;
  AlarmState state_ = AlarmState::kInsufficientData;
  std::string reason_;
  std::string reason_data_;
  int64_t state_updated_ms_;
  std::deque<AlarmHistoryItem> history_;
};

}  // namespace stratus
