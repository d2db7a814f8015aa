// The access log's size limit: it rotates to FILE.1 and keeps the latest lines within the limit.
#include "lb/access_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/files.h"

namespace stratus::lb {
namespace {

int64_t SizeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

TEST(AccessLog, RotatesAndStaysWithinItsLimit) {
  std::string path = testing::TempDir() + "/stratus-access-log-test.log";
  unlink(path.c_str());
  unlink((path + ".1").c_str());
  constexpr int64_t kMax = 8192;
  {
    AccessLog log;
    ASSERT_TRUE(log.Open(path, 1, kMax).ok());
    // Several batches (the writer drains every 200 ms), ~80 bytes a line, far more than the limit in all.
    for (int batch = 0; batch < 6; ++batch) {
      for (int i = 0; i < 40; ++i) log.Record(0, "10.0.0.1", "10.0.1.2", 80, 200 + batch, i);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    log.Record(0, "10.0.0.1", "10.0.1.2", 80, 599, 7);
  }  // the destructor writes what is left
  EXPECT_GT(SizeOf(path + ".1"), 0);
  EXPECT_LE(SizeOf(path) + SizeOf(path + ".1"), kMax);
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("status=599 ms=7\n"), std::string::npos) << *text;  // the latest line is kept
  unlink(path.c_str());
  unlink((path + ".1").c_str());
}

}  // namespace
}  // namespace stratus::lb
