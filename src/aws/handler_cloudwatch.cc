// CloudWatch (monitoring) over MetricStore (metrics) and AlarmService (alarms).
#include <algorithm>
#include <cmath>

#include "aws/handler.h"
#include "aws/handler_util.h"
#include "cloudwatch/alarm_manager.h"
#include "cloudwatch/alarm_service.h"
#include "metrics/metric_store.h"
#include "metrics/put_metric_data.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "monitoring";
using Output = StratusAwsHandler::Output;

int64_t Ms(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1000)); }

std::vector<Dimension> DimensionsOf(const json& list) {
  std::vector<Dimension> out;
  if (!list.is_array()) return out;
  for (const auto& d : list) out.push_back({Str(d, "Name"), Str(d, "Value")});
  return out;
}

json DimensionList(const std::vector<Dimension>& dims) {
  json out = json::array();
  for (const auto& d : dims) out.push_back({{"Name", d.name}, {"Value", d.value}});
  return out;
}

Output PutMetricData(MetricStore& store, const json& in) {
  AWS_ASSIGN_OR_RETURN(data, ParsePutMetricData(in, Ms(static_cast<double>(time(nullptr)))));
  AWS_RETURN_IF_ERROR(store.PutMetricData(std::move(data)));
  return json::object();
}

StatisticsQuery QueryOf(const json& metric, double start, double end, int64_t period, const std::string& unit) {
  StatisticsQuery q;
  q.namespace_ = Str(metric, "Namespace");
  q.name = Str(metric, "MetricName");
  q.dimensions = DimensionsOf(metric.value("Dimensions", json::array()));
  if (!unit.empty()) q.unit = unit;
  q.start_ms = Ms(start);
  q.end_ms = Ms(end);
  q.period_s = period;
  return q;
}

Output GetMetricStatistics(MetricStore& store, const json& in) {
  StatisticsQuery q = QueryOf(in, OptNum(in, "StartTime").value_or(0), OptNum(in, "EndTime").value_or(0),
                              OptInt(in, "Period").value_or(60), Str(in, "Unit"));
  auto standard = StrList(in, "Statistics");
  auto extended = StrList(in, "ExtendedStatistics");
  if (standard.empty() && extended.empty()) return MissingParam(kService, "Statistics or ExtendedStatistics");
  q.statistics = standard;
  q.statistics.insert(q.statistics.end(), extended.begin(), extended.end());
  AWS_ASSIGN_OR_RETURN(points, store.GetMetricStatistics(q));
  json out = json::array();
  for (const auto& p : points) {
    json dp = {{"Timestamp", p.timestamp_ms / 1000.0}, {"Unit", p.unit.empty() ? "None" : p.unit}};
    json ext = json::object();
    for (const auto& [name, value] : p.values) {
      if (std::find(standard.begin(), standard.end(), name) != standard.end()) dp[name] = value;
      else ext[name] = value;
    }
    if (!ext.empty()) dp["ExtendedStatistics"] = ext;
    out.push_back(dp);
  }
  return json{{"Label", q.name}, {"Datapoints", out}};
}

// GetMetricData on GetMetricStatistics: one statistic per MetricStat query; math expressions are not supported.
Output GetMetricData(MetricStore& store, const json& in) {
  double start = OptNum(in, "StartTime").value_or(0), end = OptNum(in, "EndTime").value_or(0);
  bool ascending = Str(in, "ScanBy") == "TimestampAscending";
  json results = json::array();
  for (const auto& query : in.value("MetricDataQueries", json::array())) {
    std::string id = Str(query, "Id");
    if (query.contains("Expression")) {
      return AwsError{"InvalidParameterValue", "query " + id + ": Stratus does not evaluate metric math expressions", 400};
    }
    if (!query.contains("MetricStat")) return MissingParam(kService, "MetricDataQueries." + id + ".MetricStat");
    const json& stat = query["MetricStat"];
    StatisticsQuery q = QueryOf(stat.value("Metric", json::object()), start, end, OptInt(stat, "Period").value_or(60),
                                Str(stat, "Unit"));
    std::string statistic = Str(stat, "Stat", "Average");
    q.statistics = {statistic};
    AWS_ASSIGN_OR_RETURN(points, store.GetMetricStatistics(q));
    if (!ascending) std::reverse(points.begin(), points.end());
    json timestamps = json::array(), values = json::array();
    for (const auto& p : points) {
      auto it = p.values.find(statistic);
      if (it == p.values.end()) continue;
      timestamps.push_back(p.timestamp_ms / 1000.0);
      values.push_back(it->second);
    }
    if (!OptBool(query, "ReturnData").value_or(true)) continue;
    results.push_back({{"Id", id}, {"Label", Str(query, "Label", q.name)}, {"Timestamps", timestamps},
                       {"Values", values}, {"StatusCode", "Complete"}});
  }
  return json{{"MetricDataResults", results}, {"Messages", json::array()}};
}

Output ListMetrics(MetricStore& store, const json& in) {
  ListMetricsFilter f;
  if (in.contains("Namespace")) f.namespace_ = Str(in, "Namespace");
  if (in.contains("MetricName")) f.name = Str(in, "MetricName");
  f.dimensions = DimensionsOf(in.value("Dimensions", json::array()));
  json out = json::array();
  std::vector<std::string> seen;
  for (const auto& m : store.ListMetrics(f)) {
    // Series differing only by unit are one metric to CloudWatch.
    json entry = {{"Namespace", m.namespace_}, {"MetricName", m.name}, {"Dimensions", DimensionList(m.dimensions)}};
    std::string key = entry.dump();
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.push_back(entry);
  }
  return json{{"Metrics", out}};
}

Output PutMetricAlarm(cloudwatch::AlarmService& alarms, const json& in) {
  AWS_ASSIGN_OR_RETURN(alarm, cloudwatch::AlarmFromJson(in));
  AWS_ASSIGN_OR_RETURN(stored, alarms.PutMetricAlarm(alarm));
  (void)stored;
  return json::object();
}

Output DescribeAlarms(cloudwatch::AlarmService& alarms, const json& in) {
  auto types = StrList(in, "AlarmTypes");
  if (!types.empty() && std::find(types.begin(), types.end(), "MetricAlarm") == types.end()) {
    return json{{"MetricAlarms", json::array()}, {"CompositeAlarms", json::array()}};
  }
  AWS_ASSIGN_OR_RETURN(list, alarms.DescribeAlarms(StrList(in, "AlarmNames"), Str(in, "StateValue"),
                                                   Str(in, "AlarmNamePrefix")));
  json out = json::array();
  std::string prefix = Str(in, "ActionPrefix");
  for (const auto& a : list) {
    if (!prefix.empty()) {
      bool has = std::any_of(a.alarm_actions.begin(), a.alarm_actions.end(),
                             [&](const std::string& arn) { return arn.rfind(prefix, 0) == 0; });
      if (!has) continue;
    }
    json j = cloudwatch::AlarmToJson(a);
    if (a.datapoints_to_alarm == 0) j.erase("DatapointsToAlarm");
    out.push_back(DropEmpty(std::move(j)));
  }
  return json{{"MetricAlarms", out}, {"CompositeAlarms", json::array()}};
}

Output DescribeAlarmHistory(cloudwatch::AlarmService& alarms, const json& in) {
  json out = json::array();
  std::string type = Str(in, "HistoryItemType");
  for (const auto& h : alarms.DescribeAlarmHistory(Str(in, "AlarmName"))) {
    if (!type.empty() && h.history_item_type != type) continue;
    out.push_back(DropEmpty(cloudwatch::HistoryToJson(h)));
  }
  return json{{"AlarmHistoryItems", out}};
}

}  // namespace

void StratusAwsHandler::RegisterCloudWatch() {
  ServiceOps<MetricStore> metric_op(ops_, kService, s_.metrics, "metric store");
  metric_op("PutMetricData", PutMetricData);
  metric_op("GetMetricStatistics", GetMetricStatistics);
  metric_op("GetMetricData", GetMetricData);
  metric_op("ListMetrics", ListMetrics);
  ServiceOps<cloudwatch::AlarmService> alarm_op(ops_, kService, s_.alarms, "alarm service");
  alarm_op("PutMetricAlarm", PutMetricAlarm);
  alarm_op("DescribeAlarms", DescribeAlarms);
  alarm_op("DeleteAlarms", [](cloudwatch::AlarmService& alarms, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(alarms.DeleteAlarms(StrList(in, "AlarmNames")));
    return json::object();
  });
  alarm_op("SetAlarmState", [](cloudwatch::AlarmService& alarms, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(alarms.SetAlarmState(Str(in, "AlarmName"), Str(in, "StateValue"), Str(in, "StateReason")));
    return json::object();
  });
  alarm_op("DescribeAlarmHistory", DescribeAlarmHistory);
}

}  // namespace stratus::aws
