#include "lb/metrics.h"

namespace stratus::lb {

const int64_t kLatencyBoundsUs[kLatencyBuckets - 1] = {500,    1000,   2500,    5000,    10000,   25000,   50000,
                                                       100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

namespace {

struct MetricInfo {
  const char* name;
  const char* prom;
  bool gauge;
};

const MetricInfo kInfo[kNumMetrics] = {
    {"RequestCount", "request_count_total", false},
    {"ActiveConnectionCount", "active_connection_count", true},
    {"NewConnectionCount", "new_connection_count_total", false},
    {"HTTPCode_Target_2XX_Count", "httpcode_target_2xx_count_total", false},
    {"HTTPCode_Target_3XX_Count", "httpcode_target_3xx_count_total", false},
    {"HTTPCode_Target_4XX_Count", "httpcode_target_4xx_count_total", false},
    {"HTTPCode_Target_5XX_Count", "httpcode_target_5xx_count_total", false},
    {"HTTPCode_ELB_4XX_Count", "httpcode_elb_4xx_count_total", false},
    {"HTTPCode_ELB_5XX_Count", "httpcode_elb_5xx_count_total", false},
    {"HTTPCode_ELB_502_Count", "httpcode_elb_502_count_total", false},
    {"HTTPCode_ELB_503_Count", "httpcode_elb_503_count_total", false},
    {"HTTPCode_ELB_504_Count", "httpcode_elb_504_count_total", false},
    {"ProcessedBytes", "processed_bytes_total", false},
    {"RetryCount", "retry_count_total", false},
    {"TargetConnectionErrorCount", "target_connection_error_count_total", false},
    {"ClientTLSNegotiationErrorCount", "client_tls_negotiation_error_count_total", false},
    {"TLSHandshakeCount", "tls_handshake_count_total", false},
    {"TLSResumedHandshakeCount", "tls_resumed_handshake_count_total", false},
    {"WebSocketUpgradeCount", "websocket_upgrade_count_total", false},
    {"HTTP_Redirect_Count", "http_redirect_count_total", false},
    {"HTTP_Fixed_Response_Count", "http_fixed_response_count_total", false},
    {"TargetResponseTimeSumUs", "", false},
    {"TargetResponseTimeCount", "", false},
};

}  // namespace

const char* MetricName(Metric m) { return kInfo[m].name; }

int64_t MetricSet::Sum(Metric m) const {
  int64_t s = 0;
  for (int w = 0; w < n_; ++w) s += shards_[w].c[m].Get();
  return s;
}

int64_t MetricSet::SumLatency(int bucket) const {
  int64_t s = 0;
  for (int w = 0; w < n_; ++w) s += shards_[w].latency[bucket].Get();
  return s;
}

nlohmann::json MetricSet::ToJson() const {
  nlohmann::json j;
  for (int m = 0; m < kResponseTimeSumUs; ++m) j[kInfo[m].name] = Sum(static_cast<Metric>(m));
  nlohmann::json bounds = nlohmann::json::array(), counts = nlohmann::json::array();
  for (int b = 0; b < kLatencyBuckets; ++b) {
    if (b < kLatencyBuckets - 1) bounds.push_back(kLatencyBoundsUs[b]);
    counts.push_back(SumLatency(b));
  }
  j["TargetResponseTime"] = {{"bucket_bounds_us", bounds},
                             {"bucket_counts", counts},
                             {"sum_us", Sum(kResponseTimeSumUs)},
                             {"count", Sum(kResponseTimeCount)}};
  return j;
}

void MetricSet::AppendPrometheus(const std::string& labels, std::string* out) const {
  for (int m = 0; m < kResponseTimeSumUs; ++m) {
    *out += "stratus_lb_";
    *out += kInfo[m].prom;
    *out += "{" + labels + "} " + std::to_string(Sum(static_cast<Metric>(m))) + "\n";
  }
  int64_t cumulative = 0;
  for (int b = 0; b < kLatencyBuckets; ++b) {
    cumulative += SumLatency(b);
    std::string le = b < kLatencyBuckets - 1 ? std::to_string(static_cast<double>(kLatencyBoundsUs[b]) / 1e6) : "+Inf";
    *out += "stratus_lb_target_response_time_seconds_bucket{" + labels + (labels.empty() ? "" : ",") + "le=\"" + le +
            "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += "stratus_lb_target_response_time_seconds_sum{" + labels + "} " +
          std::to_string(static_cast<double>(Sum(kResponseTimeSumUs)) / 1e6) + "\n";
  *out += "stratus_lb_target_response_time_seconds_count{" + labels + "} " +
          std::to_string(Sum(kResponseTimeCount)) + "\n";
}

}  // namespace stratus::lb
