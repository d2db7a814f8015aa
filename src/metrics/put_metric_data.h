// The PutMetricData request, read the same way for the REST API (POST /v1/metrics) and the CloudWatch
// protocol: both hand over the request as JSON with CloudWatch's member names (Namespace, MetricData,
// MetricName, Dimensions, Unit, Timestamp, Value | StatisticValues | Values + Counts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "metrics/metric.h"

namespace stratus {

// CloudWatch's limit of datums per PutMetricData request.
inline constexpr size_t kMaxDatumsPerRequest = 1000;

// The datums of a PutMetricData body, timestamps defaulting to `now_ms`. Each datum carries exactly one
// of Value, StatisticValues and Values, every number finite. InvalidArgument (error code
// InvalidParameterValue or MissingParameter) naming the offending member; the MetricStore checks the
// rest (units, timestamp range, dimension limits).
Result<std::vector<MetricDatum>> ParsePutMetricData(const nlohmann::json& body, int64_t now_ms);

// "2026-11-27T05:30:00Z" (fractional seconds allowed) or epoch seconds -> ms since the epoch.
Result<int64_t> ParseTimeParam(const std::string& text);

}  // namespace stratus
