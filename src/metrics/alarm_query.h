// Glue between the metric store and the alarm evaluator: fetches an alarm's evaluation range.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "metrics/alarm.h"
#include "metrics/metric_store.h"

namespace stratus {

// The metric an alarm watches (PutMetricAlarm's Namespace, MetricName, Dimensions, Unit and
// Statistic or ExtendedStatistic).
struct AlarmMetric {
  std::string namespace_;
  std::string name;
  std::vector<Dimension> dimensions;
  std::optional<std::string> unit;
  std::string statistic = "Average";  // SampleCount | Sum | Average | Minimum | Maximum | pNN(.NN)
};

// Returns the alarm's evaluation range for EvaluateAlarm: EvaluationRangePeriods(config) periods,
// oldest first, each the statistic over one period (nullopt when the period has no data or, for a
// percentile, only statistic sets). The range ends with the newest period that ended at least
// settle_ms before now_ms, so samples still in flight are not read as missing.
Result<std::vector<AlarmDatapoint>> QueryAlarmRange(MetricStore* store, const AlarmMetric& metric,
                                                    const AlarmConfig& config, int64_t now_ms,
                                                    int64_t settle_ms = 1000);

}  // namespace stratus
