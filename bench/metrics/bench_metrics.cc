// bench_metrics: PutMetricData ingest rate and GetMetricStatistics latency of the metric store.
// Prints one JSON object. Usage: bench_metrics [--series N] [--dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/files.h"
#include "metrics/metric_store.h"

using namespace stratus;
using Clock = std::chrono::steady_clock;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MetricIdentity Cpu(int i) {
  return MetricIdentity{"AWS/EC2", "CPUUtilization", {{"InstanceId", "i-" + std::to_string(100000 + i)}}, "Percent"};
}

// Ingests `seconds` of 1 s data for `series` series in requests of 1000 datums; returns points/s
// spent inside PutMetricData (building the requests is the client's cost and is not timed).
double Ingest(MetricStore* store, int series, int seconds, int64_t start_ms) {
  std::vector<MetricDatum> batch;
  uint64_t points = 0;
  double busy = 0;
  auto put = [&] {
    points += batch.size();
    auto t0 = Clock::now();
    if (!store->PutMetricData(std::move(batch)).ok()) std::abort();
    busy += std::chrono::duration<double>(Clock::now() - t0).count();
    batch.clear();
  };
  for (int s = 0; s < series; ++s) {
    MetricIdentity id = Cpu(s);
    for (int t = 0; t < seconds; ++t) {
      MetricDatum d;
      d.metric = id;
      d.timestamp_ms = start_ms + t * 1000LL;
      d.value = 20.0 + (t * 7919 + s) % 600 / 10.0;
      batch.push_back(std::move(d));
      if (batch.size() == 1000) put();
    }
  }
  if (!batch.empty()) put();
  return static_cast<double>(points) / busy;
}

struct Latency {
  double p50_us, p99_us;
  size_t datapoints;
};

Latency QueryLatency(MetricStore* store, int64_t start_ms, int64_t end_ms, int64_t period,
                     std::vector<std::string> stats) {
  StatisticsQuery q;
  MetricIdentity id = Cpu(0);
  q.namespace_ = id.namespace_;
  q.name = id.name;
  q.dimensions = id.dimensions;
  q.start_ms = start_ms;
  q.end_ms = end_ms;
  q.period_s = period;
  q.statistics = std::move(stats);
  std::vector<double> us;
  size_t n = 0;
  for (int i = 0; i < 200; ++i) {
    auto t0 = Clock::now();
    auto r = store->GetMetricStatistics(q);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::abort();
    }
    n = r->size();
  }
  std::sort(us.begin(), us.end());
  return Latency{us[us.size() / 2], us[us.size() * 99 / 100], n};
}

}  // namespace

int main(int argc, char** argv) {
  int series = 1000;
  std::string dir = "/tmp/ststore-bench-metrics";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--series")) series = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  const int kSeconds = 3600;
  int64_t now = NowMs() / 60000 * 60000;
  int64_t start = now - kSeconds * 1000LL;

  MetricStoreOptions mem;
  mem.max_datapoints = 100000;
  auto memory_store = OpenMetricStore(mem);
  if (!memory_store.ok()) return 1;
  double mem_rate = Ingest(memory_store->get(), series, kSeconds, start);

  (void)RemoveAll(dir);
  MetricStoreOptions disk = mem;
  disk.dir = dir;
  auto disk_store = OpenMetricStore(disk);
  if (!disk_store.ok()) {
    std::fprintf(stderr, "%s\n", disk_store.status().ToString().c_str());
    return 1;
  }
  double disk_rate = Ingest(disk_store->get(), series, kSeconds, start);
  auto f0 = Clock::now();
  if (!(*disk_store)->Flush().ok()) return 1;
  double flush_ms = std::chrono::duration<double, std::milli>(Clock::now() - f0).count();

  MetricStore* s = memory_store->get();
  Latency p60 = QueryLatency(s, start, now, 60, {"Average", "Maximum", "SampleCount"});
  Latency p60pct = QueryLatency(s, start, now, 60, {"Average", "p99"});
  Latency p1 = QueryLatency(s, start, now, 1, {"Average", "Maximum"});
  Latency whole = QueryLatency(s, start, now, 3600, {"Average", "p50", "p99"});
  std::printf(
      "{\"bench\":\"metrics\",\"series\":%d,\"points\":%lld,"
      "\"put_metric_data_points_per_s\":{\"memory\":%.0f,\"persistent\":%.0f},\"flush_ms\":%.1f,"
      "\"query_1h_of_1s_data_us\":{"
      "\"period60_avg_max_count\":{\"p50\":%.1f,\"p99\":%.1f,\"datapoints\":%zu},"
      "\"period60_avg_p99\":{\"p50\":%.1f,\"p99\":%.1f,\"datapoints\":%zu},"
      "\"period1_avg_max\":{\"p50\":%.1f,\"p99\":%.1f,\"datapoints\":%zu},"
      "\"period3600_avg_p50_p99\":{\"p50\":%.1f,\"p99\":%.1f,\"datapoints\":%zu}}}\n",
      series, static_cast<long long>(series) * kSeconds, mem_rate, disk_rate, flush_ms, p60.p50_us, p60.p99_us,
      p60.datapoints, p60pct.p50_us, p60pct.p99_us, p60pct.datapoints, p1.p50_us, p1.p99_us, p1.datapoints,
      whole.p50_us, whole.p99_us, whole.datapoints);
  disk_store->reset();
  (void)RemoveAll(dir);
  return 0;
}
