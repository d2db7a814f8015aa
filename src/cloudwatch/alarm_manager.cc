#include "cloudwatch/alarm_manager.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

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

}  // namespace

json AlarmToJson(const MetricAlarm& a) {
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

Result<MetricAlarm> AlarmFromJson(const json& j) {
  if (!j.is_object()) return Validation("an alarm must be a JSON object");
  MetricAlarm a;
  try {
    a.alarm_name = j.value("AlarmName", "");
    a.alarm_arn = j.value("AlarmArn", "");
    a.alarm_description = j.value("AlarmDescription", "");
    a.namespace_ = j.value("Namespace", "");
    a.metric_name = j.value("MetricName", "");
    for (const auto& d : j.value("Dimensions", json::array())) {
      a.dimensions.push_back({d.at("Name").get<std::string>(), d.at("Value").get<std::string>()});
    }
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
  } catch (const json::exception& e) {
    return Validation(std::string("alarm field has the wrong type: ") + e.what());
  }
  if (a.period < 1 || a.evaluation_periods < 1 || a.datapoints_to_alarm < 0) {
    return Validation("Period and EvaluationPeriods must be at least 1, DatapointsToAlarm at least 0");
  }
  return a;
}

json HistoryToJson(const AlarmHistoryItem& h) {
  return {{"AlarmName", h.alarm_name}, {"Timestamp", h.timestamp}, {"HistoryItemType", h.history_item_type},
          {"HistorySummary", h.history_summary}};
}

namespace {

constexpr char kHistoryPrefix[] = "cloudwatch/alarm-history/";

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
  STRATUS_ASSIGN_OR_RETURN(auto histories, store_->List(kHistoryPrefix));
  std::map<std::string, std::string> history_by_key;
  for (const auto& kv : histories) history_by_key[kv.key.substr(strlen(kHistoryPrefix))] = kv.value;
  std::lock_guard lock(mu_);
  int64_t now = Now();
  for (const auto& kv : kvs) {
    auto a = AlarmFromJson(json::parse(kv.value, nullptr, false));
    Result<AlarmConfig> config = a.ok() ? ToAlarmConfig(*a) : Result<AlarmConfig>(a.status());
    if (!config.ok()) {
      LogWarn("skipping an alarm that cannot be read", {{"key", kv.key}, {"error", config.status().ToString()}});
      continue;
    }
    Entry e{*a, std::make_unique<AlarmStateMachine>(*config, now), 0, {}};
    auto state = ParseAlarmState(a->state_value);
    if (state.ok() && *state != AlarmState::kInsufficientData) e.machine->SetState(*state, a->state_reason, now);
    json h = json::parse(history_by_key[a->alarm_name], nullptr, false);
    if (h.is_array()) {
      for (const auto& item : h) {
        if (!item.is_object()) continue;
        e.history.push_back({a->alarm_name, item.value("Timestamp", ""), item.value("HistoryItemType", ""),
                             item.value("HistorySummary", "")});
      }
    }
    alarms_[a->alarm_name] = std::move(e);
  }
  if (options_.background && !thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

Status AlarmManager::Persist(const MetricAlarm& alarm) {
  auto rev = store_->Put(kPrefix + alarm.alarm_name, AlarmToJson(alarm).dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

Status AlarmManager::PersistHistory(const Entry& e) {
  json a = json::array();
  for (const auto& h : e.history) a.push_back(HistoryToJson(h));
  auto rev = store_->Put(kHistoryPrefix + e.alarm.alarm_name, a.dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

void AlarmManager::AddHistory(Entry& e, const std::string& type, const std::string& summary, int64_t now) {
  e.history.push_back({e.alarm.alarm_name, IsoFromMs(now), type, summary});
  while (e.history.size() > kMaxHistory) e.history.pop_front();
  Status st = PersistHistory(e);
  if (!st.ok()) LogError("cannot persist alarm history", {{"alarm", e.alarm.alarm_name}, {"error", st.ToString()}});
}

Result<MetricAlarm> AlarmManager::PutMetricAlarm(MetricAlarm alarm) {
  STRATUS_ASSIGN_OR_RETURN(AlarmConfig config, ToAlarmConfig(alarm));
  int64_t now = Now();
  alarm.alarm_arn = "arn:aws:cloudwatch:" + options_.region + ":" + options_.account + ":alarm:" + alarm.alarm_name;
  alarm.alarm_configuration_updated_timestamp = IsoFromMs(now);
  std::lock_guard lock(mu_);
  Entry e{alarm, std::make_unique<AlarmStateMachine>(config, now), 0, {}};
  e.alarm.state_value = AlarmStateName(e.machine->state());
  e.alarm.state_reason = e.machine->reason();
  e.alarm.state_updated_timestamp = IsoFromMs(now);
  auto existing = alarms_.find(alarm.alarm_name);
  bool created = existing == alarms_.end();
  if (!created) {
    // A changed definition keeps the state; the next evaluation decides from the new definition.
    Entry& old = existing->second;
    if (old.machine->state() != AlarmState::kInsufficientData) {
      e.machine->SetState(old.machine->state(), old.machine->reason(), now);
    }
    e.alarm.state_value = old.alarm.state_value;
    e.alarm.state_reason = old.alarm.state_reason;
    e.alarm.state_updated_timestamp = old.alarm.state_updated_timestamp;
    e.last_alarm_actions_ms = old.last_alarm_actions_ms;
    e.history = std::move(old.history);
  }
  STRATUS_RETURN_IF_ERROR(Persist(e.alarm));
  AddHistory(e, "ConfigurationUpdate", "Alarm \"" + alarm.alarm_name + "\" " + (created ? "created" : "updated"), now);
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
  std::set<std::string> unique(names.begin(), names.end());
  for (const auto& n : unique) {
    if (!alarms_.count(n)) return NotFound("alarm " + n + " does not exist").WithErrorCode("ResourceNotFound");
  }
  std::vector<TxnOp> ops;
  for (const auto& n : unique) ops.push_back({TxnOp::Type::kDelete, kPrefix + n, "", kAnyRevision});
  auto rev = store_->Commit(ops);
  if (!rev.ok()) return rev.status();
  for (const auto& n : unique) {
    alarms_.erase(n);
    Status st = store_->Delete(kHistoryPrefix + n);
    if (!st.ok() && st.code() != Code::kNotFound) LogWarn("cannot delete alarm history", {{"alarm", n}, {"error", st.ToString()}});
  }
  return Status::Ok();
}

Status AlarmManager::SetAlarmState(const std::string& name, const std::string& state_value, const std::string& reason) {
  auto state = ParseAlarmState(state_value);
  if (!state.ok()) return Validation("StateValue must be OK, ALARM or INSUFFICIENT_DATA");
  if (reason.size() > 1023) return Validation("StateReason must be at most 1023 characters");
  std::vector<std::pair<AlarmActionHandler, std::string>> actions;
  MetricAlarm snapshot;
  {
    std::lock_guard lock(mu_);
    auto it = alarms_.find(name);
    if (it == alarms_.end()) return NotFound("alarm " + name + " does not exist").WithErrorCode("ResourceNotFound");
    int64_t now = Now();
    std::string old_state = it->second.alarm.state_value;
    bool changed = it->second.machine->state() != *state;
    it->second.machine->SetState(*state, reason, now);
    Publish(it->second, old_state, now);
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
    out.insert(out.end(), e.history.begin(), e.history.end());
  }
  // Newest first, as CloudWatch returns them.
  std::stable_sort(out.begin(), out.end(),
                   [](const AlarmHistoryItem& a, const AlarmHistoryItem& b) { return a.timestamp > b.timestamp; });
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

void AlarmManager::Publish(Entry& e, const std::string& old_state, int64_t now) {
  e.alarm.state_value = AlarmStateName(e.machine->state());
  e.alarm.state_reason = e.machine->reason();
  e.alarm.state_updated_timestamp = IsoFromMs(now);
  Status st = Persist(e.alarm);
  if (!st.ok()) LogError("cannot persist alarm state", {{"alarm", e.alarm.alarm_name}, {"error", st.ToString()}});
  if (old_state != e.alarm.state_value) {
    AddHistory(e, "StateUpdate", "Alarm updated from " + old_state + " to " + e.alarm.state_value, now);
  }
}

void AlarmManager::EvaluateAll() {
  std::vector<std::pair<std::vector<std::pair<AlarmActionHandler, std::string>>, MetricAlarm>> to_run;
  {
    std::lock_guard lock(mu_);
    int64_t now = Now();
    for (auto& [name, e] : alarms_) {
      auto range = QueryAlarmRange(metrics_, MetricOf(e.alarm), e.machine->config(), now);
      if (!range.ok()) continue;
      std::string old_state = e.alarm.state_value;
      AlarmEvaluation ev = e.machine->Evaluate(*range, now);
      if (!ev.changed && ev.state == AlarmState::kInsufficientData && !ev.reason.empty() &&
          e.alarm.state_reason.rfind("Unchecked", 0) == 0) {
        // As CloudWatch: the first evaluation replaces "Unchecked: Initial alarm creation" with why
        // the state is INSUFFICIENT_DATA.
        e.machine->SetState(AlarmState::kInsufficientData, ev.reason, now);
        Publish(e, old_state, now);
        AddHistory(e, "StateUpdate", "Alarm updated from INSUFFICIENT_DATA to INSUFFICIENT_DATA", now);
      }
      bool rerun = ev.state == AlarmState::kAlarm && !ev.changed &&
                   now - e.last_alarm_actions_ms >= e.machine->config().period_s * 1000;
      if (ev.changed) {
        Publish(e, old_state, now);
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
