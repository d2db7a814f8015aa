// Prometheus text exposition format 0.0.4 (what /metrics serves).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metric_store.h"

namespace stratus {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

struct PromSample {
  std::vector<std::pair<std::string, std::string>> labels;  // names must be valid label names
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct PromFamily {
  std::string name;           // a valid metric name
  std::string help;
  std::string type = "gauge"; // gauge | counter | untyped
  std::vector<PromSample> samples;
};

// Renders families in the given order: "# HELP", "# TYPE", then one line per sample, with label
// values and help text escaped and NaN/+Inf/-Inf spelled as Prometheus expects.
std::string FormatPrometheus(const std::vector<PromFamily>& families);

// Turns any text into a valid metric or label name: CamelCase -> snake_case, other characters
// -> '_', a leading digit gets a '_' prefix. "AWS/EC2" -> "aws_ec2", "CPUUtilization" ->
// "cpu_utilization", "InstanceId" -> "instance_id".
std::string PrometheusName(std::string_view s);

// One gauge family per namespace + metric name ("stratus_<namespace>_<name>"), labelled by the
// dimensions (plus "unit" when not None), valued by each series' newest sample and its timestamp.
// Families and samples come out sorted, so the output is stable.
std::string FormatLatestValues(const std::vector<LatestValue>& latest, bool with_timestamps = true);

}  // namespace stratus
