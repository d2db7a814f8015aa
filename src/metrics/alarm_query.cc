#include "metrics/alarm_query.h"

#include <algorithm>

#include "metrics/series.h"

namespace stratus {

Result<std::vector<AlarmDatapoint>> QueryAlarmRange(MetricStore* store, const AlarmMetric& metric,
                                                    const AlarmConfig& config, int64_t now_ms,
                                                    int64_t settle_ms) {
  STRATUS_RETURN_IF_ERROR(ValidateAlarmConfig(config));
  int64_t period_ms = config.period_s * 1000;
  int64_t end_ms = FloorDiv(now_ms - settle_ms, period_ms) * period_ms;
  int64_t n = EvaluationRangePeriods(config);
  std::vector<AlarmDatapoint> range(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) range[static_cast<size_t>(i)].timestamp_ms = end_ms - (n - i) * period_ms;
  // At most 1440 periods per query, as the store (and CloudWatch) allow.
  constexpr int64_t kChunk = 1440;
  for (int64_t first = 0; first < n; first += kChunk) {
    int64_t count = std::min(kChunk, n - first);
    StatisticsQuery q;
    q.namespace_ = metric.namespace_;
    q.name = metric.name;
    q.dimensions = metric.dimensions;
    q.unit = metric.unit;
    q.start_ms = range[static_cast<size_t>(first)].timestamp_ms;
    q.end_ms = q.start_ms + count * period_ms;
    q.period_s = config.period_s;
    q.statistics = {metric.statistic};
    STRATUS_ASSIGN_OR_RETURN(std::vector<Datapoint> dps, store->GetMetricStatistics(q));
    for (const Datapoint& dp : dps) {
      auto v = dp.values.find(metric.statistic);
      int64_t idx = (dp.timestamp_ms - range.front().timestamp_ms) / period_ms;
      if (v == dp.values.end() || idx < 0 || idx >= n) continue;
      range[static_cast<size_t>(idx)].value = v->second;
    }
  }
  return range;
}

}  // namespace stratus
