// CloudWatch-shaped metric types: identities, datums, statistics, and their validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace stratus {

inline constexpr size_t kMaxDimensions = 30;          // CloudWatch's limit per metric
inline constexpr size_t kMaxNameLength = 255;         // namespace, metric and dimension names
inline constexpr size_t kMaxDimensionValueLength = 1024;

struct Dimension {
  std::string name;
  std::string value;
  bool operator==(const Dimension&) const = default;
  auto operator<=>(const Dimension&) const = default;
};

// A metric series: namespace + name + dimensions (kept sorted by name) + unit ("None" when unset).
struct MetricIdentity {
  std::string namespace_;
  std::string name;
  std::vector<Dimension> dimensions;
  std::string unit = "None";
  bool operator==(const MetricIdentity&) const = default;
};

// CloudWatch StatisticSet: pre-aggregated samples.
struct StatisticSet {
  double sample_count = 0;
  double sum = 0;
  double minimum = 0;
  double maximum = 0;
};

inline constexpr size_t kMaxValuesPerDatum = 150;  // CloudWatch's limit for Values/Counts

// One PutMetricData entry: exactly one of value / statistics / values (with optional counts,
// each value then stands for `count` samples, 1 when counts is empty).
struct MetricDatum {
  MetricIdentity metric;
  int64_t timestamp_ms = 0;
  std::optional<double> value;
  std::optional<StatisticSet> statistics;
  std::vector<double> values;
  std::vector<double> counts;
};

// Sorts dimensions by name and checks names, lengths, duplicates and the unit. `what` prefixes
// messages, e.g. "MetricData.member.1".
Status NormalizeIdentity(MetricIdentity* id, std::string_view what);

// True for CloudWatch's StandardUnit values ("Seconds", "Bytes/Second", "Percent", "None", ...).
bool IsValidUnit(std::string_view unit);

// A requested statistic: one of the five standard ones or a percentile pNN(.NN).
struct Statistic {
  enum class Kind { kSampleCount, kSum, kAverage, kMinimum, kMaximum, kPercentile };
  Kind kind;
  double percentile = 0;  // 0..100 for kPercentile
  std::string name;       // as requested: "Average", "p99", "p99.9"
};

// Parses "SampleCount" | "Sum" | "Average" | "Minimum" | "Maximum" | "pNN" | "pNN.NN" (0 <= NN <= 100).
Result<Statistic> ParseStatistic(std::string_view s);

// "2026-11-27T05:30:00Z" (UTC, second precision; milliseconds appended when non-zero).
std::string FormatIso8601(int64_t timestamp_ms);

}  // namespace stratus
