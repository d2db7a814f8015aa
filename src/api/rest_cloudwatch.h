// REST routes for CloudWatch (docs/api.md "CloudWatch"): PutMetricData, GetMetricStatistics,
// ListMetrics over the MetricStore; PutMetricAlarm, DescribeAlarms, DeleteAlarms, SetAlarmState,
// DescribeAlarmHistory over the AlarmService; and the Prometheus exposition at GET /metrics.
// Request and response members carry CloudWatch's names (Namespace, MetricData, Dimensions, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cloudwatch/alarm_service.h"
#include "common/status.h"
#include "metrics/metric_store.h"

namespace stratus {

struct CloudWatchRoutes {
  MetricStore* metrics = nullptr;              // required
  cloudwatch::AlarmService* alarms = nullptr;  // required
  // Extra Prometheus text appended to /metrics (the load balancer's counters); may be empty.
  std::function<Result<std::string>()> extra_prometheus;
  std::function<int64_t()> clock;  // ms since the epoch; default: the system clock
};

// Registers the routes on `server`. The caller's pre-routing handler decides authentication
// (stratusd requires the bearer token on every route, /metrics included).
void MountCloudWatchRoutes(httplib::Server& server, CloudWatchRoutes routes);

// The datums of a PutMetricData body ({"Namespace": ..., "MetricData": [...]}), timestamps
// defaulting to `now_ms`. InvalidArgument (InvalidParameterValue / MissingParameter) naming the
// offending member; the MetricStore validates the rest.
Result<std::vector<MetricDatum>> ParsePutMetricData(const nlohmann::json& body, int64_t now_ms);

// "2026-11-27T05:30:00Z" (fractional seconds allowed) or epoch seconds -> ms since the epoch.
Result<int64_t> ParseTimeParam(const std::string& text);

}  // namespace stratus
