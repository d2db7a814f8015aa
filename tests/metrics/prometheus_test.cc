#include "metrics/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace stratus {
namespace {

TEST(Prometheus, Names) {
  EXPECT_EQ(PrometheusName("AWS/EC2"), "aws_ec2");
  EXPECT_EQ(PrometheusName("CPUUtilization"), "cpu_utilization");
  EXPECT_EQ(PrometheusName("InstanceId"), "instance_id");
  EXPECT_EQ(PrometheusName("HTTPCode_Target_2XX_Count"), "http_code_target_2xx_count");
  EXPECT_EQ(PrometheusName("NetworkIn"), "network_in");
  EXPECT_EQ(PrometheusName("9lives"), "_9lives");
  EXPECT_EQ(PrometheusName("a-b.c d"), "a_b_c_d");
  EXPECT_EQ(PrometheusName(""), "_");
}

TEST(Prometheus, FormatsFamiliesEscapesAndSpecialValues) {
  PromFamily f;
  f.name = "stratus_requests";
  f.help = "Requests with a \\ and\na newline";
  f.type = "counter";
  f.samples.push_back({{{"path", "/a\"b\\c\nd"}, {"code", "200"}}, 12, 1700000000000});
  f.samples.push_back({{}, std::numeric_limits<double>::quiet_NaN(), std::nullopt});
  f.samples.push_back({{{"x", "y"}}, std::numeric_limits<double>::infinity(), std::nullopt});
  f.samples.push_back({{{"x", "z"}}, -std::numeric_limits<double>::infinity(), std::nullopt});
  f.samples.push_back({{{"x", "w"}}, 0.1, std::nullopt});
  EXPECT_EQ(FormatPrometheus({f}),
            "# HELP stratus_requests Requests with a \\\\ and\\na newline\n"
            "# TYPE stratus_requests counter\n"
            "stratus_requests{path=\"/a\\\"b\\\\c\\nd\",code=\"200\"} 12 1700000000000\n"
            "stratus_requests NaN\n"
            "stratus_requests{x=\"y\"} +Inf\n"
            "stratus_requests{x=\"z\"} -Inf\n"
            "stratus_requests{x=\"w\"} 0.1\n");
}

TEST(Prometheus, LatestValuesGroupedAndSorted) {
  MetricIdentity cpu{"AWS/EC2", "CPUUtilization", {{"InstanceId", "i-2"}}, "Percent"};
  MetricIdentity cpu1{"AWS/EC2", "CPUUtilization", {{"InstanceId", "i-1"}}, "Percent"};
  MetricIdentity custom{"MyApp", "QueueDepth", {}, "None"};
  std::string text = FormatLatestValues({{cpu, 2000, 75.5}, {custom, 3000, 3}, {cpu1, 1000, 12}});
  EXPECT_EQ(text,
            "# HELP stratus_aws_ec2_cpu_utilization CloudWatch metric AWS/EC2 CPUUtilization (newest sample)\n"
            "# TYPE stratus_aws_ec2_cpu_utilization gauge\n"
            "stratus_aws_ec2_cpu_utilization{instance_id=\"i-1\",unit=\"Percent\"} 12 1000\n"
            "stratus_aws_ec2_cpu_utilization{instance_id=\"i-2\",unit=\"Percent\"} 75.5 2000\n"
            "# HELP stratus_my_app_queue_depth CloudWatch metric MyApp QueueDepth (newest sample)\n"
            "# TYPE stratus_my_app_queue_depth gauge\n"
            "stratus_my_app_queue_depth 3 3000\n");
}

TEST(Prometheus, LabelCollisionsAreDisambiguated) {
  MetricIdentity m{"N", "M", {{"Unit", "a"}, {"unit", "b"}}, "Bytes"};
  std::string text = FormatLatestValues({{m, 0, 1}}, false);
  EXPECT_NE(text.find("stratus_n_m{unit=\"a\",unit_=\"b\",unit__=\"Bytes\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace stratus
