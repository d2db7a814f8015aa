#include "metrics/metric_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <algorithm>

#include "common/fd.h"
#include "common/files.h"
#include "metrics/sketch.h"

namespace stratus {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// A minute-aligned "now" so tests can reason about periods: 2026-11-27T05:00:00Z.
constexpr int64_t kT0 = 1795755600000;

class MetricStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ststore-metrics-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    now_ = kT0;
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  MetricStoreOptions Options(bool persistent = true) {
    MetricStoreOptions o;
    o.dir = persistent ? dir_ + "/metrics" : "";
    o.background = false;
    o.clock = [this] { return now_.load(); };
    return o;
  }
  MetricStorePtr Open(MetricStoreOptions o) {
    auto s = OpenMetricStore(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  static MetricDatum Datum(double v, int64_t ts, std::string name = "CPUUtilization") {
    MetricDatum d;
    d.metric.namespace_ = "AWS/EC2";
    d.metric.name = std::move(name);
    d.metric.dimensions = {{"InstanceId", "i-0123456789abcdef0"}};
    d.metric.unit = "Percent";
    d.timestamp_ms = ts;
    d.value = v;
    return d;
  }
  static StatisticsQuery Query(int64_t start, int64_t end, int64_t period, std::vector<std::string> stats) {
    StatisticsQuery q;
    q.namespace_ = "AWS/EC2";
    q.name = "CPUUtilization";
    q.dimensions = {{"InstanceId", "i-0123456789abcdef0"}};
    q.start_ms = start;
    q.end_ms = end;
    q.period_s = period;
    q.statistics = std::move(stats);
    return q;
  }

  std::string dir_;
  std::atomic<int64_t> now_;
};

const std::vector<std::string> kAll = {"SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "p90", "p100"};

TEST_F(MetricStoreTest, StatisticsOverOneMinute) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  int64_t base = kT0 - 10 * kMinute;
  std::vector<MetricDatum> data;
  for (int i = 0; i < 60; ++i) data.push_back(Datum(60 - i, base + i * 1000 + 250));  // 60, 59, ..., 1
  ASSERT_TRUE(s->PutMetricData(data).ok());
  auto r = s->GetMetricStatistics(Query(base, base + kMinute, 60, kAll));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const Datapoint& dp = (*r)[0];
  EXPECT_EQ(dp.timestamp_ms, base);
  EXPECT_EQ(dp.unit, "Percent");
  EXPECT_EQ(dp.values.at("SampleCount"), 60);
  EXPECT_EQ(dp.values.at("Sum"), 1830);
  EXPECT_DOUBLE_EQ(dp.values.at("Average"), 30.5);
  EXPECT_EQ(dp.values.at("Minimum"), 1);
  EXPECT_EQ(dp.values.at("Maximum"), 60);
  EXPECT_EQ(dp.values.at("p50"), 30);  // nearest rank: ceil(0.5 * 60) = 30th value
  EXPECT_EQ(dp.values.at("p90"), 54);
  EXPECT_EQ(dp.values.at("p100"), 60);

  auto tens = s->GetMetricStatistics(Query(base, base + kMinute, 10, {"Sum", "SampleCount"}));
  ASSERT_TRUE(tens.ok());
  ASSERT_EQ(tens->size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ((*tens)[i].timestamp_ms, base + static_cast<int64_t>(i) * 10000);
    EXPECT_EQ((*tens)[i].values.at("SampleCount"), 10);
    double first = 60 - 10.0 * static_cast<double>(i);  // values first..first-9
    EXPECT_EQ((*tens)[i].values.at("Sum"), 10 * first - 45);
  }
}

TEST_F(MetricStoreTest, SeveralSamplesPerSecondAndEmptyPeriodsOmitted) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  int64_t base = kT0 - kMinute;
  ASSERT_TRUE(s->PutMetricData({Datum(1, base), Datum(2, base + 100), Datum(6, base + 900), Datum(9, base + 5000)}).ok());
  auto r = s->GetMetricStatistics(Query(base, base + 10000, 1, {"SampleCount", "Average", "Maximum", "p50"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].values.at("SampleCount"), 3);
  EXPECT_EQ((*r)[0].values.at("Average"), 3);
  EXPECT_EQ((*r)[0].values.at("Maximum"), 6);
  EXPECT_EQ((*r)[0].values.at("p50"), 2);
  EXPECT_EQ((*r)[1].timestamp_ms, base + 5000);
  EXPECT_EQ((*r)[1].values.at("SampleCount"), 1);
}

TEST_F(MetricStoreTest, StatisticSetsHaveNoPercentilesUnlessSingleValued) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  int64_t base = kT0 - kMinute;
  MetricDatum set = Datum(0, base);
  set.value.reset();
  set.statistics = StatisticSet{10, 100, 5, 15};
  MetricDatum flat = Datum(0, base + 30000);
  flat.value.reset();
  flat.statistics = StatisticSet{4, 28, 7, 7};
  ASSERT_TRUE(s->PutMetricData({set, flat}).ok());
  auto r = s->GetMetricStatistics(Query(base, base + kMinute, 30, {"SampleCount", "Sum", "Minimum", "p50"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].values.at("SampleCount"), 10);
  EXPECT_EQ((*r)[0].values.at("Sum"), 100);
  EXPECT_EQ((*r)[0].values.count("p50"), 0u);
  EXPECT_EQ((*r)[1].values.at("p50"), 7);
  EXPECT_EQ((*r)[1].values.at("Minimum"), 7);
}

TEST_F(MetricStoreTest, ValuesAndCounts) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  MetricDatum d = Datum(0, kT0 - 5000);
  d.value.reset();
  d.values = {1, 5, 9};
  d.counts = {1, 3, 1};
  ASSERT_TRUE(s->PutMetricData({d}).ok());
  auto r = s->GetMetricStatistics(Query(kT0 - 5000, kT0, 1, {"SampleCount", "Sum", "p50", "Maximum"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].values.at("SampleCount"), 5);
  EXPECT_EQ((*r)[0].values.at("Sum"), 25);
  EXPECT_EQ((*r)[0].values.at("p50"), 5);
  EXPECT_EQ((*r)[0].values.at("Maximum"), 9);
}

TEST_F(MetricStoreTest, ManySamplesInOneSecondUseTheSketch) {
  MetricStoreOptions o = Options(false);
  o.max_raw_per_second = 100;
  MetricStorePtr s = Open(o);
  ASSERT_TRUE(s);
  std::vector<MetricDatum> data;
  for (int i = 1; i <= 1000; ++i) data.push_back(Datum(i, kT0 - 5000));
  ASSERT_TRUE(s->PutMetricData(data).ok());
  auto r = s->GetMetricStatistics(Query(kT0 - 5000, kT0, 1, {"p50", "p99", "Sum"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].values.at("Sum"), 500500);
  EXPECT_NEAR((*r)[0].values.at("p50"), 500, 500 * 0.0101);
  EXPECT_NEAR((*r)[0].values.at("p99"), 990, 990 * 0.0101);
}

TEST_F(MetricStoreTest, RollupsKeepStatisticsAfterTheRawWindow) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  int64_t base = kT0 - 30 * kMinute;
  std::vector<MetricDatum> data;
  for (int i = 0; i < 600; ++i) data.push_back(Datum(1 + (i % 100), base + i * 1000));
  ASSERT_TRUE(s->PutMetricData(data).ok());
  auto before = s->GetMetricStatistics(Query(base, base + 10 * kMinute, 300, kAll));
  ASSERT_TRUE(before.ok());
  now_ += 4 * kHour;  // the data is now older than 3 h
  ASSERT_TRUE(s->Maintain().ok());
  EXPECT_EQ(s->GetMetricStatistics(Query(base, base + 10 * kMinute, 1, {"Sum"})).status().code(),
            Code::kInvalidArgument);  // period must be a multiple of 60 now
  auto after = s->GetMetricStatistics(Query(base, base + 10 * kMinute, 300, kAll));
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  ASSERT_EQ(before->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    for (const char* exact : {"SampleCount", "Sum", "Average", "Minimum", "Maximum"}) {
      EXPECT_EQ((*after)[i].values.at(exact), (*before)[i].values.at(exact)) << exact;
    }
    for (const char* pct : {"p50", "p90", "p100"}) {
      double want = (*before)[i].values.at(pct);
      EXPECT_NEAR((*after)[i].values.at(pct), want, want * 0.0101) << pct;
    }
  }
}

TEST_F(MetricStoreTest, LateDataGoesStraightToRollups) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  int64_t old = kT0 - 5 * kHour;
  ASSERT_TRUE(s->PutMetricData({Datum(10, old), Datum(30, old + 20000)}).ok());
  auto r = s->GetMetricStatistics(Query(old, old + kMinute, 60, {"Average", "SampleCount"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].values.at("Average"), 20);
}

TEST_F(MetricStoreTest, RetentionDropsOldDataAndSeries) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->PutMetricData({Datum(1, kT0 - 13 * kDay), Datum(2, kT0 - kMinute)}).ok());
  EXPECT_EQ(s->ListMetrics({}).size(), 1u);
  auto q = Query(kT0 - 13 * kDay - kHour, kT0 - 13 * kDay + kHour, 3600, {"SampleCount"});
  EXPECT_EQ(s->GetMetricStatistics(q)->size(), 1u);
  now_ += 3 * kDay;  // the first point is now 16 days old
  ASSERT_TRUE(s->Maintain().ok());
  auto r = s->GetMetricStatistics(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(s->ListMetrics({}).size(), 1u);
  now_ += 13 * kDay;
  ASSERT_TRUE(s->Maintain().ok());
  EXPECT_TRUE(s->ListMetrics({}).empty());
}

TEST_F(MetricStoreTest, BadInputIsRejectedAndChangesNothing) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  auto expect_bad = [&](MetricDatum bad, const std::string& text) {
    Status st = s->PutMetricData({Datum(1, kT0 - 1000), bad});
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << text;
    EXPECT_NE(st.message().find(text), std::string::npos) << st.message();
  };
  expect_bad(Datum(std::nan(""), kT0), "MetricData.member.2.Value");
  expect_bad(Datum(std::numeric_limits<double>::infinity(), kT0), "finite");
  MetricDatum many = Datum(1, kT0);
  for (int i = 0; i < 30; ++i) many.metric.dimensions.push_back({"d" + std::to_string(i), "v"});
  expect_bad(many, "31 dimensions");
  expect_bad(Datum(1, kT0, ""), "MetricName must not be empty");
  MetricDatum dup = Datum(1, kT0);
  dup.metric.dimensions.push_back({"InstanceId", "i-other"});
  expect_bad(dup, "twice");
  MetricDatum unit = Datum(1, kT0);
  unit.metric.unit = "Furlongs";
  expect_bad(unit, "Furlongs");
  expect_bad(Datum(1, kT0 - 15 * kDay), "in the past");
  expect_bad(Datum(1, kT0 + 3 * kHour), "in the future");
  MetricDatum set = Datum(1, kT0);
  set.value.reset();
  set.statistics = StatisticSet{3, 10, 9, 2};
  expect_bad(set, "Minimum is greater");
  set.statistics = StatisticSet{0, 0, 0, 0};
  expect_bad(set, "SampleCount");
  MetricDatum both = Datum(1, kT0);
  both.statistics = StatisticSet{1, 1, 1, 1};
  expect_bad(both, "exactly one");
  MetricDatum vals = Datum(1, kT0);
  vals.value.reset();
  vals.values = {1, 2};
  vals.counts = {1};
  expect_bad(vals, "Counts");
  vals.counts = {1, 0};
  expect_bad(vals, "Counts.member.2");
  vals.counts.clear();
  vals.values.assign(151, 1);
  expect_bad(vals, "151 values");
  EXPECT_TRUE(s->ListMetrics({}).empty());  // the good first datum was not stored either

  auto q = Query(kT0 - kHour, kT0, 60, {"p101"});
  EXPECT_EQ(s->GetMetricStatistics(q).status().code(), Code::kInvalidArgument);
  q.statistics = {"Median"};
  EXPECT_EQ(s->GetMetricStatistics(q).status().code(), Code::kInvalidArgument);
  q.statistics = {"Sum"};
  q.period_s = 0;
  EXPECT_EQ(s->GetMetricStatistics(q).status().code(), Code::kInvalidArgument);
  q.period_s = 1;  // 3600 periods > 1440
  auto big = s->GetMetricStatistics(q);
  EXPECT_EQ(big.status().code(), Code::kInvalidArgument);
  EXPECT_NE(big.status().message().find("1440"), std::string::npos);
  q = Query(kT0, kT0 - 1, 60, {"Sum"});
  EXPECT_EQ(s->GetMetricStatistics(q).status().code(), Code::kInvalidArgument);
}

TEST_F(MetricStoreTest, SeriesLimit) {
  MetricStoreOptions o = Options(false);
  o.max_series = 2;
  MetricStorePtr s = Open(o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->PutMetricData({Datum(1, kT0, "a"), Datum(1, kT0, "b"), Datum(2, kT0, "a")}).ok());
  EXPECT_EQ(s->PutMetricData({Datum(1, kT0, "c")}).code(), Code::kResourceExhausted);
  EXPECT_TRUE(s->PutMetricData({Datum(1, kT0, "b")}).ok());
}

TEST_F(MetricStoreTest, UnitsAndListMetricsFilters) {
  MetricStorePtr s = Open(Options(false));
  ASSERT_TRUE(s);
  MetricDatum other = Datum(5, kT0 - 1000, "NetworkIn");
  other.metric.unit = "Bytes";
  other.metric.dimensions = {{"InstanceId", "i-2"}, {"AutoScalingGroupName", "web"}};
  ASSERT_TRUE(s->PutMetricData({Datum(1, kT0 - 1000), other}).ok());
  auto q = Query(kT0 - kMinute, kT0, 60, {"Sum"});
  q.unit = "Bytes";
  EXPECT_TRUE(s->GetMetricStatistics(q)->empty());
  q.unit = "Percent";
  EXPECT_EQ(s->GetMetricStatistics(q)->size(), 1u);
  q.dimensions.clear();  // dimensions must match exactly
  EXPECT_TRUE(s->GetMetricStatistics(q)->empty());

  EXPECT_EQ(s->ListMetrics({}).size(), 2u);
  ListMetricsFilter f;
  f.dimensions = {{"AutoScalingGroupName", ""}};
  auto l = s->ListMetrics(f);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "NetworkIn");
  EXPECT_EQ(l[0].dimensions[0].name, "AutoScalingGroupName");  // sorted
  f.dimensions = {{"InstanceId", "i-0123456789abcdef0"}};
  EXPECT_EQ(s->ListMetrics(f).size(), 1u);
  f = {};
  f.name = "NetworkIn";
  f.namespace_ = "AWS/ELB";
  EXPECT_TRUE(s->ListMetrics(f).empty());

  auto latest = s->Latest(0);
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_TRUE(s->Latest(kT0).empty());  // both samples are older than kT0
}

TEST_F(MetricStoreTest, ReopenKeepsRawAndRolledUpData) {
  int64_t recent = kT0 - 20 * kMinute, old = kT0 - 2 * kDay;
  std::vector<Datapoint> before_recent, before_old;
  {
    MetricStorePtr s = Open(Options());
    ASSERT_TRUE(s);
    std::vector<MetricDatum> data;
    for (int i = 0; i < 120; ++i) data.push_back(Datum(i * 0.5, recent + i * 1000));
    for (int i = 0; i < 60; ++i) data.push_back(Datum(i, old + i * 1000));
    ASSERT_TRUE(s->PutMetricData(data).ok());
    ASSERT_TRUE(s->Flush().ok());
    before_recent = *s->GetMetricStatistics(Query(recent, recent + 2 * kMinute, 1, kAll));
    before_old = *s->GetMetricStatistics(Query(old, old + kMinute, 60, kAll));
    ASSERT_TRUE(s->PutMetricData({Datum(99, recent + 200000)}).ok());  // flushed by the destructor
  }
  MetricStorePtr s = Open(Options());
  ASSERT_TRUE(s);
  auto after_recent = s->GetMetricStatistics(Query(recent, recent + 2 * kMinute, 1, kAll));
  ASSERT_TRUE(after_recent.ok());
  ASSERT_EQ(after_recent->size(), 120u);
  for (size_t i = 0; i < 120; ++i) EXPECT_EQ((*after_recent)[i].values, before_recent[i].values);
  auto after_old = s->GetMetricStatistics(Query(old, old + kMinute, 60, kAll));
  ASSERT_EQ(after_old->size(), 1u);
  EXPECT_EQ((*after_old)[0].values, before_old[0].values);
  EXPECT_EQ(s->GetMetricStatistics(Query(recent + 200000, recent + 201000, 1, {"Maximum"}))->at(0).values.at("Maximum"),
            99);

  // Aged data survives another reopen as rollups.
  now_ += 4 * kHour;
  ASSERT_TRUE(s->Maintain().ok());
  ASSERT_TRUE(s->Flush().ok());
  s.reset();
  s = Open(Options());
  auto rolled = s->GetMetricStatistics(Query(recent, recent + 2 * kMinute, 60, {"SampleCount", "Sum"}));
  ASSERT_TRUE(rolled.ok());
  ASSERT_EQ(rolled->size(), 2u);
  EXPECT_EQ((*rolled)[0].values.at("SampleCount"), 60);
  EXPECT_EQ((*rolled)[0].values.at("Sum"), 0.5 * (59 * 60 / 2));
}

// Bytes in the store's directory: what the next open replays.
uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.file_size();
  return n;
}

// Compressed seconds (XOR values in the log and its snapshots) come back exactly: every statistic,
// percentiles included, equals that of a memory-only store given the same data, at 1 s and in rollups.
TEST_F(MetricStoreTest, CompressedLogIsExactAgainstTheUncompressedPath) {
  MetricStorePtr mem = Open(Options(false));
  std::vector<MetricDatum> data;
  int64_t start = kT0 - 30 * kMinute;
  for (int i = 0; i < 20 * 60; ++i) {
    double v = i % 7 == 0 ? 12.5 : std::sin(i * 0.01) * 100 + (i % 3);  // repeats, steps and noise
    if (i % 301 == 0) v = -0.0;
    data.push_back(Datum(v, start + i * 1000));
    if (i % 97 == 0) data.push_back(Datum(v * 2, start + i * 1000 + 500));  // a second with two samples
  }
  MetricDatum set = Datum(0, start + 5000);
  set.value.reset();
  set.statistics = StatisticSet{4, 10, 1, 4};
  data.push_back(set);
  {
    MetricStorePtr disk = Open(Options());
    ASSERT_TRUE(disk->PutMetricData(data).ok());
    ASSERT_TRUE(disk->Flush().ok());  // the log: compressed runs of the seconds flushed together
  }
  ASSERT_TRUE(mem->PutMetricData(data).ok());
  for (int reopen = 0; reopen < 2; ++reopen) {  // the first reads the log, the second only a snapshot
    MetricStorePtr disk = Open(Options());
    for (int64_t period : {1, 60, 300}) {
      auto want = mem->GetMetricStatistics(Query(start, start + 20 * kMinute, period, kAll));
      auto got = disk->GetMetricStatistics(Query(start, start + 20 * kMinute, period, kAll));
      ASSERT_TRUE(want.ok() && got.ok());
      ASSERT_EQ(got->size(), want->size());
      for (size_t i = 0; i < want->size(); ++i) {
        EXPECT_EQ((*got)[i].timestamp_ms, (*want)[i].timestamp_ms);
        EXPECT_EQ((*got)[i].values, (*want)[i].values) << "period " << period << " point " << i;
      }
    }
  }
  // Past the raw window both roll the same seconds up into the same minutes.
  now_ += 4 * kHour;
  MetricStorePtr disk = Open(Options());
  ASSERT_TRUE(mem->Maintain().ok());
  ASSERT_TRUE(disk->Maintain().ok());
  auto want = mem->GetMetricStatistics(Query(start, start + 20 * kMinute, 60, kAll));
  auto got = disk->GetMetricStatistics(Query(start, start + 20 * kMinute, 60, kAll));
  ASSERT_TRUE(want.ok() && got.ok());
  ASSERT_EQ(got->size(), 20u);
  for (size_t i = 0; i < want->size(); ++i) EXPECT_EQ((*got)[i].values, (*want)[i].values) << i;
}

// Closed minutes are held compressed in memory (and loaded so from the log): every statistic over
// them - before and after a late sample reopens one, and after a reload - is what plain arithmetic
// over the samples gives; past the raw window the rollups' counts, sums, min and max are exact and
// their percentiles are those of a sketch of the same samples.
TEST_F(MetricStoreTest, PackedMinutesAreExactAgainstPlainArithmetic) {
  const int64_t start = kT0 - 30 * kMinute;
  std::map<int, std::vector<double>> samples;  // by minute 0..29
  std::vector<MetricDatum> data;
  for (int i = 0; i < 30 * 60; ++i) {
    double v = i % 7 == 0 ? 3.5 : (i % 11) * 0.25 + i / 60;  // quarters: sums are exact in any order
    data.push_back(Datum(v, start + i * 1000));
    samples[i / 60].push_back(v);
    if (i % 97 == 0) {  // a second with two samples
      data.push_back(Datum(v + 1, start + i * 1000 + 500));
      samples[i / 60].push_back(v + 1);
    }
  }
  auto check = [&](MetricStore* s, bool rolled_up) {
    auto r = s->GetMetricStatistics(Query(start, start + 30 * kMinute, 60, kAll));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 30u);
    for (int m = 0; m < 30; ++m) {
      std::vector<double> v = samples[m];
      std::sort(v.begin(), v.end());
      double sum = 0;
      LogSketch sketch;
      for (double x : v) {
        sum += x;
        sketch.Add(x);
      }
      auto pct = [&](double p) {
        if (rolled_up) return std::clamp(sketch.Quantile(p / 100), v.front(), v.back());
        size_t rank = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
        return v[rank == 0 ? 0 : rank - 1];
      };
      const auto& got = (*r)[static_cast<size_t>(m)].values;
      EXPECT_EQ(got.at("SampleCount"), static_cast<double>(v.size())) << m;
      EXPECT_EQ(got.at("Sum"), sum) << m;
      EXPECT_EQ(got.at("Average"), sum / static_cast<double>(v.size())) << m;
      EXPECT_EQ(got.at("Minimum"), v.front()) << m;
      EXPECT_EQ(got.at("Maximum"), v.back()) << m;
      EXPECT_EQ(got.at("p50"), pct(50)) << m;
      EXPECT_EQ(got.at("p90"), pct(90)) << m;
      EXPECT_EQ(got.at("p100"), pct(100)) << m;
    }
  };
  for (bool persistent : {false, true}) {
    SCOPED_TRACE(persistent ? "persistent" : "memory only");
    now_ = kT0;
    MetricStorePtr s = Open(Options(persistent));
    ASSERT_TRUE(s->PutMetricData(data).ok());
    ASSERT_TRUE(s->Flush().ok());
    ASSERT_TRUE(s->Maintain().ok());
    MetricStoreUsage u = s->Usage();
    EXPECT_LE(u.open_minutes, 1u) << "only the head minute keeps a double per second";
    EXPECT_GE(u.packed_minutes, 29u);
    EXPECT_LT(u.packed_bytes, u.packed_samples * 4) << "closed minutes are compressed";
    check(s.get(), false);
    // A late sample reopens a packed minute; the next pass packs it again.
    ASSERT_TRUE(s->PutMetricData({Datum(100, start + 5 * kMinute + 30500)}).ok());
    samples[5].push_back(100);
    EXPECT_EQ(s->Usage().open_minutes, u.open_minutes + 1);
    check(s.get(), false);
    ASSERT_TRUE(s->Flush().ok());
    ASSERT_TRUE(s->Maintain().ok());
    EXPECT_EQ(s->Usage().open_minutes, u.open_minutes);
    check(s.get(), false);
    if (persistent) {
      s.reset();
      s = Open(Options());  // loads the packed minutes as they are
      EXPECT_GE(s->Usage().packed_minutes, 29u);
      check(s.get(), false);
    }
    now_ += 4 * kHour;  // past the raw window: rolled up
    ASSERT_TRUE(s->Maintain().ok());
    EXPECT_EQ(s->Usage().rollup_minutes, 30u);
    check(s.get(), true);
    samples[5].pop_back();
  }
}

// A restart replays the retained data, not the log's history: a store's files stay under a bound
// set by its snapshot (the data retained), which is the same after 6 h of 1 s data as after 1 h
// with retention (10 min raw, 1 h of rollups) full in both.
TEST_F(MetricStoreTest, RestartReplaysRetainedDataNotTheLogsHistory) {
  constexpr uint64_t kCompactMin = 64 << 10;
  struct Replay {
    uint64_t samples = 0, replayed = 0, snapshot = 0;
  };
  auto run = [&](int hours, const std::string& sub) {
    MetricStoreOptions o = Options();
    o.dir = dir_ + "/" + sub;
    o.raw_retention_ms = 10 * kMinute;
    o.rollup_retention_ms = kHour;
    o.compact_min_bytes = kCompactMin;
    now_ = kT0;
    Replay out;
    MetricStorePtr s = Open(o);
    for (int m = 0; m < hours * 60; ++m) {
      std::vector<MetricDatum> minute;
      for (int sec = 0; sec < 60; ++sec) {
        for (int series = 0; series < 10; ++series) {
          MetricDatum d = Datum(series == 0 ? sec % 5 : 100.0 * series, now_ + sec * 1000);
          d.metric.dimensions[0].value = "i-" + std::to_string(series);
          minute.push_back(std::move(d));
        }
      }
      out.samples += minute.size();
      EXPECT_TRUE(s->PutMetricData(std::move(minute)).ok());
      now_ += kMinute;
      EXPECT_TRUE(s->Flush().ok());
      EXPECT_TRUE(s->Maintain().ok());
    }
    s.reset();
    out.replayed = DirBytes(o.dir);
    s = Open(o);  // replays, then rewrites the files as one snapshot
    out.snapshot = DirBytes(o.dir);
    StatisticsQuery q = Query(now_ - kMinute, now_, 60, {"SampleCount"});
    q.dimensions[0].value = "i-0";
    auto r = s->GetMetricStatistics(q);
    EXPECT_TRUE(r.ok() && r->size() == 1u && (*r)[0].values.at("SampleCount") == 60);
    return out;
  };
  Replay one = run(1, "1h"), six = run(6, "6h");
  EXPECT_EQ(six.samples, 6 * one.samples);
  EXPECT_LE(six.snapshot, one.snapshot * 5 / 4);  // about the same data retained
  // Compaction keeps the files under max(compact_min_bytes, 4 x snapshot), plus one flush past it.
  uint64_t bound = std::max(kCompactMin, 4 * six.snapshot) + (32 << 10);
  EXPECT_LE(one.replayed, bound);
  EXPECT_LE(six.replayed, bound) << "6 h replayed " << six.replayed << " bytes, snapshot " << six.snapshot;
}

// Flushed every second, as the daemon does, steady series cost under 2 bytes per sample in the main
// files: each second goes to the head file first and, once its minute closes, into one compressed
// record per series-minute; the head file holds only the open minutes.
TEST_F(MetricStoreTest, SteadySeriesCostUnderTwoBytesPerSampleOnDisk) {
  MetricStorePtr s = Open(Options());
  constexpr int kSeries = 10, kMinutes = 30;
  uint64_t samples = 0;
  for (int sec = 0; sec < kMinutes * 60; ++sec) {
    std::vector<MetricDatum> batch;
    for (int i = 0; i < kSeries; ++i) {
      // Idle instances: memory constant, counters moving now and then, CPU at a few levels.
      double v = i < 3 ? 4096.0 * 3000 : i < 7 ? 1e6 + 64 * (sec / 17) : 0.5 * (sec % 3 == 0);
      MetricDatum d = Datum(v, now_);
      d.metric.dimensions[0].value = "i-" + std::to_string(i);
      batch.push_back(std::move(d));
    }
    samples += batch.size();
    ASSERT_TRUE(s->PutMetricData(std::move(batch)).ok());
    ASSERT_TRUE(s->Flush().ok());
    now_ += 1000;
  }
  uint64_t main = 0, head = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/metrics")) {
    (e.path().filename() == "metrics-head.log" ? head : main) += e.file_size();
  }
  EXPECT_LE(static_cast<double>(main) / static_cast<double>(samples), 2.0) << main << " bytes, " << samples << " samples";
  EXPECT_LE(head, 3u * 60 * kSeries * 40) << "the head file holds more than the open minutes";
  // Everything comes back, from the main files and the head.
  s.reset();
  s = Open(Options());
  StatisticsQuery q = Query(now_ - kMinutes * kMinute, now_, 60, {"SampleCount", "Sum"});
  q.dimensions[0].value = "i-9";
  auto r = s->GetMetricStatistics(q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), static_cast<size_t>(kMinutes));
  double sum = 0;
  for (int sec = 0; sec < kMinutes * 60; ++sec) sum += 0.5 * (sec % 3 == 0);
  double got = 0;
  for (const auto& d : *r) got += d.values.at("Sum");
  EXPECT_EQ(got, sum);
}

TEST_F(MetricStoreTest, SeriesRecreatedAfterExpiryReloads) {
  {
    MetricStorePtr s = Open(Options());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->PutMetricData({Datum(1, kT0 - 13 * kDay)}).ok());
    ASSERT_TRUE(s->Flush().ok());
    now_ += 3 * kDay;
    ASSERT_TRUE(s->Maintain().ok());
    ASSERT_TRUE(s->ListMetrics({}).empty());
    ASSERT_TRUE(s->PutMetricData({Datum(42, now_ - 1000)}).ok());  // same identity, new series id
  }
  MetricStorePtr s = Open(Options());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ListMetrics({}).size(), 1u);
  auto r = s->GetMetricStatistics(Query(now_ - kMinute, now_, 60, {"Maximum"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].values.at("Maximum"), 42);
  ASSERT_TRUE(s->PutMetricData({Datum(43, now_ - 500)}).ok());
  EXPECT_EQ(s->ListMetrics({}).size(), 1u);
}

TEST_F(MetricStoreTest, TornLogTailIsSkipped) {
  {
    MetricStorePtr s = Open(Options());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->PutMetricData({Datum(7, kT0 - 1000)}).ok());
    ASSERT_TRUE(s->Flush().ok());
  }
  std::string file;
  for (int seq = 1; seq < 10; ++seq) {
    char name[64];
    std::snprintf(name, sizeof name, "/metrics/metrics-%010d.log", seq);
    if (PathExists(dir_ + name)) file = dir_ + name;
  }
  ASSERT_FALSE(file.empty());
  {
    std::ofstream out(file, std::ios::app | std::ios::binary);
    out << std::string("\x40\x00\x00\x00\x02garbage", 12);
  }
  MetricStorePtr s = Open(Options());
  ASSERT_TRUE(s);
  auto r = s->GetMetricStatistics(Query(kT0 - kMinute, kT0, 60, {"Maximum"}));
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].values.at("Maximum"), 7);
}

TEST_F(MetricStoreTest, FlushedDataSurvivesKill9) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rd.reset();
    MetricStoreOptions o = Options();
    o.background = true;  // the real flusher thread runs too
    auto s = OpenMetricStore(o);
    if (!s.ok()) _exit(2);
    std::vector<MetricDatum> data;
    for (int i = 0; i < 3000; ++i) data.push_back(Datum(i, kT0 - kHour + i * 1000));
    if (!(*s)->PutMetricData(data).ok() || !(*s)->Flush().ok()) _exit(3);
    char ok = 'F';
    if (write(wr.get(), &ok, 1) != 1) _exit(4);
    for (int i = 0; i < 1000000; ++i) {  // keep writing until killed
      if (!(*s)->PutMetricData({Datum(1, kT0 - 2 * kHour + (i % 3000) * 1000, "Other")}).ok()) _exit(5);
    }
    _exit(0);
  }
  wr.reset();
  char c = 0;
  ASSERT_EQ(read(rd.get(), &c, 1), 1);
  kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  MetricStorePtr s = Open(Options());
  ASSERT_TRUE(s);
  auto r = s->GetMetricStatistics(Query(kT0 - kHour, kT0, 60, {"SampleCount"}));
  ASSERT_TRUE(r.ok());
  double total = 0;
  for (const auto& dp : *r) total += dp.values.at("SampleCount");
  EXPECT_EQ(total, 3000);
}

}  // namespace
}  // namespace stratus
