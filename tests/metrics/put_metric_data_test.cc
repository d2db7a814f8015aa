// The one PutMetricData reader that the REST API and the CloudWatch handler share.
#include <gtest/gtest.h>

#include "metrics/put_metric_data.h"

namespace stratus {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'780'000'000'000;

TEST(PutMetricDataTest, ReadsEachKindOfValue) {
  json body = {{"Namespace", "App"},
               {"MetricData",
                {{{"MetricName", "A"}, {"Value", 1.5}, {"Unit", "Seconds"}, {"Dimensions", {{{"Name", "S"}, {"Value", "w"}}}}},
                 {{"MetricName", "B"}, {"StatisticValues", {{"SampleCount", 2}, {"Sum", 3}, {"Minimum", 1}, {"Maximum", 2}}}},
                 {{"MetricName", "C"}, {"Values", {1, 2}}, {"Counts", {3, 4}}, {"Timestamp", 1'779'999'990}}}}};
  auto data = ParsePutMetricData(body, kNow);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_EQ(data->size(), 3u);
  EXPECT_EQ((*data)[0].metric.namespace_, "App");
  EXPECT_EQ((*data)[0].metric.unit, "Seconds");
  EXPECT_EQ((*data)[0].value, 1.5);
  EXPECT_EQ((*data)[0].timestamp_ms, kNow);
  ASSERT_EQ((*data)[0].metric.dimensions.size(), 1u);
  EXPECT_EQ((*data)[1].metric.unit, "None");
  ASSERT_TRUE((*data)[1].statistics.has_value());
  EXPECT_EQ((*data)[1].statistics->sum, 3);
  EXPECT_EQ((*data)[2].values, (std::vector<double>{1, 2}));
  EXPECT_EQ((*data)[2].counts, (std::vector<double>{3, 4}));
  EXPECT_EQ((*data)[2].timestamp_ms, 1'779'999'990'000);
}

TEST(PutMetricDataTest, EachDatumHasExactlyOneKindOfValue) {
  for (const json& datum : {json{{"MetricName", "A"}}, json{{"MetricName", "A"}, {"Value", 1}, {"Values", {1}}}}) {
    auto data = ParsePutMetricData({{"Namespace", "App"}, {"MetricData", {datum}}}, kNow);
    ASSERT_FALSE(data.ok()) << datum.dump();
    EXPECT_EQ(data.status().error_code(), "InvalidParameterValue");
    EXPECT_NE(data.status().message().find("MetricData[0]"), std::string::npos) << data.status().message();
  }
}

TEST(PutMetricDataTest, RefusesMissingMembersAndBadNumbers) {
  json datum = {{"MetricName", "A"}, {"Value", 1}};
  EXPECT_EQ(ParsePutMetricData({{"MetricData", {datum}}}, kNow).status().error_code(), "MissingParameter");
  EXPECT_EQ(ParsePutMetricData({{"Namespace", "App"}}, kNow).status().error_code(), "MissingParameter");
  EXPECT_EQ(ParsePutMetricData({{"Namespace", "App"}, {"MetricData", {{{"Value", 1}}}}}, kNow).status().error_code(),
            "MissingParameter");
  EXPECT_EQ(ParsePutMetricData({{"Namespace", "App"}, {"MetricData", {{{"MetricName", "A"}, {"Value", "x"}}}}}, kNow)
                .status()
                .error_code(),
            "InvalidParameterValue");
  json partial = {{"MetricName", "A"}, {"StatisticValues", {{"SampleCount", 1}}}};
  EXPECT_EQ(ParsePutMetricData({{"Namespace", "App"}, {"MetricData", {partial}}}, kNow).status().error_code(),
            "MissingParameter");
  json many = json::array();
  for (size_t i = 0; i <= kMaxDatumsPerRequest; i++) many.push_back(datum);
  EXPECT_EQ(ParsePutMetricData({{"Namespace", "App"}, {"MetricData", many}}, kNow).status().error_code(),
            "InvalidParameterValue");
}

TEST(PutMetricDataTest, TimesAreIso8601OrEpochSeconds) {
  EXPECT_EQ(ParseTimeParam("2026-11-27T05:30:00Z").value(), 1795757400000);
  EXPECT_EQ(ParseTimeParam("2026-11-27T05:30:00.250Z").value(), 1795757400250);
  EXPECT_EQ(ParseTimeParam("1795757400").value(), 1795757400000);
  EXPECT_FALSE(ParseTimeParam("2026-11-27T05:30:00+02:00").ok());
  EXPECT_FALSE(ParseTimeParam("yesterday").ok());
}

}  // namespace
}  // namespace stratus
