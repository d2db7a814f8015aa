// MetricStore: the CloudWatch-like time-series store (PutMetricData / GetMetricStatistics /
// ListMetrics) behind the daemon's collectors, alarms and /metrics.
//
// Data lives in memory: 1-second resolution for raw_retention (3 h), then 1-minute rollups for
// rollup_retention (15 days), as CloudWatch keeps them. Only the open minutes (the head: the
// current and the previous one) hold a double per second; closed minutes are XOR-compressed
// (series.h, Chunk), in the same bytes the log and its snapshots hold them, so a restart copies
// them instead of decoding. It is persisted under `dir` by a background
// thread that appends every changed second / minute to a log and fdatasyncs it every
// flush_interval (1 s), so a crash loses at most that much. See docs/metrics.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "metrics/metric.h"

namespace stratus {

struct MetricStoreOptions {
  std::string dir;  // where the log lives; empty: memory only
  int64_t raw_retention_ms = 3LL * 3600 * 1000;
  int64_t rollup_retention_ms = 15LL * 24 * 3600 * 1000;
  int64_t max_past_ms = 14LL * 24 * 3600 * 1000;  // PutMetricData timestamp limits, as CloudWatch
  int64_t max_future_ms = 2LL * 3600 * 1000;
  size_t max_datapoints = 1440;       // per GetMetricStatistics call, as CloudWatch
  uint32_t max_raw_per_second = 1000;  // samples per series-second kept raw for exact percentiles
  size_t max_series = 100000;
  int flush_interval_ms = 1000;
  // The log is rewritten as one snapshot once its file (the last snapshot and what was appended
  // since) exceeds both this and 4x that snapshot: what a restart replays is bounded by the data
  // retained, whatever the uptime.
  uint64_t compact_min_bytes = 64ull << 20;
  bool background = true;  // run the flush/retention thread; tests call Flush()/Maintain() instead
  std::function<int64_t()> clock;  // milliseconds since the epoch; default: the system clock
};

struct StatisticsQuery {
  std::string namespace_;
  std::string name;
  std::vector<Dimension> dimensions;  // the exact dimension set of the series, as CloudWatch
  std::optional<std::string> unit;    // unset: every unit the metric was published with
  int64_t start_ms = 0;               // inclusive
  int64_t end_ms = 0;                 // exclusive
  int64_t period_s = 60;
  std::vector<std::string> statistics;  // "Average", "p99", ...
};

struct Datapoint {
  int64_t timestamp_ms = 0;  // start of the period
  std::string unit;
  // Requested statistics by name ("Average", "p99.9"). Percentiles are absent for periods that got
  // statistic sets (CloudWatch cannot compute them either).
  std::map<std::string, double> values;
};

struct ListMetricsFilter {
  std::optional<std::string> namespace_;
  std::optional<std::string> name;
  // Each must match a dimension of the metric; an empty value matches any value of that name.
  std::vector<Dimension> dimensions;
};

struct LatestValue {
  MetricIdentity metric;
  int64_t timestamp_ms;
  double value;
};

// What the store holds in memory (for benchmarks and tests).
struct MetricStoreUsage {
  uint64_t series = 0;
  uint64_t open_minutes = 0;    // series-minutes taking data: a double per second (the head)
  uint64_t packed_minutes = 0;  // closed series-minutes at 1-second resolution, compressed
  uint64_t packed_samples = 0;  // the single samples in them
  uint64_t packed_bytes = 0;    // their compressed values
  uint64_t rollup_minutes = 0;  // 1-minute rollups
};

class MetricStore {
 public:
  virtual ~MetricStore() = default;

  // Validates every datum (names, at most 30 dimensions, unit, finite values, SampleCount >= 1,
  // Minimum <= Maximum, at most 150 Values with matching Counts >= 1, timestamp within
  // [now - 2 weeks, now + 2 h]) and then stores all of them;
  // on InvalidArgument nothing is stored. ResourceExhausted past max_series distinct series.
  virtual Status PutMetricData(std::vector<MetricDatum> data) = 0;

  // CloudWatch GetMetricStatistics: one Datapoint per period in [start, end) that has data, in time
  // order, periods aligned to multiples of period_s since the epoch. InvalidArgument for a bad
  // statistic, period < 1, start >= end, more than max_datapoints periods, or a period that is not
  // a multiple of 60 when start is older than raw_retention. An unknown metric gives no datapoints.
  virtual Result<std::vector<Datapoint>> GetMetricStatistics(const StatisticsQuery& query) = 0;

  // Metrics with data in the retention window matching the filter, sorted.
  virtual std::vector<MetricIdentity> ListMetrics(const ListMetricsFilter& filter) = 0;

  // The newest sample of every series whose newest sample is at or after since_ms (for the
  // Prometheus exposition: pass e.g. now - 5 min so series of terminated instances go away).
  virtual std::vector<LatestValue> Latest(int64_t since_ms) = 0;

  // Persists everything changed since the last flush now (the background thread does this every
  // flush_interval). No-op for a memory-only store.
  virtual Status Flush() = 0;

  // Moves minutes that left the 1-second window into rollups, drops expired data and compacts the
  // log when it has grown (the background thread does this every second).
  virtual Status Maintain() = 0;

  virtual MetricStoreUsage Usage() = 0;
};
using MetricStorePtr = std::unique_ptr<MetricStore>;

// Opens the store, loading what `options.dir` holds. Unavailable/Internal when the directory cannot
// be created or read; corrupt record tails are skipped with a warning.
Result<MetricStorePtr> OpenMetricStore(MetricStoreOptions options);

}  // namespace stratus
