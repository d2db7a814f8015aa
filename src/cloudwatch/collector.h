// Collector: stratusd's built-in metrics, written into the metric store every second.
//
//  - AWS/EC2, per running instance (dimension InstanceId) and again per Auto Scaling group
//    (dimension AutoScalingGroupName, one datum per member, so a period's Average is the group's
//    average): CPUUtilization (percent of the instance type's vCPUs, from the cgroup's CPU time),
//    MemoryUtilization (percent of the type's memory), MemoryUsedBytes, NetworkIn/NetworkOut
//    (bytes in the second), NetworkPacketsIn/NetworkPacketsOut.
//  - AWS/ApplicationELB, from stratus-lb's counters: RequestCount per LoadBalancer ("app/<name>/<id>")
//    and per TargetGroup ("targetgroup/<name>/<id>"), RequestCountPerTarget, HTTPCode_Target_2XX..5XX_Count,
//    HTTPCode_ELB_4XX/5XX_Count, TargetResponseTime, HealthyHostCount, UnHealthyHostCount,
//    ActiveConnectionCount, NewConnectionCount, ProcessedBytes.
//
// Counters become per-second deltas: the first tick after start (or after a series appears) only
// records the baseline. The sources are functions so tests can feed fakes. See docs/cloudwatch.md.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "metrics/metric_store.h"

namespace stratus::cloudwatch {

// What the collector needs to know about one running instance.
struct CollectedInstance {
  std::string instance_id;
  std::string auto_scaling_group;  // the aws:autoscaling:groupName tag; empty when none
  double vcpus = 1;                // of its instance type
  int64_t memory_bytes = 0;        // of its instance type; 0: unknown
};

struct InstanceSample {
  uint64_t cpu_usage_ns = 0;
  uint64_t memory_bytes = 0;  // working set
};

struct NetworkSample {
  uint64_t in_bytes = 0, out_bytes = 0, in_packets = 0, out_packets = 0;
};

// An ELBv2 object the data plane's metrics are keyed by: stratus-lb names load balancer listeners
// "<lb name>:<port>" and target groups by their name.
struct ElbName {
  std::string name;        // "web"
  std::string dimension;   // "app/web/0123abcd" or "targetgroup/web-tg/4567ef01" (the ARN suffix)
};

struct CollectorSources {
  std::function<std::vector<CollectedInstance>()> running_instances;
  std::function<Result<InstanceSample>(const std::string& instance_id)> instance_sample;
  std::function<Result<NetworkSample>(const std::string& instance_id)> network_sample;  // may be empty
  // All instances' network counters in one read (ids absent from the result have none); when set,
  // used instead of network_sample. May be empty.
  std::function<std::map<std::string, NetworkSample>(const std::vector<std::string>& instance_ids)> network_samples;
  std::function<nlohmann::json()> lb_metrics;                                          // may be empty
  std::function<std::vector<ElbName>()> load_balancers;                                // may be empty
  std::function<std::vector<ElbName>()> target_groups;                                 // may be empty
};

struct CollectorOptions {
  int interval_ms = 1000;
  bool background = true;          // collect on a thread; tests call CollectOnceForTest() instead
  std::function<int64_t()> clock;  // ms since the epoch; default: the system clock
};

class Collector {
 public:
  // `store` must outlive the collector.
  Collector(MetricStore* store, CollectorSources sources, CollectorOptions options);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Starts the collection thread (when options.background).
  void Start();

  // Calls `listener` after every background pass, once its datapoints are stored (stratusd: the
  // auto scaling loop's Wake, so target tracking reads each sample as soon as it exists). May be set
  // at any time; it runs on the collection thread under the collector's lock: it must be quick and
  // must not call the collector.
  void SetPassListener(std::function<void()> listener);

  // One collection pass now; returns what PutMetricData said.
  Status CollectOnceForTest() { return CollectOnce(); }

  // Duration of the last pass in microseconds (for docs/cloudwatch.md figures and the log).
  int64_t last_pass_us() const { return last_pass_us_.load(); }

 private:
  struct CpuBaseline {
    uint64_t cpu_usage_ns;
    int64_t at_ms;
  };

  Status CollectOnce();
  void CollectInstances(int64_t now_ms, std::vector<MetricDatum>& out);
  void CollectInstance(const CollectedInstance& i, int64_t now_ms, const Result<NetworkSample>& net,
                       std::vector<MetricDatum>& out);
  void CollectLoadBalancers(int64_t now_ms, std::vector<MetricDatum>& out);
  void CollectTargetGroups(const nlohmann::json& groups, int64_t now_ms, std::vector<MetricDatum>& out);
  // The increase of counter `key` since the last call (nullopt on the first call or a reset).
  std::optional<double> Delta(const std::string& key, double value);
  int64_t Now() const;
  void Loop();

  MetricStore* store_;
  CollectorSources sources_;
  CollectorOptions options_;

  // Only the collection thread (or the test) touches these.
  std::map<std::string, CpuBaseline> cpu_;
  std::map<std::string, double> counters_;
  std::map<std::string, int64_t> seen_;  // counter key -> pass number it was last updated in
  int64_t pass_ = 0;

  std::atomic<int64_t> last_pass_us_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::function<void()> pass_listener_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace stratus::cloudwatch
