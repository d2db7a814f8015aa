// EC2's limits per volume type, the API form and the store form.
#include "volume/volume.h"

#include <gtest/gtest.h>

namespace stratus {
namespace {

struct PerfCase {
  std::string type;
  int64_t size, iops, throughput;
  std::string error;  // "" = accepted
  int64_t want_iops = 0, want_throughput = 0;
};

TEST(VolumePerformanceTest, FollowsEc2LimitsPerType) {
  const std::vector<PerfCase> cases = {
      {"gp3", 10, 0, 0, "", 3000, 125},
      {"gp3", 100, 16000, 1000, "", 16000, 1000},
      {"gp3", 0, 0, 0, "InvalidParameterValue"},
      {"gp3", 16385, 0, 0, "InvalidParameterValue"},
      {"gp3", 8, 16000, 0, "InvalidParameterValue"},      // 2000 IOPS per GiB
      {"gp3", 100, 3000, 1000, "InvalidParameterValue"},  // 0.33 MiB/s per IOPS
      {"gp3", 100, 2000, 0, "InvalidParameterValue"},
      {"io2", 100, 5000, 0, "", 5000, 1000},
      {"io2", 100, 400, 0, "", 400, 100},
      {"io2", 100, 0, 0, "MissingParameter"},
      {"io2", 100, 5000, 200, "InvalidParameterCombination"},
      {"io2", 2, 1000, 0, "InvalidParameterValue"},
      {"io2", 10, 6000, 0, "InvalidParameterValue"},  // 600 per GiB
      {"st1", 1024, 0, 0, "", 40, 40},
      {"st1", 16384, 0, 0, "", 500, 500},
      {"st1", 100, 0, 0, "InvalidParameterValue"},
      {"st1", 500, 100, 0, "InvalidParameterCombination"},
      {"gp2", 10, 0, 0, "InvalidParameterValue"},
      {"standard", 10, 0, 0, "InvalidParameterValue"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type + " " + std::to_string(c.size) + " " + std::to_string(c.iops) + " " + std::to_string(c.throughput));
    auto p = ResolvePerformance(c.type, c.size, c.iops, c.throughput);
    if (c.error.empty()) {
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      EXPECT_EQ(p->iops, c.want_iops);
      EXPECT_EQ(p->throughput, c.want_throughput);
    } else {
      ASSERT_FALSE(p.ok());
      EXPECT_EQ(p.status().error_code(), c.error);
    }
  }
}

TEST(VolumeTest, StoreFormRoundTrips) {
  Volume v;
  v.volume_id = "vol-0123456789abcdef0";
  v.size_gib = 20;
  v.volume_type = "io2";
  v.iops = 4000;
  v.throughput = 1000;
  v.availability_zone = "local-a";
  v.encrypted = true;
  v.create_time = "2026-01-01T00:00:00Z";
  v.state = VolumeState::kInUse;
  v.client_token = "tok";
  v.tags = {{"Name", "data"}};
  v.attachment = VolumeAttachment{"i-0123456789abcdef0", "/dev/sdf", "attached", "2026-01-01T00:01:00Z", true};
  v.modification = VolumeModification{"completed", "", 10, 20, "gp3", "io2", 3000, 4000, 125, 1000, "a", "b"};
  auto back = VolumeFromStoreJson(ToStoreJson(v));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToStoreJson(*back), ToStoreJson(v));
  EXPECT_EQ(back->state, VolumeState::kInUse);
  ASSERT_TRUE(back->attachment.has_value());
  EXPECT_TRUE(back->attachment->delete_on_termination);
  auto api = ToJson(v);
  EXPECT_EQ(api["State"], "in-use");
  EXPECT_EQ(api["Attachments"][0]["Device"], "/dev/sdf");
  EXPECT_FALSE(api.contains("ClientToken"));
}

TEST(VolumeTest, CreateRequestFromEc2Members) {
  auto r = CreateVolumeRequestFromJson(
      {{"Size", 8}, {"VolumeType", "gp3"}, {"Encrypted", true}, {"AvailabilityZone", "z"},
       {"TagSpecifications", {{{"ResourceType", "volume"}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}},
                              {{"ResourceType", "snapshot"}, {"Tags", {{{"Key", "x"}, {"Value", "y"}}}}}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size_gib, 8);
  EXPECT_TRUE(r->encrypted);
  ASSERT_EQ(r->tags.size(), 1u);
  EXPECT_EQ(r->tags[0].key, "a");
  auto bad = CreateVolumeRequestFromJson({{"Size", "eight"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().error_code(), "InvalidParameterValue");
  auto reserved = CreateVolumeRequestFromJson({{"Size", 1}, {"Tags", {{{"Key", "aws:x"}, {"Value", "1"}}}}});
  EXPECT_FALSE(reserved.ok());
}

TEST(VolumeTest, DeviceNames) {
  EXPECT_EQ(*DeviceShortName("/dev/sdf"), "sdf");
  EXPECT_EQ(*DeviceShortName("/dev/xvdg"), "xvdg");
  EXPECT_EQ(*DeviceShortName("xvdba"), "xvdba");
  for (const char* bad : {"/dev/sda", "/dev/xvda", "/dev/sdf1", "/dev/../etc", "/dev/nvme1n1", "", "/dev/sd", "/dev/sdF"}) {
    auto r = DeviceShortName(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().error_code(), "InvalidParameterValue");
    }
  }
}

}  // namespace
}  // namespace stratus
