// AlarmManager: the AlarmService of stratusd. Alarm definitions and their last state are kept in the
// Store; every second each alarm's evaluation range is read from the metric store and evaluated
// (src/metrics/alarm.h); a state change runs the state's actions through the registered handlers.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "cloudwatch/alarm_service.h"
#include "metrics/alarm.h"
#include "metrics/metric_store.h"
#include "store/store.h"

#include <nlohmann/json.hpp>

namespace stratus::cloudwatch {

struct AlarmManagerOptions {
  std::string region = "local";
  std::string account = "000000000000";
  int tick_ms = 1000;
  bool background = true;  // evaluate on a thread; tests call EvaluateAllForTest() instead
  std::function<int64_t()> clock;  // ms since the epoch; default: the system clock
};

class AlarmManager : public AlarmService {
 public:
  // `store` and `metrics` must outlive the manager.
  AlarmManager(Store* store, MetricStore* metrics, AlarmManagerOptions options);
  ~AlarmManager() override;

  // Loads the alarms (a record that cannot be read is skipped with a warning) and starts
  // evaluating. Fails only when the store cannot be read.
  Status Start();

  Result<MetricAlarm> PutMetricAlarm(MetricAlarm alarm) override;
  Result<std::vector<MetricAlarm>> DescribeAlarms(const std::vector<std::string>& names,
                                                  const std::string& state_value = "",
                                                  const std::string& name_prefix = "") const override;
  Status DeleteAlarms(const std::vector<std::string>& names) override;
  Status SetAlarmState(const std::string& name, const std::string& state_value, const std::string& reason) override;
  std::vector<AlarmHistoryItem> DescribeAlarmHistory(const std::string& name) const override;
  void SetActionHandler(const std::string& arn_prefix, AlarmActionHandler handler) override;

  // One evaluation pass over every alarm, now.
  void EvaluateAllForTest() { EvaluateAll(); }

 private:
  struct Entry {
    MetricAlarm alarm;                       // definition + state as last published
    std::unique_ptr<AlarmStateMachine> machine;
    int64_t last_alarm_actions_ms = 0;       // for re-running alarm actions while in ALARM
    std::deque<AlarmHistoryItem> history;    // newest last; persisted beside the alarm
  };

  void Loop();
  void EvaluateAll();
  // Copies the machine's state into entry.alarm, records the transition from `old_state` in the
  // history and persists both. Requires mu_.
  void Publish(Entry& entry, const std::string& old_state, int64_t now_ms);
  // Appends to the history (at most kMaxHistory items) and persists it. Requires mu_.
  void AddHistory(Entry& entry, const std::string& type, const std::string& summary, int64_t now_ms);
  // Collects the actions to run for `alarm` in its current state.
  std::vector<std::pair<AlarmActionHandler, std::string>> ActionsFor(const MetricAlarm& alarm,
                                                                     bool alarm_actions_only) const;
  Status Persist(const MetricAlarm& alarm);
  Status PersistHistory(const Entry& entry);
  int64_t Now() const;

  Store* store_;
  MetricStore* metrics_;
  AlarmManagerOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, Entry> alarms_;                 // by name; GUARDED_BY(mu_)
  std::map<std::string, AlarmActionHandler> handlers_;  // by ARN prefix; GUARDED_BY(mu_)
  bool stopping_ = false;                               // GUARDED_BY(mu_)
  std::condition_variable wake_;
  std::thread thread_;
};

// The AlarmConfig of a PutMetricAlarm request; InvalidArgument (ValidationError) when invalid.
Result<AlarmConfig> ToAlarmConfig(const MetricAlarm& alarm);

// History items kept per alarm (CloudWatch keeps two weeks; we keep the newest ones).
inline constexpr size_t kMaxHistory = 200;

// CloudWatch's JSON shape of a MetricAlarm (AlarmName, Namespace, ..., StateValue), as stored and
// as the REST API returns it.
nlohmann::json AlarmToJson(const MetricAlarm& alarm);
// The reverse; InvalidArgument (ValidationError) naming the field when a member has the wrong
// type. Absent members keep MetricAlarm's defaults.
Result<MetricAlarm> AlarmFromJson(const nlohmann::json& j);
nlohmann::json HistoryToJson(const AlarmHistoryItem& item);

}  // namespace stratus::cloudwatch
