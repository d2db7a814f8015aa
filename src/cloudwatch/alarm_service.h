// AlarmService: CloudWatch metric alarms in stratusd — PutMetricAlarm, DescribeAlarms, DeleteAlarms,
// SetAlarmState and DescribeAlarmHistory, evaluated every second against the metric store with the
// evaluator of src/metrics/alarm.h; state changes run the alarm's actions (scaling policies).
//
// This header is the contract between the CloudWatch service (which implements it) and the Auto
// Scaling service (which creates alarms for target tracking and receives their actions).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "metrics/metric.h"

namespace stratus::cloudwatch {

using Dimension = stratus::Dimension;

// Field names and meanings are CloudWatch's (PutMetricAlarm / MetricAlarm).
struct MetricAlarm {
  std::string alarm_name;
  std::string alarm_arn;             // arn:aws:cloudwatch:<region>:<account>:alarm:<name>; set by Put
  std::string alarm_description;
  std::string namespace_;            // "AWS/EC2"
  std::string metric_name;           // "CPUUtilization"
  std::vector<Dimension> dimensions;
  std::string statistic;             // SampleCount | Average | Sum | Minimum | Maximum (or empty with extended)
  std::string extended_statistic;    // "p99"
  std::string unit;
  int period = 60;                   // seconds, >= 1 (Stratus allows 1 s; AWS 10/30/60 and multiples of 60)
  int evaluation_periods = 1;
  int datapoints_to_alarm = 0;       // 0: = evaluation_periods
  double threshold = 0;
  std::string comparison_operator;   // GreaterThanOrEqualToThreshold | GreaterThanThreshold | LessThanThreshold | LessThanOrEqualToThreshold
  std::string treat_missing_data = "missing";  // missing | ignore | breaching | notBreaching
  bool actions_enabled = true;
  std::vector<std::string> alarm_actions;              // ARNs run on entering ALARM (and while in ALARM, see below)
  std::vector<std::string> ok_actions;
  std::vector<std::string> insufficient_data_actions;
  // State, maintained by the service.
  std::string state_value = "INSUFFICIENT_DATA";      // OK | ALARM | INSUFFICIENT_DATA
  std::string state_reason;
  std::string state_updated_timestamp;                 // ISO 8601
  std::string alarm_configuration_updated_timestamp;
};

struct AlarmHistoryItem {
  std::string alarm_name;
  std::string timestamp;
  std::string history_item_type;  // StateUpdate | ConfigurationUpdate | Action
  std::string history_summary;    // "Alarm updated from OK to ALARM"
};

// Runs one action of an alarm: `action_arn` is one of the alarm's *_actions.
using AlarmActionHandler = std::function<void(const std::string& action_arn, const MetricAlarm& alarm)>;

class AlarmService {
 public:
  virtual ~AlarmService() = default;

  // Creates or replaces an alarm (by name). Validation errors are InvalidArgument with an
  // error_code() of ValidationError / InvalidParameterValue / MissingParameter, as CloudWatch.
  virtual Result<MetricAlarm> PutMetricAlarm(MetricAlarm alarm) = 0;

  // Alarms by name (all when empty), optionally by state value and name prefix.
  virtual Result<std::vector<MetricAlarm>> DescribeAlarms(const std::vector<std::string>& names,
                                                          const std::string& state_value = "",
                                                          const std::string& name_prefix = "") const = 0;

  // Deletes alarms; ResourceNotFound (NotFound) naming the first unknown one, nothing deleted then.
  virtual Status DeleteAlarms(const std::vector<std::string>& names) = 0;

  // Sets the state until the next evaluation changes it (SetAlarmState); runs the state's actions.
  virtual Status SetAlarmState(const std::string& name, const std::string& state_value, const std::string& reason) = 0;

  virtual std::vector<AlarmHistoryItem> DescribeAlarmHistory(const std::string& name) const = 0;

  // Registers the handler for action ARNs that start with `arn_prefix` (e.g. "arn:aws:autoscaling:").
  // Actions run on the evaluation thread after a state change; an alarm that stays in ALARM runs
  // its alarm actions again every evaluation period (as CloudWatch does for Auto Scaling actions).
  virtual void SetActionHandler(const std::string& arn_prefix, AlarmActionHandler handler) = 0;
};

}  // namespace stratus::cloudwatch
