#include "compute/overlay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/files.h"
#include "common/ids.h"

namespace stratus {
namespace {

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting needs root";
    base_ = "/tmp/strt-overlay-" + RandomHex(8);
    ASSERT_TRUE(MakeDirs(base_ + "/l1").ok());
    ASSERT_TRUE(MakeDirs(base_ + "/l2").ok());
    ASSERT_TRUE(WriteFileAtomic(base_ + "/l1/a", "top").ok());
    ASSERT_TRUE(WriteFileAtomic(base_ + "/l2/a", "bottom").ok());
    ASSERT_TRUE(WriteFileAtomic(base_ + "/l2/b", "only-bottom").ok());
    spec_ = {{base_ + "/l1", base_ + "/l2"}, base_ + "/upper", base_ + "/work", base_ + "/mnt"};
  }
  void TearDown() override {
    if (base_.empty()) return;
    (void)UnmountOverlay(spec_.target);
    (void)RemoveAll(base_);
  }
  std::string base_;
  OverlaySpec spec_;
};

TEST_F(OverlayTest, MountLayersTopFirstAndUnmountIdempotently) {
  ASSERT_TRUE(MountOverlay(spec_).ok());
  EXPECT_TRUE(IsMountPoint(spec_.target));
  EXPECT_EQ(*ReadFile(spec_.target + "/a"), "top");
  EXPECT_EQ(*ReadFile(spec_.target + "/b"), "only-bottom");
  ASSERT_TRUE(WriteFileAtomic(spec_.target + "/c", "new").ok());
  EXPECT_EQ(MountOverlay(spec_).code(), Code::kAlreadyExists);
  EXPECT_TRUE(UnmountOverlay(spec_.target).ok());
  EXPECT_FALSE(IsMountPoint(spec_.target));
  EXPECT_TRUE(UnmountOverlay(spec_.target).ok());
  EXPECT_TRUE(UnmountOverlay(base_ + "/never-existed").ok());
  EXPECT_EQ(*ReadFile(spec_.upper_dir + "/c"), "new");  // writes land in the upper dir
}

TEST_F(OverlayTest, ScopedOverlayUnmountsUnlessReleased) {
  {
    auto m = ScopedOverlay::Mount(spec_);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(IsMountPoint(spec_.target));
  }
  EXPECT_FALSE(IsMountPoint(spec_.target));
  {
    auto m = ScopedOverlay::Mount(spec_);
    ASSERT_TRUE(m.ok());
    (*m)->Release();
  }
  EXPECT_TRUE(IsMountPoint(spec_.target));
}

TEST_F(OverlayTest, MissingLayerIsNamed) {
  spec_.lower_dirs.push_back(base_ + "/missing");
  Status st = MountOverlay(spec_);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing does not exist"), std::string::npos) << st.message();
  EXPECT_FALSE(IsMountPoint(spec_.target));
  spec_.lower_dirs = {base_ + "/l1:x"};
  EXPECT_EQ(MountOverlay(spec_).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace stratus
