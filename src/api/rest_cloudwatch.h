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


}  // namespace stratus
