// Tables and details as people see them.
#include "cli/table.h"

#include <gtest/gtest.h>

#include "cli/views.h"

namespace stratus::cli {
namespace {

Clock::time_point At(const char* ts) { return *ParseTimestamp(ts); }

Json TwoInstances() {
  return Json::parse(R"([
    {"InstanceId": "i-0f3a9c2b7d1e4a5b6", "ImageId": "ami-0123", "InstanceType": "t3.micro",
     "State": {"Code": 16, "Name": "running"}, "PrivateIpAddress": "172.31.0.5",
     "LaunchTime": "2026-11-27T05:30:00.000Z", "Tags": [{"Key": "Name", "Value": "web"}]},
    {"InstanceId": "i-1", "ImageId": "ami-0123", "InstanceType": "t3.small",
     "State": {"Code": 0, "Name": "pending"}, "LaunchTime": "2026-11-27T05:34:10Z"}
  ])");
}

TEST(RenderTable, AlignsColumnsWithoutTrailingBlanks) {
  std::string got = RenderTable(TwoInstances(), InstanceColumns(At("2026-11-27T05:35:00Z")));
  EXPECT_EQ(got,
            "ID                    NAME   STATE     TYPE       PRIVATE IP   IMAGE      AGE\n"
            "i-0f3a9c2b7d1e4a5b6   web    running   t3.micro   172.31.0.5   ami-0123   5m\n"
            "i-1                   -      pending   t3.small   -            ami-0123   50s\n");
}

TEST(RenderTable, HeaderOnlyWhenEmpty) {
  EXPECT_EQ(RenderTable(Json::array(), InstanceTypeColumns()),
            "TYPE   VCPUS   MEMORY (MIB)   PIDS\n");
  EXPECT_EQ(RenderTable(Json(), InstanceTypeColumns()), "TYPE   VCPUS   MEMORY (MIB)   PIDS\n");
}

TEST(RenderTable, CountsUtf8CodePointsAndFlattensNewlines) {
  Json items = Json::parse(R"([{"a": "héllo", "b": "x"}, {"a": "two\nlines", "b": "y"}])");
  Columns cols = {{"A", Field("/a")}, {"B", Field("/b")}};
  EXPECT_EQ(RenderTable(items, cols),
            "A           B\n"
            "héllo       x\n"
            "two lines   y\n");
}

TEST(RenderDetails, AlignsLabels) {
  Json inst = TwoInstances()[0];
  inst["StateReason"] = "User initiated";
  inst["Sysctls"] = {{"net.core.somaxconn", "4096"}};
  std::string got = RenderDetails(inst, InstanceDetails(At("2026-11-27T07:30:00Z")));
  EXPECT_NE(got.find("ID:           i-0f3a9c2b7d1e4a5b6\n"), std::string::npos) << got;
  EXPECT_NE(got.find("State:        running (User initiated)\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Launched:     2026-11-27T05:30:00.000Z (120m ago)\n"), std::string::npos)
      << got;
  EXPECT_NE(got.find("Tags:         Name=web\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Sysctls:      net.core.somaxconn=4096\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Subnet:       -\n"), std::string::npos) << got;
}

TEST(Field, FormatsScalarsAndArrays) {
  Json obj = {{"n", 2}, {"b", true}, {"a", {80, 443}}, {"s", ""}, {"z", nullptr}};
  EXPECT_EQ(Field("/n")(obj), "2");
  EXPECT_EQ(Field("/f")(Json{{"f", 2.0}}), "2");
  EXPECT_EQ(Field("/f")(Json{{"f", 0.5}}), "0.5");
  EXPECT_EQ(Field("/b")(obj), "true");
  EXPECT_EQ(Field("/a")(obj), "80,443");
  EXPECT_EQ(Field("/s")(obj), "-");
  EXPECT_EQ(Field("/z")(obj), "-");
  EXPECT_EQ(Field("/missing/deeper")(obj), "-");
  EXPECT_EQ(Field("/n/x")(obj), "-");
}

TEST(TagValue, FindsTheKey) {
  Json obj = {{"Tags", {{{"Key", "env"}, {"Value", "prod"}}, {{"Key", "Name"}, {"Value", "db"}}}}};
  EXPECT_EQ(TagValue("Name")(obj), "db");
  EXPECT_EQ(TagValue("team")(obj), "-");
  EXPECT_EQ(TagList()(obj), "env=prod,Name=db");
  EXPECT_EQ(TagList()(Json::object()), "-");
}

TEST(FormatAge, LikeKubectl) {
  using std::chrono::seconds;
  EXPECT_EQ(FormatAge(seconds(-5)), "0s");
  EXPECT_EQ(FormatAge(seconds(45)), "45s");
  EXPECT_EQ(FormatAge(seconds(119)), "119s");
  EXPECT_EQ(FormatAge(seconds(200)), "3m20s");
  EXPECT_EQ(FormatAge(seconds(300)), "5m");
  EXPECT_EQ(FormatAge(seconds(42 * 60)), "42m");
  EXPECT_EQ(FormatAge(seconds(5 * 3600 + 600)), "5h10m");
  EXPECT_EQ(FormatAge(seconds(20 * 3600)), "20h");
  EXPECT_EQ(FormatAge(seconds(3 * 86400 + 4 * 3600)), "3d4h");
  EXPECT_EQ(FormatAge(seconds(120 * 86400)), "120d");
  EXPECT_EQ(FormatAge(seconds(800 * 86400)), "2y");
}

TEST(ParseTimestamp, AcceptsUtcOnly) {
  EXPECT_TRUE(ParseTimestamp("2026-11-27T05:30:00Z").ok());
  EXPECT_TRUE(ParseTimestamp("2026-11-27T05:30:00.123456Z").ok());
  EXPECT_TRUE(ParseTimestamp("2026-11-27T05:30:00+00:00").ok());
  EXPECT_FALSE(ParseTimestamp("2026-11-27T05:30:00+02:00").ok());
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  EXPECT_EQ(At("2026-11-27T05:30:10Z") - At("2026-11-27T05:30:00.999Z"), std::chrono::seconds(10));
}

TEST(Views, ImagesAndTypes) {
  Json images = Json::parse(R"([{"ImageId": "ami-1", "Name": "demo-web", "State": "available",
      "CreationDate": "2026-11-26T05:30:00Z", "Ports": [80, 443]}])");
  EXPECT_EQ(RenderTable(images, ImageColumns(At("2026-11-27T05:30:00Z"))),
            "ID      NAME       STATE       PORTS    AGE\n"
            "ami-1   demo-web   available   80,443   24h\n");
  Json types = Json::parse(R"([{"InstanceType": "t3.micro", "VCpus": 2, "MemoryMiB": 1024,
      "Pids": 512}])");
  EXPECT_EQ(RenderTable(types, InstanceTypeColumns()),
            "TYPE       VCPUS   MEMORY (MIB)   PIDS\n"
            "t3.micro   2       1024           512\n");
}

}  // namespace
}  // namespace stratus::cli
