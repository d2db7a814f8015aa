#include "cost/cost_meter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"

#include "cost/cost_service.h"

namespace stratus::cost {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;  // a whole hour, so bucket edges are predictable

MeteredInstance Inst(const std::string& id, const std::string& type, const std::string& state,
                     const std::string& group = "", Tags tags = {}) {
  return {id, type, state, group, std::move(tags)};
}

CostQuery Query(std::string by, Tags tags = {}, std::string group = "", int64_t since = 0, int64_t until = 0) {
  CostQuery q;
  q.by = std::move(by);
  q.tag_filter = std::move(tags);
  q.group_filter = std::move(group);
  q.since_ms = since;
  q.until_ms = until;
  return q;
}

// Records `inv` once a second for `seconds` seconds starting at `from` (the first record only starts the meter).
int64_t Meter(CostMeter& m, const Inventory& inv, int64_t from, int seconds) {
  for (int s = 0; s <= seconds; ++s) m.Record(inv, from + s * 1000LL);
  return from + seconds * 1000LL;
}

TEST(PriceListTest, AwsDefaultsAndOverrides) {
  PriceList p = PriceList::AwsDefaults();
  EXPECT_DOUBLE_EQ(p.InstanceHour("t3.micro"), 0.0104);
  EXPECT_DOUBLE_EQ(p.InstanceHour("x9.custom"), 0);
  ASSERT_TRUE(p.AddFromJson(R"({"instance_types": [{"name": "t3.micro", "vcpus": 2, "memory_mib": 1024, "price_per_hour": 0.5},
                                                    {"name": "x9.custom", "vcpus": 1, "memory_mib": 64}],
                               "prices": {"load_balancer_hour": 0.03}})").ok());
  EXPECT_DOUBLE_EQ(p.InstanceHour("t3.micro"), 0.5);
  EXPECT_DOUBLE_EQ(p.InstanceHour("x9.custom"), 0);
  EXPECT_DOUBLE_EQ(p.load_balancer_hour, 0.03);
  EXPECT_DOUBLE_EQ(p.image_gib_month, 0.05);
}

TEST(PriceListTest, BadPriceChangesNothing) {
  PriceList p = PriceList::AwsDefaults();
  Status st = p.AddFromJson(R"({"instance_types": [{"name": "t3.micro", "price_per_hour": 0.5},
                                                    {"name": "t3.small", "price_per_hour": -1}]})");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("t3.small"), std::string::npos) << st.message();
  EXPECT_DOUBLE_EQ(p.InstanceHour("t3.micro"), 0.0104);
  EXPECT_FALSE(p.AddFromJson("{nope").ok());
  EXPECT_FALSE(p.AddFromJson(R"({"prices": {"image_gib_month": "cheap"}})").ok());
}

TEST(CostMeterTest, NInstancesForTSecondsCostNTimesTTimesPrice) {
  CostMeter m(PriceList::AwsDefaults());
  Inventory inv;
  for (int k = 0; k < 3; ++k) inv.instances.push_back(Inst("i-" + std::to_string(k), "t3.micro", "running"));
  int64_t end = Meter(m, inv, kT0, 600);
  auto r = m.Report({}, end);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->total, 3 * 600 * 0.0104 / 3600, 1e-12);
  ASSERT_EQ(r->lines.size(), 1u);
  EXPECT_EQ(r->lines[0].key, "instance");
  EXPECT_DOUBLE_EQ(r->lines[0].instance_seconds["running"], 1800);
  EXPECT_NEAR(r->rate_per_hour, 3 * 0.0104, 1e-12);
  EXPECT_EQ(r->series.size(), 10u);  // ten minute buckets
}

TEST(CostMeterTest, OnlyRunningInstancesAreBilledButEveryStateIsMetered) {
  CostMeter m(PriceList::AwsDefaults());
  Inventory inv;
  inv.instances = {Inst("i-1", "m5.large", "running"), Inst("i-2", "m5.large", "stopped"), Inst("i-3", "m5.large", "pending")};
  int64_t end = Meter(m, inv, kT0, 100);
  auto r = m.Report(Query("state"), end);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->total, 100 * 0.096 / 3600, 1e-12);
  ASSERT_EQ(r->lines.size(), 3u);
  EXPECT_EQ(r->lines[0].key, "running");
  EXPECT_DOUBLE_EQ(r->lines[1].cost, 0);
  EXPECT_DOUBLE_EQ(r->lines[1].instance_seconds.begin()->second, 100);
}

TEST(CostMeterTest, GroupsByTypeGroupAndTagAndFilters) {
  CostMeter m(PriceList::AwsDefaults());
  Inventory inv;
  inv.instances = {Inst("i-1", "t3.micro", "running", "web", {{"team", "a"}}),
                   Inst("i-2", "t3.micro", "running", "web", {{"team", "a"}}),
                   Inst("i-3", "c5.large", "running", "", {{"team", "b"}}),
                   Inst("i-4", "c5.large", "running", "", {})};
  inv.load_balancers = {{"front", {}}};
  inv.images = {{"web", int64_t(kBytesPerGiB * 2), {}}};
  int64_t end = Meter(m, inv, kT0, 3600);

  auto by_type = m.Report(Query("type"), end);
  ASSERT_TRUE(by_type.ok());
  std::map<std::string, double> cost;
  for (const auto& l : by_type->lines) cost[l.key] = l.cost;
  EXPECT_NEAR(cost["c5.large"], 2 * 0.085, 1e-9);
  EXPECT_NEAR(cost["t3.micro"], 2 * 0.0104, 1e-9);
  EXPECT_NEAR(cost["load-balancer"], 0.0225, 1e-9);
  EXPECT_NEAR(cost["image"], 2 * 0.05 / kHoursPerMonth, 1e-9);
  EXPECT_NEAR(by_type->total, 2 * 0.085 + 2 * 0.0104 + 0.0225 + 0.1 / kHoursPerMonth, 1e-9);

  auto by_group = m.Report(Query("group"), end);
  ASSERT_TRUE(by_group.ok());
  cost.clear();
  for (const auto& l : by_group->lines) cost[l.key] = l.cost;
  EXPECT_NEAR(cost["web"], 2 * 0.0104, 1e-9);

  auto by_team = m.Report(Query("tag:team"), end);
  ASSERT_TRUE(by_team.ok());
  cost.clear();
  for (const auto& l : by_team->lines) cost[l.key] = l.cost;
  EXPECT_NEAR(cost["a"], 2 * 0.0104, 1e-9);
  EXPECT_NEAR(cost["b"], 0.085, 1e-9);
  EXPECT_NEAR(cost["(untagged)"], 0.085 + 0.0225 + 0.1 / kHoursPerMonth, 1e-9);

  auto team_b = m.Report(Query("type", {{"team", "b"}}), end);
  ASSERT_TRUE(team_b.ok());
  EXPECT_NEAR(team_b->total, 0.085, 1e-9);
  EXPECT_NEAR(team_b->rate_per_hour, 0.085, 1e-9);
  auto web = m.Report(Query("kind", {}, "web"), end);
  ASSERT_TRUE(web.ok());
  EXPECT_NEAR(web->total, 2 * 0.0104, 1e-9);
}

TEST(CostMeterTest, SinceAndUntilSelectBuckets) {
  CostMeter m(PriceList::AwsDefaults());
  Inventory one{{Inst("i-1", "t3.micro", "running")}, {}, {}};
  Inventory two{{Inst("i-1", "t3.micro", "running"), Inst("i-2", "t3.micro", "running")}, {}, {}};
  int64_t mid = Meter(m, one, kT0, 120);
  int64_t end = Meter(m, two, mid, 120);
  auto last = m.Report(Query("kind", {}, "", mid), end);
  ASSERT_TRUE(last.ok());
  EXPECT_NEAR(last->total, 2 * 120 * 0.0104 / 3600, 1e-12);
  auto first = m.Report(Query("kind", {}, "", 0, mid), end);
  ASSERT_TRUE(first.ok());
  EXPECT_NEAR(first->total, 120 * 0.0104 / 3600, 1e-12);
}

TEST(CostMeterTest, OldMinutesMergeIntoHoursAndGapsAreCapped) {
  CostMeterOptions o;
  CostMeter m(PriceList::AwsDefaults(), o);
  Inventory inv{{Inst("i-1", "t3.micro", "running")}, {}, {}};
  int64_t t = Meter(m, inv, kT0, 7200);  // two hours: the first is merged
  auto r = m.Report({}, t);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->total, 2 * 0.0104, 1e-9);
  EXPECT_LT(r->series.size(), 70u);
  // A daemon down for an hour is charged max_gap_ms for the gap, not the hour.
  m.Record(inv, t + 3600'000);
  auto after = m.Report({}, t + 3600'000);
  ASSERT_TRUE(after.ok());
  EXPECT_NEAR(after->total - r->total, 5 * 0.0104 / 3600, 1e-9);
}

TEST(CostMeterTest, RejectsUnknownGrouping) {
  CostMeter m(PriceList::AwsDefaults());
  auto r = m.Report(Query("colour"), kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tag:KEY"), std::string::npos);
  EXPECT_FALSE(m.Report(Query("tag:"), kT0).ok());
}

TEST(CostServiceTest, RecordsTheInventoryItIsGiven) {
  int64_t now = kT0;
  int calls = 0;
  CostServiceOptions o;
  o.clock = [&] { return now; };
  CostService s(PriceList::AwsDefaults(), [&] {
    ++calls;
    return Inventory{{Inst("i-1", "t3.small", "running")}, {}, {}};
  }, o);
  s.RecordNow();
  now += 10'000;
  s.RecordNow();
  EXPECT_EQ(calls, 2);
  auto r = s.Report({});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->total, 5 * 0.0208 / 3600, 1e-12);  // a 10 s gap is charged as max_gap_ms
  EXPECT_DOUBLE_EQ(s.InstanceHourPrice("t3.small"), 0.0208);
  auto j = ToJson(*r);
  EXPECT_EQ(j["Currency"], "USD");
  EXPECT_EQ(j["Lines"][0]["Key"], "instance");
}

// A temporary directory removed at the end of the test.
struct TempDir {
  std::string path = (std::filesystem::temp_directory_path() / ("cost-test-" + RandomHex(8))).string();
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Two instances of a group (sharing one entry), one tagged instance, an LB and an image, metered
// for `seconds` from `*now` by a service journaling in `dir`.
void MeterInto(const std::string& dir, int64_t* now, int seconds, double* total, uint64_t compact_min_bytes = 1 << 20) {
  CostServiceOptions o;
  o.clock = [now] { return *now; };
  o.compact_min_bytes = compact_min_bytes;
  CostService s(PriceList::AwsDefaults(), [&] {
    return Inventory{{Inst("i-1", "t3.small", "running", "web"), Inst("i-2", "t3.small", "running", "web"),
                      Inst("i-3", "m5.large", "running", "", {{"Team", "db"}})},
                     {{"front", {}}},
                     {{"demo", static_cast<int64_t>(3 * kBytesPerGiB), {}}}};
  }, o);
  ASSERT_TRUE(s.Load(dir).ok());
  for (int k = 0; k <= seconds; ++k, *now += 1000) s.RecordNow();
  *now -= 1000;
  auto r = s.Report({});
  ASSERT_TRUE(r.ok());
  *total = r->total;
}

// The total a new service loading `dir` reports at `now`; -1 when it cannot load or report.
double TotalAfterReload(const std::string& dir, int64_t now) {
  CostServiceOptions o;
  o.clock = [now] { return now; };
  CostService again(PriceList::AwsDefaults(), [] { return Inventory{}; }, o);
  if (!again.Load(dir).ok()) return -1;
  auto r = again.Report({});
  return r.ok() ? r->total : -1;
}

TEST(CostServiceTest, UsageSurvivesARestart) {
  TempDir dir;
  int64_t now = kT0;
  double first = 0;
  MeterInto(dir.path, &now, 90, &first);  // crosses a minute bucket
  double per_second = (2 * 0.0208 + 0.096 + 0.0225 + 3 * 0.05 / kHoursPerMonth) / 3600;
  EXPECT_NEAR(first, 90 * per_second, 1e-12);
  // A new service over the same directory sees the same usage, by every grouping.
  CostServiceOptions o;
  o.clock = [&] { return now; };
  CostService again(PriceList::AwsDefaults(), [] { return Inventory{}; }, o);
  ASSERT_TRUE(again.Load(dir.path).ok());
  auto r = again.Report(Query("group"));
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->total, first, 1e-12);
  ASSERT_FALSE(r->lines.empty());
  EXPECT_EQ(r->lines[0].key, "(no group)");  // m5.large + LB + image cost more than the group
  auto team = again.Report(Query("type", {{"Team", "db"}}));
  ASSERT_TRUE(team.ok());
  EXPECT_NEAR(team->total, 90 * 0.096 / 3600, 1e-12);
  EXPECT_NEAR(team->rate_per_hour, 0.096, 1e-12);  // what existed at the last record
  // And it goes on metering from there: a third run adds to it.
  double third = 0;
  now += 1000;
  MeterInto(dir.path, &now, 10, &third);
  EXPECT_NEAR(third, first + (1 + 10) * per_second, 1e-12);  // the 1 s gap is charged, as max_gap allows
}

TEST(CostServiceTest, ATornJournalTailLosesOnlyTheTornRecord) {
  TempDir dir;
  int64_t now = kT0;
  double total = 0;
  MeterInto(dir.path, &now, 20, &total);
  // A crash in the middle of an append: half a record at the end of the newest file.
  // A crash in the middle of an append: half a record at the end of the journal (the one log file
  // beside the metric log's head file).
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    if (e.path().filename().string().find("head") == std::string::npos) files.push_back(e.path().string());
  }
  ASSERT_EQ(files.size(), 1u);
  {
    std::ofstream f(files[0], std::ios::app | std::ios::binary);
    f << std::string("\x40\x00\x00\x00\x02{\"t\":", 10);
  }
  EXPECT_NEAR(TotalAfterReload(dir.path, now), total, 1e-12);
}

TEST(CostServiceTest, TheJournalIsCompactedIntoASnapshot) {
  TempDir dir;
  int64_t now = kT0;
  double total = 0;
  // 1,000 records journal ~200 KB; compacted from 16 KiB on, the files stay a fraction of that.
  MeterInto(dir.path, &now, 1000, &total, 16 << 10);
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) bytes += e.file_size();
  EXPECT_LT(bytes, 64u << 10);
  EXPECT_NEAR(TotalAfterReload(dir.path, now), total, 1e-9);
}

TEST(CostMeterTest, RestoreAndApplyRefuseMalformedInput) {
  CostMeter m(PriceList::AwsDefaults());
  EXPECT_FALSE(m.Restore(nlohmann::json::object()).ok());
  EXPECT_FALSE(m.Restore({{"last", 0}, {"attrs", {{7, "t", "s", "g", nlohmann::json::array()}}}, {"minutes", nlohmann::json::array()},
                          {"hours", nlohmann::json::array()}, {"current", nlohmann::json::array()}}).ok());  // kind 7
  EXPECT_FALSE(m.Apply({{"t", 1}, {"b", 0}, {"s", 1}, {"n", 5}, {"a", nlohmann::json::array()}, {"u", nlohmann::json::array()}}).ok());
  EXPECT_FALSE(m.Apply({{"t", 1}, {"b", 0}, {"s", 1}, {"n", 0}, {"a", nlohmann::json::array()}, {"u", {{3, 0, 1.0}}}}).ok());
  auto r = m.Report({}, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total, 0);
}

}  // namespace
}  // namespace stratus::cost
