#include "api/rest_lb.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

using nlohmann::json;

TEST(ReadHealthCheckMembersTest, ReadsAwsMemberNamesAndKeepsTheRest) {
  elb::TargetGroupHealthCheck hc;
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

}  // namespace
}  // namespace stratus
