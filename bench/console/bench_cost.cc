// The cost meter's overhead next to its peer, the metric collector, both over 1,000 running
// instances: one collector pass (fake cgroup and network samples into a memory-only metric store)
// against one cost meter pass (inventory of 1,000 instances in ~20 groups, recorded into the meter).
// Prints microseconds per pass and the ratio, and the meter's pass with its journal on disk (as
// stratusd runs it: one appended record and an fdatasync per pass).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cloudwatch/collector.h"
#include "common/ids.h"
#include "cost/cost_meter.h"
#include "cost/cost_service.h"
#include "metrics/metric_store.h"

using namespace stratus;
using Clock = std::chrono::steady_clock;

constexpr int kInstances = 1000;
constexpr int kPasses = 60;

int main() {
  int64_t now = 1'800'000'000'000;
  MetricStoreOptions mo;
  mo.background = false;
  mo.clock = [&] { return now; };
  auto store = OpenMetricStore(mo);
  if (!store.ok()) {
    fprintf(stderr, "metric store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  cloudwatch::CollectorSources src;
  uint64_t tick = 0;
  src.running_instances = [] {
    std::vector<cloudwatch::CollectedInstance> out;
    for (int i = 0; i < kInstances; ++i) out.push_back({"i-" + std::to_string(i), "g" + std::to_string(i % 20), 2, 1 << 30});
    return out;
  };
  src.instance_sample = [&](const std::string&) -> Result<cloudwatch::InstanceSample> {
    return cloudwatch::InstanceSample{tick * 10'000'000, 100 << 20};
  };
  src.network_sample = [&](const std::string&) -> Result<cloudwatch::NetworkSample> {
    return cloudwatch::NetworkSample{tick * 1000, tick * 1000, tick, tick};
  };
  cloudwatch::CollectorOptions co;
  co.background = false;
  co.clock = [&] { return now; };
  cloudwatch::Collector collector(store->get(), src, co);

  cost::CostMeter meter(cost::PriceList::AwsDefaults());
  auto inventory = [] {
    cost::Inventory inv;
    for (int i = 0; i < kInstances; ++i) {
      std::string g = "g" + std::to_string(i % 20);
      inv.instances.push_back({"i-" + std::to_string(i), "t3.micro", "running", g,
                               {{"aws:autoscaling:groupName", g}, {"team", "t" + std::to_string(i % 5)}}});
    }
    return inv;
  };

  double collector_us = 0, meter_us = 0;
  for (int p = 0; p < kPasses; ++p) {
    now += 1000;
    ++tick;
    auto t0 = Clock::now();
    (void)collector.CollectOnceForTest();
    auto t1 = Clock::now();
    meter.Record(inventory(), now);
    auto t2 = Clock::now();
    if (p >= 2) {  // the first passes only set baselines
      collector_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
      meter_us += std::chrono::duration<double, std::micro>(t2 - t1).count();
    }
  }
  int n = kPasses - 2;

  // The same passes through a CostService journaling into a temporary directory.
  std::string dir = (std::filesystem::temp_directory_path() / ("bench-cost-" + RandomHex(8))).string();
  double journaled_us = 0;
  {
    int64_t t = now;
    cost::CostServiceOptions so;
    so.clock = [&] { return t; };
    cost::CostService service(cost::PriceList::AwsDefaults(), inventory, so);
    if (Status st = service.Load(dir); !st.ok()) {
      fprintf(stderr, "cost journal: %s\n", st.ToString().c_str());
      return 1;
    }
    for (int p = 0; p < kPasses; ++p) {
      t += 1000;
      auto t0 = Clock::now();
      service.RecordNow();
      if (p >= 2) journaled_us += std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    }
  }
  std::filesystem::remove_all(dir);

  cost::CostQuery by_team;
  by_team.by = "tag:team";
  auto report = meter.Report(by_team, now);
  printf("{\"instances\": %d, \"collector_pass_us\": %.0f, \"cost_meter_pass_us\": %.0f, \"meter_over_collector\": %.3f, "
         "\"cost_meter_journaled_pass_us\": %.0f, \"journaled_over_collector\": %.3f, \"meter_total_usd\": %.6f}\n",
         kInstances, collector_us / n, meter_us / n, meter_us / collector_us, journaled_us / n, journaled_us / collector_us,
         report.ok() ? report->total : -1.0);
  return 0;
}
