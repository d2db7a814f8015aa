#include "compute/runc.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "common/ids.h"

namespace stratus {
namespace {

TEST(RuncTest, ErrorsAreClassified) {
  EXPECT_EQ(RuntimeError("runc state", "container does not exist").code(), Code::kNotFound);
  EXPECT_EQ(RuntimeError("runc run", "container with id exists: i-1").code(), Code::kAlreadyExists);
  EXPECT_EQ(RuntimeError("runc kill", "container not running").code(), Code::kFailedPrecondition);
  Status st = RuntimeError("start instance i-1", "unable to start container process: exec: no such file\n");
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(st.message(), "start instance i-1: unable to start container process: exec: no such file");
  EXPECT_EQ(RuntimeError("runc x", "").message(), "runc x: failed without a message");
}

// Against the real runc, with a root nobody uses: no container exists.
TEST(RuncTest, UnknownContainer) {
  std::string root = "/run/strt-test-" + RandomHex(8);
  OciRuntimeCli cli("runc", root);
  auto list = cli.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty());
  if (geteuid() != 0) GTEST_SKIP() << "runc state needs root";
  auto st = cli.State("i-nope");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), Code::kNotFound) << st.status().ToString();
  EXPECT_TRUE(cli.Delete("i-nope", true).ok());
  EXPECT_EQ(cli.Kill("i-nope", 15).code(), Code::kNotFound);
  (void)RemoveAll(root);
}

}  // namespace
}  // namespace stratus
