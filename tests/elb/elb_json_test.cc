#include "elb/elb.h"

#include <gtest/gtest.h>

namespace stratus::elb {
namespace {

using nlohmann::json;

TEST(ReadHealthCheckMembersTest, ReadsAwsMemberNamesAndKeepsTheRest) {
  TargetGroupHealthCheck hc;
  hc.path = "/";
  hc.matcher = "200";
  json body = {{"HealthCheckPath", "/healthz"}, {"HealthCheckIntervalSeconds", 5}, {"HealthyThresholdCount", 2},
               {"HealthCheckPort", nullptr}, {"Matcher", {{"HttpCode", "200-299"}}}};
  std::string port = hc.port;
  ASSERT_TRUE(ReadHealthCheckMembers(body, hc).ok());
  EXPECT_EQ(hc.path, "/healthz");
  EXPECT_EQ(hc.interval_seconds, 5);
  EXPECT_EQ(hc.healthy_threshold, 2);
  EXPECT_EQ(hc.port, port);      // null: left as it was
  EXPECT_EQ(hc.matcher, "200");  // the caller's to read
  Status bad = ReadHealthCheckMembers({{"HealthCheckTimeoutSeconds", "soon"}}, hc);
  EXPECT_EQ(bad.error_code(), "ValidationError");
  EXPECT_EQ(bad.message(), "field HealthCheckTimeoutSeconds has the wrong type");
}

TEST(ParseTargetsTest, IdsWithOptionalPortsAndValidationErrors) {
  auto targets = ParseTargets(json::parse(R"({"Targets": [{"Id": "i-1", "Port": 8080}, {"Id": "i-2"}]})"));
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[0].id, "i-1");
  EXPECT_EQ((*targets)[0].port, 8080);
  EXPECT_EQ((*targets)[1].port, 0);
  for (const char* bad : {R"({})", R"({"Targets": [{"Port": 80}]})", R"({"Targets": [{"Id": "i-1", "Port": "80"}]})"}) {
    auto r = ParseTargets(json::parse(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().error_code(), "ValidationError") << bad;
  }
}

}  // namespace
}  // namespace stratus::elb
