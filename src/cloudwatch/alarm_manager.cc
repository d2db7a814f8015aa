#include "cloudwatch/alarm_manager.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "metrics/alarm_query.h"

namespace stratus::cloudwatch {

using nlohmann::json;

namespace {

constexpr char kPrefix[] = "cloudwatch/alarms/";

std::string IsoFromMs(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t;
  gmtime_r(&secs, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
           t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

Status Validation(const std::string& m) { return InvalidArgument(m).WithErrorCode("ValidationError"); }

json ToJson(const MetricAlarm& a) {
  json dims = json::array();
  for (const auto& d : a.dimensions) dims.push_back({{"Name", d.name}, {"Value", d.value}});
  return {{"AlarmName", a.alarm_name}, {"AlarmArn", a.alarm_arn}, {"AlarmDescription", a.alarm_description},
          {"Namespace", a.namespace_}, {"MetricName", a.metric_name}, {"Dimensions", dims},
          {"Statistic", a.statistic}, {"ExtendedStatistic", a.extended_statistic}, {"Unit", a.unit},
          {"Period", a.period}, {"EvaluationPeriods", a.evaluation_periods},
          {"DatapointsToAlarm", a.datapoints_to_alarm}, {"Threshold", a.threshold},
          {"ComparisonOperator", a.comparison_operator}, {"TreatMissingData", a.treat_missing_data},
          {"ActionsEnabled", a.actions_enabled}, {"AlarmActions", a.alarm_actions}, {"OKActions", a.ok_actions},
          {"InsufficientDataActions", a.insufficient_data_actions}, {"StateValue", a.state_value},
          {"StateReason", a.state_reason}, {"StateUpdatedTimestamp", a.state_updated_timestamp},
          {"AlarmConfigurationUpdatedTimestamp", a.alarm_configuration_updated_timestamp}};
}

MetricAlarm FromJson(const json& j) {
  MetricAlarm a;
  a.alarm_name = j.value("AlarmName", "");
  a.alarm_arn = j.value("AlarmArn", "");
  a.alarm_description = j.value("AlarmDescription", "");
  a.namespace_ = j.value("Namespace", "");
  a.metric_name = j.value("MetricName", "");
  for (const auto& d : j.value("Dimensions", json::array())) a.dimensions.push_back({d.value("Name", ""), d.value("Value", "")});
  a.statistic = j.value("Statistic", "");
  a.extended_statistic = j.value("ExtendedStatistic", "");
  a.unit = j.value("Unit", "");
  a.period = j.value("Period", 60);
  a.evaluation_periods = j.value("EvaluationPeriods", 1);
  a.datapoints_to_alarm = j.value("DatapointsToAlarm", 0);
  a.threshold = j.value("Threshold", 0.0);
  a.comparison_operator = j.value("ComparisonOperator", "");
  a.treat_missing_data = j.value("TreatMissingData", "missing");
  a.actions_enabled = j.value("ActionsEnabled", true);
  a.alarm_actions = j.value("AlarmActions", std::vector<std::string>{});
  a.ok_actions = j.value("OKActions", std::vector<std::string>{});
  a.insufficient_data_actions = j.value("InsufficientDataActions", std::vector<std::string>{});
  a.state_value = j.value("StateValue", "INSUFFICIENT_DATA");
  a.state_reason = j.value("StateReason", "");
  a.state_updated_timestamp = j.value("StateUpdatedTimestamp", "");
  a.alarm_configuration_updated_timestamp = j.value("AlarmConfigurationUpdatedTimestamp", "");
  return a;
}

AlarmMetric MetricOf(const MetricAlarm& a) {
  AlarmMetric m;
  m.namespace_ = a.namespace_;
  m.name = a.metric_name;
  m.dimensions = a.dimensions;
  if (!a.unit.empty()) m.unit = a.unit;
  m.statistic = a.extended_statistic.empty() ? a.statistic : a.extended_statistic;
  return m;
}

}  // namespace

Result<AlarmConfig> ToAlarmConfig(const MetricAlarm& a) {
  if (a.alarm_name.empty() || a.alarm_name.size() > 255) return Validation("AlarmName must be 1 to 255 characters");
  if (a.namespace_.empty() || a.metric_name.empty()) {
    return InvalidArgument("Namespace and MetricName are required").WithErrorCode("MissingParameter");
  }
  if (a.statistic.empty() == a.extended_statistic.empty()) {
    return Validation("give exactly one of Statistic and ExtendedStatistic");
  }
  if (a.dimensions.size() > 30) return Validation("an alarm's metric has at most 30 dimensions");
  static const char* kStats[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};
  if (!a.statistic.empty() && std::find(std::begin(kStats), std::end(kStats), a.statistic) == std::end(kStats)) {
    return Validation("Statistic " + a.statistic + " is not SampleCount, Average, Sum, Minimum or Maximum");
  }
  if (!a.extended_statistic.empty() && (a.extended_statistic[0] != 'p' || a.extended_statistic.size() < 2)) {
    return Validation("ExtendedStatistic " + a.extended_statistic + " is not a percentile such as p99");
  }
  AlarmConfig c;
  c.statistic = a.extended_statistic.empty() ? a.statistic : a.extended_statistic;
  c.period_s = a.period;
  c.evaluation_periods = a.evaluation_periods;
  c.datapoints_to_alarm = a.datapoints_to_alarm;
  c.threshold = a.threshold;
  auto op = ParseComparisonOperator(a.comparison_operator);
  if (!op.ok()) return op.status().WithErrorCode("ValidationError");
  c.comparison = *op;
  auto tmd = ParseTreatMissingData(a.treat_missing_data.empty() ? "missing" : a.treat_missing_data);
  if (!tmd.ok()) return tmd.status().WithErrorCode("ValidationError");
  c.treat_missing_data = *tmd;
  Status st = ValidateAlarmConfig(c);
  if (!st.ok()) return st.WithErrorCode("ValidationError");
  return c;
}

AlarmManager::AlarmManager(Store* store, MetricStore* metrics, AlarmManagerOptions options)
    : store_(store), metrics_(metrics), options_(std::move(options)) {}

AlarmManager::~AlarmManager() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t AlarmManager::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Status AlarmManager::Start() {
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store_->List(kPrefix));
  {
    std::lock_guard lock(mu_);
    for (const auto& kv : kvs) {
      MetricAlarm a = FromJson(json::parse(kv.value, nullptr, false));
      auto config = ToAlarmConfig(a);
      if (!config.ok()) return config.status().WithContext(kv.key);
      Entry e{a, std::make_unique<AlarmStateMachine>(*config, Now()), 0};
      auto state = ParseAlarmState(a.state_value);
      if (state.ok()) e.machine->SetState(*state, a.state_reason, Now());
      alarms_[a.alarm_name] = std::move(e);
    }
  }
  if (options_.background) thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

Status AlarmManager::Persist(const MetricAlarm& alarm) {
  auto rev = store_->Put(kPrefix + alarm.alarm_name, ToJson(alarm).dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

Result<MetricAlarm> AlarmManager::PutMetricAlarm(MetricAlarm alarm) {
  STRATUS_ASSIGN_OR_RETURN(AlarmConfig config, ToAlarmConfig(alarm));
  int64_t now = Now();
  alarm.alarm_arn = "arn:aws:cloudwatch:" + options_.region + ":" + options_.account + ":alarm:" + alarm.alarm_name;
  alarm.alarm_configuration_updated_timestamp = IsoFromMs(now);
  std::lock_guard lock(mu_);
  Entry e{alarm, std::make_unique<AlarmStateMachine>(config, now), 0};
  auto existing = alarms_.find(alarm.alarm_name);
  if (existing != alarms_.end()) {
    // A changed definition keeps the state; the next evaluation decides from the new definition.
    e.machine->SetState(existing->second.machine->state(), existing->second.machine->reason(), now);
  }
  e.alarm.state_value = AlarmStateName(e.machine->state());
  e.alarm.state_reason = e.machine->reason();
  e.alarm.state_updated_timestamp = IsoFromMs(e.machine->state_updated_ms());
  STRATUS_RETURN_IF_ERROR(Persist(e.alarm));
  MetricAlarm out = e.alarm;
  alarms_[alarm.alarm_name] = std::move(e);
  wake_.notify_all();
  return out;
}

Result<std::vector<MetricAlarm>> AlarmManager::DescribeAlarms(const std::vector<std::string>& names,
                                                              const std::string& state_value,
                                                              const std::string& name_prefix) const {
  if (!state_value.empty() && !ParseAlarmState(state_value).ok()) {
    return Validation("StateValue must be OK, ALARM or INSUFFICIENT_DATA");
  }
  std::lock_guard lock(mu_);
  std::vector<MetricAlarm> out;
  for (const auto& [name, e] : alarms_) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    if (!name_prefix.empty() && name.rfind(name_prefix, 0) != 0) continue;
    if (!state_value.empty() && e.alarm.state_value != state_value) continue;
    out.push_back(e.alarm);
  }
  return out;
}

Status AlarmManager::DeleteAlarms(const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  for (const auto& n : names) {
    if (!alarms_.count(n)) return NotFound("alarm " + n + " does not exist").WithErrorCode("ResourceNotFound");
  }
  std::vector<TxnOp> ops;
  for (const auto& n : names) ops.push_back({TxnOp::Type::kDelete, kPrefix + n, "", kAnyRevision});
  auto rev = store_->Commit(ops);
  if (!rev.ok()) return rev.status();
  for (const auto& n : names) alarms_.erase(n);
  return Status::Ok();
}

Status AlarmManager::SetAlarmState(const std::string& name, const std::string& state_value, const std::string& reason) {
  auto state = ParseAlarmState(state_value);
  if (!state.ok()) return Validation("StateValue must be OK, ALARM or INSUFFICIENT_DATA");
  std::vector<std::pair<AlarmActionHandler, std::string>> actions;
  MetricAlarm snapshot;
  {
    std::lock_guard lock(mu_);
    auto it = alarms_.find(name);
    if (it == alarms_.end()) return NotFound("alarm " + name + " does not exist").WithErrorCode("ResourceNotFound");
    int64_t now = Now();
    bool changed = it->second.machine->state() != *state;
    it->second.machine->SetState(*state, reason, now);
    Publish(it->second, now);
    if (changed) {
      actions = ActionsFor(it->second.alarm, false);
      if (*state == AlarmState::kAlarm) it->second.last_alarm_actions_ms = now;
    }
    snapshot = it->second.alarm;
  }
  for (auto& [handler, arn] : actions) handler(arn, snapshot);
  return Status::Ok();
}

std::vector<AlarmHistoryItem> AlarmManager::DescribeAlarmHistory(const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<AlarmHistoryItem> out;
  for (const auto& [n, e] : alarms_) {
    if (!name.empty() && n != name) continue;
    for (const auto& h : e.machine->history()) {
      out.push_back({n, IsoFromMs(h.timestamp_ms), "StateUpdate", h.summary});
    }
  }
  return out;
}

void AlarmManager::SetActionHandler(const std::string& arn_prefix, AlarmActionHandler handler) {
  std::lock_guard lock(mu_);
  handlers_[arn_prefix] = std::move(handler);
}

std::vector<std::pair<AlarmActionHandler, std::string>> AlarmManager::ActionsFor(const MetricAlarm& a,
                                                                                 bool alarm_actions_only) const {
  std::vector<std::pair<AlarmActionHandler, std::string>> out;
  if (!a.actions_enabled) return out;
  const std::vector<std::string>* arns = &a.alarm_actions;
  if (!alarm_actions_only) {
    if (a.state_value == "OK") arns = &a.ok_actions;
    if (a.state_value == "INSUFFICIENT_DATA") arns = &a.insufficient_data_actions;
  }
  for (const auto& arn : *arns) {
    for (const auto& [prefix, handler] : handlers_) {
      if (arn.rfind(prefix, 0) == 0) out.push_back({handler, arn});
    }
  }
  return out;
}

void AlarmManager::Publish(Entry& e, int64_t now) {
  (void)now;
  e.alarm.state_value = AlarmStateName(e.machine->state());
  e.alarm.state_reason = e.machine->reason();
  e.alarm.state_updated_timestamp = IsoFromMs(e.machine->state_updated_ms());
  Status st = Persist(e.alarm);
  if (!st.ok()) LogError("cannot persist alarm state", {{"alarm", e.alarm.alarm_name}, {"error", st.ToString()}});
}

void AlarmManager::EvaluateAll() {
  std::vector<std::pair<std::vector<std::pair<AlarmActionHandler, std::string>>, MetricAlarm>> to_run;
  {
    std::lock_guard lock(mu_);
    int64_t now = Now();
    for (auto& [name, e] : alarms_) {
      auto range = QueryAlarmRange(metrics_, MetricOf(e.alarm), e.machine->config(), now);
      if (!range.ok()) continue;
      AlarmEvaluation ev = e.machine->Evaluate(*range, now);
      bool rerun = ev.state == AlarmState::kAlarm && !ev.changed &&
                   now - e.last_alarm_actions_ms >= e.machine->config().period_s * 1000;
      if (ev.changed) {
        Publish(e, now);
        LogInfo("alarm state", {{"alarm", name}, {"state", e.alarm.state_value}, {"reason", e.alarm.state_reason}});
      }
      if (ev.changed || rerun) {
        auto actions = ActionsFor(e.alarm, rerun);
        if (ev.state == AlarmState::kAlarm) e.last_alarm_actions_ms = now;
        if (!actions.empty()) to_run.push_back({std::move(actions), e.alarm});
      }
    }
  }
  for (auto& [actions, alarm] : to_run) {
    for (auto& [handler, arn] : actions) handler(arn, alarm);
  }
}

void AlarmManager::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
    if (stopping_) break;
    lock.unlock();
    EvaluateAll();
    lock.lock();
  }
}

}  // namespace stratus::cloudwatch
