#include "metrics/alarm.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "metrics/metric.h"

namespace stratus {
namespace {

bool Breaches(ComparisonOperator op, double v, double threshold) {
  switch (op) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold: return v >= threshold;
    case ComparisonOperator::kGreaterThanThreshold: return v > threshold;
    case ComparisonOperator::kLessThanThreshold: return v < threshold;
    case ComparisonOperator::kLessThanOrEqualToThreshold: return v <= threshold;
  }
  return false;
}

const char* OperatorText(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold: return "greater than or equal to";
    case ComparisonOperator::kGreaterThanThreshold: return "greater than";
    case ComparisonOperator::kLessThanThreshold: return "less than";
    case ComparisonOperator::kLessThanOrEqualToThreshold: return "less than or equal to";
  }
  return "?";
}

// AWS prints 5.0, 85.5, 0.125.
std::string Number(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.12g", v);
  }
  return buf;
}

// "27/11/26 05:30:00", the date format of AWS's reason texts.
std::string ReasonTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%02d %02d:%02d:%02d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// What one evaluation looked at.
struct Evaluated {
  std::vector<const AlarmDatapoint*> points;  // real datapoints evaluated, newest first
  size_t filled = 0;                          // missing datapoints filled in by TreatMissingData
  size_t breaching = 0;                       // among points and fills
};

std::string ListText(const std::vector<const AlarmDatapoint*>& pts) {
  std::string s = "[";
  for (size_t i = 0; i < pts.size(); ++i) {
    if (i) s += ", ";
    s += Number(*pts[i]->value) + " (" + ReasonTime(pts[i]->timestamp_ms) + ")";
  }
  return s + "]";
}

std::string ThresholdReason(const AlarmConfig& c, const Evaluated& e, AlarmState from, AlarmState to) {
  size_t n = static_cast<size_t>(c.evaluation_periods);
  size_t m = static_cast<size_t>(c.datapoints_to_alarm);
  bool alarm = to == AlarmState::kAlarm;
  std::vector<const AlarmDatapoint*> shown;
  for (const AlarmDatapoint* p : e.points) {
    if (Breaches(c.comparison, *p->value, c.threshold) == alarm) shown.push_back(p);
  }
  std::string r = "Threshold Crossed: ";
  if (e.points.empty()) {
    r += "no datapoints were received for " + Plural(e.filled, "period") + " and " +
         Plural(e.filled, "missing datapoint") + (e.filled == 1 ? " was" : " were") + " treated as [" +
         (alarm ? "Breaching" : "NonBreaching") + "].";
    return r;
  }
  if (n == 1) {
    r += "1 datapoint " + ListText(shown);
  } else {
    r += std::to_string(shown.size()) + " out of the last " + std::to_string(n) + " datapoints " + ListText(shown);
  }
  r += std::string(shown.size() == 1 ? " was " : " were ") + (alarm ? "" : "not ") + OperatorText(c.comparison) +
       " the threshold (" + Number(c.threshold) + ")";
  if (e.filled) {
    r += " and " + Plural(e.filled, "missing datapoint") + (e.filled == 1 ? " was" : " were") + " treated as [" +
         (c.treat_missing_data == TreatMissingData::kBreaching ? "Breaching" : "NonBreaching") + "]";
  }
  if (n > 1) {
    size_t needed = alarm ? m : n - m + 1;
    r += " (minimum " + Plural(needed, "datapoint") + " for " + AlarmStateName(from) + " -> " +
         AlarmStateName(to) + " transition)";
  }
  return r + ".";
}

std::string ReasonData(const AlarmConfig& c, const std::vector<AlarmDatapoint>& range, const Evaluated& e,
                       int64_t now_ms) {
  nlohmann::json j;
  j["version"] = "1.0";
  j["queryDate"] = FormatIso8601(now_ms);
  if (!range.empty()) j["startDate"] = FormatIso8601(range.front().timestamp_ms);
  j["statistic"] = c.statistic;
  j["period"] = c.period_s;
  nlohmann::json recent = nlohmann::json::array();
  for (const AlarmDatapoint& p : range) {
    if (p.value) recent.push_back(*p.value);
  }
  j["recentDatapoints"] = recent;
  j["threshold"] = c.threshold;
  nlohmann::json evaluated = nlohmann::json::array();
  for (const AlarmDatapoint* p : e.points) {
    evaluated.push_back({{"timestamp", FormatIso8601(p->timestamp_ms)}, {"value", *p->value}});
  }
  j["evaluatedDatapoints"] = evaluated;
  return j.dump();
}

}  // namespace

const char* AlarmStateName(AlarmState s) {
  switch (s) {
    case AlarmState::kOk: return "OK";
    case AlarmState::kAlarm: return "ALARM";
    case AlarmState::kInsufficientData: return "INSUFFICIENT_DATA";
  }
  return "?";
}

const char* ComparisonOperatorName(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold: return "GreaterThanOrEqualToThreshold";
    case ComparisonOperator::kGreaterThanThreshold: return "GreaterThanThreshold";
    case ComparisonOperator::kLessThanThreshold: return "LessThanThreshold";
    case ComparisonOperator::kLessThanOrEqualToThreshold: return "LessThanOrEqualToThreshold";
  }
  return "?";
}

const char* TreatMissingDataName(TreatMissingData t) {
  switch (t) {
    case TreatMissingData::kMissing: return "missing";
    case TreatMissingData::kIgnore: return "ignore";
    case TreatMissingData::kBreaching: return "breaching";
    case TreatMissingData::kNotBreaching: return "notBreaching";
  }
  return "?";
}

Result<AlarmState> ParseAlarmState(std::string_view s) {
  for (AlarmState v : {AlarmState::kOk, AlarmState::kAlarm, AlarmState::kInsufficientData}) {
    if (s == AlarmStateName(v)) return v;
  }
  return InvalidArgument("alarm state " + std::string(s) + " is not one of OK, ALARM, INSUFFICIENT_DATA");
}

Result<ComparisonOperator> ParseComparisonOperator(std::string_view s) {
  for (ComparisonOperator v :
       {ComparisonOperator::kGreaterThanOrEqualToThreshold, ComparisonOperator::kGreaterThanThreshold,
        ComparisonOperator::kLessThanThreshold, ComparisonOperator::kLessThanOrEqualToThreshold}) {
    if (s == ComparisonOperatorName(v)) return v;
  }
  return InvalidArgument("comparison operator " + std::string(s) +
                         " is not one of GreaterThanOrEqualToThreshold, GreaterThanThreshold, "
                         "LessThanThreshold, LessThanOrEqualToThreshold");
}

Result<TreatMissingData> ParseTreatMissingData(std::string_view s) {
  for (TreatMissingData v : {TreatMissingData::kMissing, TreatMissingData::kIgnore, TreatMissingData::kBreaching,
                             TreatMissingData::kNotBreaching}) {
    if (s == TreatMissingDataName(v)) return v;
  }
  return InvalidArgument("TreatMissingData " + std::string(s) +
                         " is not one of missing, ignore, breaching, notBreaching");
}

Status ValidateAlarmConfig(const AlarmConfig& c) {
  if (c.period_s < 1 || c.period_s > 86400) return InvalidArgument("Period must be between 1 and 86400 seconds");
  if (c.evaluation_periods < 1 || c.evaluation_periods > 86400) {
    return InvalidArgument("EvaluationPeriods must be between 1 and 86400");
  }
  if (c.datapoints_to_alarm < 0 || c.datapoints_to_alarm > c.evaluation_periods) {
    return InvalidArgument("DatapointsToAlarm (" + std::to_string(c.datapoints_to_alarm) +
                           ") must be between 1 and EvaluationPeriods (" + std::to_string(c.evaluation_periods) + ")");
  }
  if (c.period_s * c.evaluation_periods > 86400) {
    return InvalidArgument("Period * EvaluationPeriods must not exceed one day (86400 seconds)");
  }
  if (!std::isfinite(c.threshold)) return InvalidArgument("Threshold must be a finite number");
  return Status::Ok();
}

int EvaluationRangePeriods(const AlarmConfig& c) { return c.evaluation_periods + 2; }

AlarmEvaluation EvaluateAlarm(const AlarmConfig& config, const std::vector<AlarmDatapoint>& range,
                              AlarmState current, int64_t now_ms) {
  AlarmConfig c = config;
  if (c.datapoints_to_alarm == 0) c.datapoints_to_alarm = c.evaluation_periods;
  size_t n = static_cast<size_t>(std::max(1, c.evaluation_periods));
  size_t m = static_cast<size_t>(std::max(1, c.datapoints_to_alarm));
  Evaluated e;
  size_t existing_breaching = 0, existing = 0;
  for (auto it = range.rbegin(); it != range.rend(); ++it) {
    if (!it->value) continue;
    ++existing;
    if (e.points.size() < n) {
      e.points.push_back(&*it);
      if (Breaches(c.comparison, *it->value, c.threshold)) ++existing_breaching;
    }
  }
  size_t missing = range.size() - existing;
  auto result = [&](AlarmState s, std::string reason) {
    return AlarmEvaluation{s, s != current, std::move(reason), ReasonData(c, range, e, now_ms)};
  };
  auto retain = [&] { return AlarmEvaluation{current, false, "", ""}; };
  auto insufficient = [&] {
    return result(AlarmState::kInsufficientData,
                  "Insufficient Data: " + Plural(missing, "datapoint") + (missing == 1 ? " was" : " were") +
                      " unknown.");
  };
  e.breaching = existing_breaching;
  if (e.points.size() < n) {
    e.filled = n - e.points.size();
    switch (c.treat_missing_data) {
      case TreatMissingData::kBreaching: e.breaching += e.filled; break;
      case TreatMissingData::kNotBreaching: break;
      case TreatMissingData::kMissing:
      case TreatMissingData::kIgnore: {
        e.filled = 0;  // real datapoints decide if they can
        bool any_ok = e.points.size() > existing_breaching;
        if (existing_breaching >= m || any_ok) break;
        if (c.treat_missing_data == TreatMissingData::kIgnore) return retain();
        bool oldest_breaching = !range.empty() && range.front().value &&
                                Breaches(c.comparison, *range.front().value, c.threshold);
        if (!oldest_breaching) return insufficient();
        AlarmState to = AlarmState::kAlarm;
        return result(to, ThresholdReason(c, e, current, to));
      }
    }
  }
  AlarmState to = e.breaching >= m ? AlarmState::kAlarm : AlarmState::kOk;
  return result(to, ThresholdReason(c, e, current, to));
}

AlarmStateMachine::AlarmStateMachine(AlarmConfig config, int64_t now_ms)
    : config_(std::move(config)), reason_("Unchecked: Initial alarm creation"), state_updated_ms_(now_ms) {}

AlarmEvaluation AlarmStateMachine::Evaluate(const std::vector<AlarmDatapoint>& range, int64_t now_ms) {
  AlarmEvaluation ev = EvaluateAlarm(config_, range, state_, now_ms);
  if (ev.changed) {
    AlarmState old = state_;
    state_ = ev.state;
    reason_ = ev.reason;
    reason_data_ = ev.reason_data;
    Record(old, now_ms);
  }
  return ev;
}

void AlarmStateMachine::SetState(AlarmState state, std::string reason, int64_t now_ms) {
  AlarmState old = state_;
  state_ = state;
  reason_ = std::move(reason);
  reason_data_.clear();
  Record(old, now_ms);
}

void AlarmStateMachine::Record(AlarmState old_state, int64_t now_ms) {
  state_updated_ms_ = now_ms;
  history_.push_back(AlarmHistoryItem{now_ms, old_state, state_,
                                      std::string("Alarm updated from ") + AlarmStateName(old_state) + " to " +
                                          AlarmStateName(state_),
                                      reason_, reason_data_});
  while (history_.size() > kMaxHistory ||
         (!history_.empty() && history_.front().timestamp_ms < now_ms - kHistoryRetentionMs)) {
    history_.pop_front();
  }
}

}  // namespace stratus
