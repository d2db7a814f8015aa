// Collector over fake sources and a memory-only MetricStore on a fake clock.
#include "cloudwatch/collector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace stratus::cloudwatch {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1795755600000;  // 2026-11-27T05:00:00Z

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MetricStoreOptions o;
    o.background = false;
    o.clock = [this] { return now_; };
    store_ = std::move(OpenMetricStore(o)).value();
    CollectorSources s;
    s.running_instances = [this] { return instances_; };
    s.instance_sample = [this](const std::string& id) -> Result<InstanceSample> {
      auto it = cpu_.find(id);
      if (it == cpu_.end()) return NotFound("no cgroup");
      return InstanceSample{it->second, 64ull << 20};
    };
    s.network_sample = [this](const std::string&) -> Result<NetworkSample> { return net_; };
    s.lb_metrics = [this] { return lb_; };
    s.load_balancers = [] { return std::vector<ElbName>{{"web", "app/web/0123456789abcdef"}}; };
    s.target_groups = [] { return std::vector<ElbName>{{"web-tg", "targetgroup/web-tg/fedcba9876543210"}}; };
    CollectorOptions co;
    co.background = false;
    co.clock = [this] { return now_; };
    collector_ = std::make_unique<Collector>(store_.get(), s, co);
  }
  // The one value stored for the metric in second `s`.
  std::optional<double> At(const std::string& ns, const std::string& name, std::vector<Dimension> dims, int s,
                           const std::string& stat = "Average") {
    StatisticsQuery q{ns, name, std::move(dims), std::nullopt, kT0 + s * 1000, kT0 + (s + 1) * 1000, 1, {stat}};
    auto r = store_->GetMetricStatistics(q);
    if (!r.ok() || r->empty()) return std::nullopt;
    return r->at(0).values.at(stat);
  }
  void Tick(int s) {
    now_ = kT0 + s * 1000;
    ASSERT_TRUE(collector_->CollectOnceForTest().ok());
  }

  int64_t now_ = kT0;
  MetricStorePtr store_;
  std::unique_ptr<Collector> collector_;
  std::vector<CollectedInstance> instances_;
  std::map<std::string, uint64_t> cpu_;
  NetworkSample net_;
  json lb_ = json::object();
};

TEST_F(CollectorTest, CpuIsAPercentOfTheTypesVcpusPerInstanceAndPerGroup) {
  instances_ = {{"i-a", "web", 2, 512ll << 20}, {"i-b", "web", 1, 512ll << 20}, {"i-c", "", 1, 0}};
  cpu_ = {{"i-a", 0}, {"i-b", 0}, {"i-c", 0}};
  Tick(0);  // baseline only
  EXPECT_FALSE(At("AWS/EC2", "CPUUtilization", {{"InstanceId", "i-a"}}, 0).has_value());
  cpu_ = {{"i-a", 1'000'000'000}, {"i-b", 250'000'000}, {"i-c", 2'000'000'000}};
  Tick(1);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "CPUUtilization", {{"InstanceId", "i-a"}}, 1), 50);  // 1 s of 2 vCPUs
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "CPUUtilization", {{"InstanceId", "i-b"}}, 1), 25);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "CPUUtilization", {{"InstanceId", "i-c"}}, 1), 100);  // capped
  // The group's Average is the mean of its members.
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "CPUUtilization", {{"AutoScalingGroupName", "web"}}, 1), 37.5);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "CPUUtilization", {{"AutoScalingGroupName", "web"}}, 1, "SampleCount"), 2);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "MemoryUtilization", {{"InstanceId", "i-a"}}, 1), 12.5);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "MemoryUsedBytes", {{"InstanceId", "i-c"}}, 1), 64 << 20);
  EXPECT_FALSE(At("AWS/EC2", "MemoryUtilization", {{"InstanceId", "i-c"}}, 1).has_value());
}

TEST_F(CollectorTest, NetworkCountersBecomePerSecondDeltas) {
  instances_ = {{"i-a", "", 1, 0}};
  cpu_ = {{"i-a", 0}};
  net_ = {1000, 500, 10, 5};
  Tick(0);
  net_ = {4000, 700, 13, 7};
  Tick(1);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "NetworkIn", {{"InstanceId", "i-a"}}, 1), 3000);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "NetworkOut", {{"InstanceId", "i-a"}}, 1), 200);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "NetworkPacketsIn", {{"InstanceId", "i-a"}}, 1), 3);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "NetworkPacketsOut", {{"InstanceId", "i-a"}}, 1), 2);
  // The instance goes away and comes back (a new baseline, no negative delta).
  instances_.clear();
  Tick(2);
  instances_ = {{"i-a", "", 1, 0}};
  net_ = {10, 10, 1, 1};
  Tick(3);
  EXPECT_FALSE(At("AWS/EC2", "NetworkIn", {{"InstanceId", "i-a"}}, 3).has_value());
}

// With a source of all instances' counters, a pass reads them once (not per instance); an instance
// absent from its answer gets no network metrics.
TEST_F(CollectorTest, NetworkCountersOfAllInstancesInOneRead) {
  CollectorSources s;
  s.running_instances = [this] { return instances_; };
  s.instance_sample = [](const std::string&) -> Result<InstanceSample> { return InstanceSample{0, 1}; };
  s.network_sample = [](const std::string& id) -> Result<NetworkSample> {
    ADD_FAILURE() << "read per instance: " << id;
    return NotFound(id);
  };
  int reads = 0;
  std::map<std::string, NetworkSample> nets;
  s.network_samples = [&](const std::vector<std::string>& ids) {
    ++reads;
    EXPECT_EQ(ids, (std::vector<std::string>{"i-a", "i-b"}));
    return nets;
  };
  CollectorOptions co;
  co.background = false;
  co.clock = [this] { return now_; };
  collector_ = std::make_unique<Collector>(store_.get(), s, co);
  instances_ = {{"i-a", "", 1, 0}, {"i-b", "", 1, 0}};
  nets = {{"i-a", {1000, 500, 10, 5}}};
  Tick(0);
  nets = {{"i-a", {4000, 700, 13, 7}}};
  Tick(1);
  EXPECT_EQ(reads, 2);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "NetworkIn", {{"InstanceId", "i-a"}}, 1), 3000);
  EXPECT_DOUBLE_EQ(*At("AWS/EC2", "NetworkPacketsOut", {{"InstanceId", "i-a"}}, 1), 2);
  EXPECT_FALSE(At("AWS/EC2", "NetworkIn", {{"InstanceId", "i-b"}}, 1).has_value());
  EXPECT_TRUE(At("AWS/EC2", "MemoryUsedBytes", {{"InstanceId", "i-b"}}, 1).has_value());
}

json Counters(double requests, double healthy, double rt_count, double rt_sum_us) {
  return {{"RequestCount", requests},
          {"HTTPCode_Target_2XX_Count", requests},
          {"ProcessedBytes", requests * 100},
          {"ActiveConnectionCount", 3},
          {"NewConnectionCount", requests / 10},
          {"HealthyHostCount", healthy},
          {"UnHealthyHostCount", 1},
          {"TargetResponseTime", {{"count", rt_count}, {"sum_us", rt_sum_us}}}};
}

TEST_F(CollectorTest, LoadBalancerMetrics) {
  lb_ = {{"listeners", {{"web:80", Counters(100, 0, 0, 0)}, {"web:8080", Counters(10, 0, 0, 0)},
                        {"other:80", Counters(1000, 0, 0, 0)}}},
         {"target_groups", {{"web-tg", Counters(100, 2, 100, 1e6)}}}};
  Tick(0);
  lb_ = {{"listeners", {{"web:80", Counters(150, 0, 0, 0)}, {"web:8080", Counters(20, 0, 0, 0)},
                        {"other:80", Counters(1000, 0, 0, 0)}}},
         {"target_groups", {{"web-tg", Counters(160, 2, 160, 1e6 + 60 * 20000)}}}};
  Tick(1);
  std::vector<Dimension> lb = {{"LoadBalancer", "app/web/0123456789abcdef"}};
  std::vector<Dimension> tg = {{"TargetGroup", "targetgroup/web-tg/fedcba9876543210"}};
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "RequestCount", lb, 1), 60);  // both listeners
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "ActiveConnectionCount", lb, 1), 6);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "ProcessedBytes", lb, 1), 6000);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "RequestCount", tg, 1), 60);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "RequestCountPerTarget", tg, 1), 30);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "HTTPCode_Target_2XX_Count", tg, 1), 60);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "HealthyHostCount", tg, 1), 2);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "UnHealthyHostCount", tg, 1), 1);
  // 60 responses of 20 ms each: Average 0.02 s, SampleCount 60.
  EXPECT_NEAR(*At("AWS/ApplicationELB", "TargetResponseTime", tg, 1), 0.02, 1e-9);
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "TargetResponseTime", tg, 1, "SampleCount"), 60);
  // A counter that went backwards (stratus-lb restarted) gives no datum, then deltas again.
  lb_["listeners"]["web:80"] = Counters(5, 0, 0, 0);
  Tick(2);
  EXPECT_FALSE(At("AWS/ApplicationELB", "RequestCount", lb, 2).has_value());
  Tick(3);
  ASSERT_TRUE(At("AWS/ApplicationELB", "RequestCount", lb, 3).has_value());
  EXPECT_DOUBLE_EQ(*At("AWS/ApplicationELB", "RequestCount", lb, 3), 0);
}

TEST_F(CollectorTest, GarbageFromTheDataPlaneIsIgnored) {
  lb_ = {{"listeners", {{"web:80", {{"RequestCount", "many"}}}}}, {"target_groups", json::array()}};
  Tick(0);
  Tick(1);
  lb_ = json::array();
  Tick(2);
  EXPECT_TRUE(store_->ListMetrics({std::string("AWS/ApplicationELB"), std::string("HealthyHostCount"), {}}).empty());
}

// The background loop calls the pass listener after each pass, with that pass's data already stored
// (stratusd wakes the auto scaling loop with it). Bounded wait, no timing assertion.
TEST(CollectorLoopTest, PassListenerRunsAfterEachStoredPass) {
  MetricStoreOptions o;
  o.background = false;
  MetricStorePtr store = std::move(OpenMetricStore(o)).value();
  CollectorSources s;
  s.running_instances = [] { return std::vector<CollectedInstance>{{"i-a", "", 1, 0}}; };
  s.instance_sample = [](const std::string&) -> Result<InstanceSample> { return InstanceSample{0, 1 << 20}; };
  CollectorOptions co;
  co.interval_ms = 20;
  Collector collector(store.get(), s, co);
  std::mutex mu;
  std::condition_variable cv;
  int passes = 0;
  bool stored = true;
  collector.SetPassListener([&] {
    bool has = !store->ListMetrics({std::string("AWS/EC2"), std::string("MemoryUsedBytes"), {}}).empty();
    std::lock_guard lock(mu);
    stored = stored && has;
    ++passes;
    cv.notify_all();
  });
  collector.Start();
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(10), [&] { return passes >= 2; });
  EXPECT_GE(passes, 2);
  EXPECT_TRUE(stored);
  lock.unlock();
  collector.SetPassListener(nullptr);  // the collector then stops with no listener to call
}

}  // namespace
}  // namespace stratus::cloudwatch
