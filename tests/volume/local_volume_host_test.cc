// LocalVolumeHost on a temporary directory: reserved files, growth, listing and removal (no root needed).
#include "volume/local_volume_host.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"

namespace stratus {
namespace {

class LocalVolumeHostTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = std::filesystem::temp_directory_path() / ("volhost-" + RandomHex(8)); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// The bytes the file holds on disk (allocated blocks), not its apparent size.
uint64_t Allocated(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

TEST_F(LocalVolumeHostTest, CreateReservesTheWholeSizeAndGrowReservesMore) {
  LocalVolumeHost host((dir_ / "volumes").string());
  const uint64_t mib = 1024 * 1024;
  ASSERT_TRUE(host.Create("vol-1", 8 * mib).ok());
  std::string path = host.FileOf("vol-1");
  EXPECT_EQ(std::filesystem::file_size(path), 8 * mib);
  EXPECT_GE(Allocated(path), 8 * mib);
  ASSERT_TRUE(host.Create("vol-1", 8 * mib).ok()) << "a retried create of the same size";
  ASSERT_TRUE(host.Grow("vol-1", 12 * mib, nullptr).ok());
  EXPECT_EQ(std::filesystem::file_size(path), 12 * mib);
  EXPECT_GE(Allocated(path), 12 * mib);
  EXPECT_EQ(host.Create("vol-1", 4 * mib).code(), Code::kAlreadyExists);
  EXPECT_EQ(host.Grow("vol-2", mib, nullptr).code(), Code::kNotFound);
  ASSERT_TRUE(host.Create("vol-2", mib).ok());
  EXPECT_EQ(*host.List(), (std::set<std::string>{"vol-1", "vol-2"}));
  ASSERT_TRUE(host.Remove("vol-1").ok());
  ASSERT_TRUE(host.Remove("vol-1").ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(*host.List(), (std::set<std::string>{"vol-2"}));
}

TEST_F(LocalVolumeHostTest, ACreateLargerThanTheDiskFailsClearly) {
  LocalVolumeHost host((dir_ / "volumes").string());
  // 1 EiB: more than any test machine's disk, and past ext4's and XFS's largest file.
  Status st = host.Create("vol-big", uint64_t{1} << 60);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kResourceExhausted) << st.ToString();
  EXPECT_EQ(st.error_code(), "InsufficientVolumeCapacity");
}

TEST_F(LocalVolumeHostTest, ListOfAMissingDirIsEmpty) {
  LocalVolumeHost host((dir_ / "none").string());
  auto ids = host.List();
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

}  // namespace
}  // namespace stratus
