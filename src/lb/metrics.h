// Load balancer metrics: per-worker shards written without locks or atomic read-modify-writes by their one worker,
// summed when read (status request, Prometheus scrape).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace stratus::lb {

// A counter written by exactly one thread: plain load + store, readable from any thread.
class Counter {
 public:
  void Add(int64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  int64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// TargetResponseTime buckets' upper bounds in microseconds (Prometheus-style, +Inf last).
constexpr int kLatencyBuckets = 15;
extern const int64_t kLatencyBoundsUs[kLatencyBuckets - 1];

enum Metric : int {
  kRequestCount,
  kActiveConnectionCount,  // gauge: +1 on open, -1 on close
  kNewConnectionCount,
  kTarget2xx,
  kTarget3xx,
  kTarget4xx,
  kTarget5xx,
  kElb4xx,
  kElb5xx,
  kElb502,
  kElb503,
  kElb504,
  kProcessedBytes,
  kRetries,
  kTargetConnectionErrors,
  kClientTlsNegotiationErrors,  // handshakes that failed (bad hello, no shared cipher, timeout)
  kNewTlsHandshakes,            // completed handshakes, full or resumed
  kResumedTlsHandshakes,        // of which resumed (session ticket)
  kWebSocketUpgrades,           // requests upgraded to WebSocket (101 from the target)
  kRedirects,                   // redirect actions answered
  kFixedResponses,              // fixed-response actions answered
  kResponseTimeSumUs,
  kResponseTimeCount,
  kNumMetrics
};

struct alignas(64) MetricShard {
  Counter c[kNumMetrics];
  Counter latency[kLatencyBuckets];
};

// One set of metrics (a listener, a target group or a target), sharded per worker.
class MetricSet {
 public:
  explicit MetricSet(int workers) : n_(workers), shards_(new MetricShard[static_cast<size_t>(workers)]) {}

  // The shard of worker `w`; only that worker writes it.
  MetricShard& shard(int w) { return shards_[w]; }

  // Records a target response time (request sent to response head received).
  void RecordLatency(int w, int64_t us) {
    MetricShard& s = shards_[w];
    int b = 0;
    while (b < kLatencyBuckets - 1 && us > kLatencyBoundsUs[b]) ++b;
    s.latency[b].Add(1);
    s.c[kResponseTimeSumUs].Add(us);
    s.c[kResponseTimeCount].Add(1);
  }

  // Sum over workers.
  int64_t Sum(Metric m) const;
  int64_t SumLatency(int bucket) const;

  // {"RequestCount": n, ..., "TargetResponseTime": {"buckets_us": [...], "counts": [...], "sum_us", "count"}}
  nlohmann::json ToJson() const;

  // Prometheus text lines for every metric, named stratus_lb_<snake_name>{<labels>}.
  void AppendPrometheus(const std::string& labels, std::string* out) const;

 private:
  int n_;
  std::unique_ptr<MetricShard[]> shards_;
};

// CloudWatch-style name of a metric ("RequestCount").
const char* MetricName(Metric m);

}  // namespace stratus::lb
