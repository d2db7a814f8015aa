#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "common/files.h"
#include "common/ids.h"
#include "common/process_tools.h"
#include "common/status.h"
#include "common/subprocess.h"

namespace stratus {
namespace {

TEST(Ids, ShapeMatchesAws) {
  std::string id = NewId("i");
  EXPECT_EQ(id.size(), 2u + 17u);
  EXPECT_TRUE(IsValidId(id, "i"));
  EXPECT_FALSE(IsValidId(id, "ami"));
  EXPECT_FALSE(IsValidId("i-XYZ", "i"));
  EXPECT_TRUE(IsValidId("i-1234abcd", "i"));
  EXPECT_NE(NewId("i"), NewId("i"));
}

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument(std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  STRATUS_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Status, ResultCarriesValueOrError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().ToString(), "InvalidArgument: 3 is odd");
}

TEST(Subprocess, CapturesOutputAndExitCode) {
  RunOptions opts;
  opts.stdin_data = "hello";
  auto r = RunProcess({"sh", "-c", "cat; echo err >&2; exit 3"}, opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "hello");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  auto c = RunChecked({"sh", "-c", "echo boom >&2; exit 1"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("boom"), std::string::npos);
}

TEST(Subprocess, OnLineSeesEveryLineAsItComes) {
  std::vector<std::string> lines;
  auto r = RunProcessWithLines({"sh", "-c", "echo one; echo 'I: two' >&2; printf 'three\\nfour'"}, {},
                               [&lines](const std::string& l) { lines.push_back(l); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::sort(lines.begin(), lines.end());  // stdout and stderr interleave as the scheduler pleases
  EXPECT_EQ(lines, (std::vector<std::string>{"I: two", "four", "one", "three"}));
  EXPECT_EQ(r->out, "one\nthree\nfour");
}

TEST(Subprocess, TimesOut) {
  RunOptions opts;
  opts.timeout = std::chrono::milliseconds(100);
  auto r = RunProcess({"sleep", "5"}, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

TEST(Files, AtomicWriteAndRemove) {
  std::string dir = testing::TempDir() + "/stratus-files-test";
  ASSERT_TRUE(MakeDirs(dir + "/a/b").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/a/b/f", "data").ok());
  EXPECT_EQ(*ReadFile(dir + "/a/b/f"), "data");
  ASSERT_TRUE(RemoveAll(dir).ok());
  EXPECT_FALSE(PathExists(dir));
  EXPECT_EQ(ReadFile(dir + "/x").status().code(), Code::kNotFound);
}

TEST(Files, FindInPathTakesTheFirstExecutableAndSkipsTheRest) {
  std::string dir = testing::TempDir() + "/stratus-path-test";
  ASSERT_TRUE(MakeDirs(dir + "/a").ok());
  ASSERT_TRUE(MakeDirs(dir + "/b").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/a/tool", "not executable", 0644).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/b/tool", "#!/bin/sh\n", 0755).ok());
  const char* saved = getenv("PATH");
  std::string old_path = saved ? saved : "";
  setenv("PATH", (dir + "/nonexistent:" + dir + "/a:" + dir + "/b").c_str(), 1);
  EXPECT_EQ(FindInPath("tool"), dir + "/b/tool");
  EXPECT_EQ(FindInPath("no-such-tool"), "");
  setenv("PATH", (dir + "/a").c_str(), 1);
  EXPECT_EQ(FindInPath("tool"), "");
  setenv("PATH", old_path.c_str(), 1);
  ASSERT_TRUE(RemoveAll(dir).ok());
}

}  // namespace
}  // namespace stratus
