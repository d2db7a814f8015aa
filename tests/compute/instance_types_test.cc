#include "compute/instance_types.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

TEST(InstanceTypesTest, BuiltinsFollowAws) {
  const auto& t = InstanceTypeTable::Default();
  auto micro = t.Find("t3.micro");
  ASSERT_TRUE(micro.ok());
  EXPECT_EQ(micro->vcpus, 2);
  EXPECT_EQ(micro->memory_mib, 1024);
  EXPECT_GT(micro->pids_limit, 0);
  EXPECT_EQ(t.Find("t2.nano")->memory_mib, 512);
  EXPECT_EQ(t.Find("t1.micro")->memory_mib, 627);
  EXPECT_EQ(t.Find("m1.small")->memory_mib, 1740);
  EXPECT_EQ(t.Find("m1.large")->vcpus, 2);
  EXPECT_EQ(t.Find("c5.large")->memory_mib, 4096);
  EXPECT_EQ(t.Find("m5.large")->memory_mib, 8192);
  for (const char* name : {"t2.micro", "t2.small", "t2.medium", "t3.nano", "t3.small", "t3.medium", "t3.large", "m1.medium"}) {
    EXPECT_TRUE(t.Find(name).ok()) << name;
  }
}

TEST(InstanceTypesTest, UnknownTypeNamesKnownOnes) {
  auto r = InstanceTypeTable::Default().Find("x9.huge");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("x9.huge is not known"), std::string::npos);
  EXPECT_NE(r.status().message().find("t3.micro"), std::string::npos);
}

TEST(InstanceTypesTest, ExtendAndOverrideFromJson) {
  InstanceTypeTable t;
  ASSERT_TRUE(t.AddFromJson(R"({"instance_types": [
      {"name": "x1.tiny", "vcpus": 0.5, "memory_mib": 128},
      {"name": "t3.micro", "vcpus": 1, "memory_mib": 999, "pids_limit": 77}]})").ok());
  EXPECT_EQ(t.Find("x1.tiny")->vcpus, 0.5);
  EXPECT_EQ(t.Find("x1.tiny")->pids_limit, InstanceTypeTable::DefaultPidsLimit(128));
  EXPECT_EQ(t.Find("t3.micro")->memory_mib, 999);
  EXPECT_EQ(t.Find("t3.micro")->pids_limit, 77);
  ASSERT_TRUE(t.AddFromJson(R"([{"name": "x1.bare", "vcpus": 1, "memory_mib": 64}])").ok());
  EXPECT_TRUE(t.Find("x1.bare").ok());
}

TEST(InstanceTypesTest, BadJsonLeavesTableUnchanged) {
  InstanceTypeTable t;
  size_t before = t.List().size();
  EXPECT_EQ(t.AddFromJson("{nope").code(), Code::kInvalidArgument);
  Status st = t.AddFromJson(R"([{"name": "ok.one", "vcpus": 1, "memory_mib": 64}, {"name": "bad", "vcpus": -1, "memory_mib": 64}])");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("instance type bad"), std::string::npos);
  EXPECT_EQ(t.List().size(), before);
  EXPECT_FALSE(t.Find("ok.one").ok());
  EXPECT_EQ(t.AddFromJson(R"([{"vcpus": 1, "memory_mib": 64}])").code(), Code::kInvalidArgument);
  EXPECT_EQ(t.AddFromJson(R"([{"name": "x", "vcpus": "1", "memory_mib": 64}])").code(), Code::kInvalidArgument);
  EXPECT_EQ(t.LoadFile("/nonexistent/strt-types.json").code(), Code::kNotFound);
}

}  // namespace
}  // namespace stratus
