// Needs root: creates network namespaces named stn-ns-*.
#include "net/netns.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "test_util.h"

namespace stratus::net {
namespace {

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    prefix_ = "stn-ns-" + RandomHex(6) + "-";
  }
  void TearDown() override {
    auto names = ListNetns(prefix_);
    if (names.ok()) {
      for (const auto& n : *names) EXPECT_TRUE(DeleteNetns(n).ok());
    }
  }
  std::string prefix_;
};

TEST_F(NetnsTest, CreateListDelete) {
  std::string a = prefix_ + "a", b = prefix_ + "b";
  ASSERT_TRUE(CreateNetns(a).ok());
  ASSERT_TRUE(CreateNetns(b).ok());
  EXPECT_EQ(CreateNetns(a).code(), Code::kAlreadyExists);
  EXPECT_TRUE(NetnsExists(a));
  auto names = ListNetns(prefix_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{a, b}));
  EXPECT_TRUE(DeleteNetns(a).ok());
  EXPECT_FALSE(NetnsExists(a));
  EXPECT_TRUE(DeleteNetns(a).ok()) << "deleting a missing namespace succeeds";
  EXPECT_EQ(ListNetns(prefix_)->size(), 1u);
}

TEST_F(NetnsTest, RejectsBadNames) {
  EXPECT_EQ(CreateNetns("../etc").code(), Code::kInvalidArgument);
  EXPECT_EQ(CreateNetns("").code(), Code::kInvalidArgument);
  EXPECT_EQ(CreateNetns("a b").code(), Code::kInvalidArgument);
}

TEST_F(NetnsTest, RunInsideSeesOnlyLoopbackAndIsolatesSockets) {
  std::string n = prefix_ + "run";
  ASSERT_TRUE(CreateNetns(n).ok());
  // A listener on 127.0.0.1 inside the namespace is not reachable from the host's loopback.
  UniqueFd listener;
  std::string dev;
  ASSERT_TRUE(RunInNetns(NetnsPath(n), [&]() -> Status {
                listener = testing::Listen("127.0.0.1", 0);
                STRATUS_ASSIGN_OR_RETURN(dev, ReadFile("/proc/thread-self/net/dev"));
                return listener.valid() ? Status::Ok() : Internal("listen failed");
              }).ok());
  EXPECT_NE(dev.find("lo:"), std::string::npos);
  EXPECT_EQ(dev.find("eth0"), std::string::npos);
  int port = testing::BoundPort(listener.get());
  bool inside_ok = false;
  ASSERT_TRUE(RunInNetns(NetnsPath(n), [&]() -> Status {
                inside_ok = testing::Connect("127.0.0.1", port, 1000).valid();  // loopback is up
                return Status::Ok();
              }).ok());
  EXPECT_TRUE(inside_ok);
  // Unless the host happens to listen on the same port, this is refused.
  UniqueFd probe = testing::Listen("127.0.0.1", port);
  if (probe.valid()) {
    probe.reset();
    EXPECT_FALSE(testing::Connect("127.0.0.1", port, 500).valid());
  }
}

TEST_F(NetnsTest, RunInMissingNamespaceIsNotFound) {
  EXPECT_EQ(RunInNetns(NetnsPath(prefix_ + "missing"), [] { return Status::Ok(); }).code(), Code::kNotFound);
}

TEST_F(NetnsTest, ConcurrentCreates) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; i++) {
    threads.emplace_back([&, i] {
      if (CreateNetns(prefix_ + "c" + std::to_string(i)).ok()) ok++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(ListNetns(prefix_)->size(), 8u);
}

TEST_F(NetnsTest, GuardDeletesUnlessReleased) {
  std::string a = prefix_ + "g1", b = prefix_ + "g2";
  ASSERT_TRUE(CreateNetns(a).ok());
  ASSERT_TRUE(CreateNetns(b).ok());
  { NetnsGuard g(a); }
  {
    NetnsGuard g(b);
    g.Release();
  }
  EXPECT_FALSE(NetnsExists(a));
  EXPECT_TRUE(NetnsExists(b));
}

TEST_F(NetnsTest, PeerIndexAndDeleteLink) {
  std::string n = prefix_ + "veth";
  ASSERT_TRUE(CreateNetns(n).ok());
  ASSERT_TRUE(
      RunChecked({"ip", "netns", "exec", n, "ip", "link", "add", "stnv0", "type", "veth", "peer", "stnv1"})
          .ok());
  Status st = RunInNetns(NetnsPath(n), []() -> Status {
    STRATUS_ASSIGN_OR_RETURN(int peer, LinkPeerIndex("stnv0"));
    if (peer != static_cast<int>(if_nametoindex("stnv1"))) return Internal("wrong peer index");
    if (LinkPeerIndex("lo").ok()) return Internal("lo has no peer");
    if (LinkPeerIndex("nope").status().code() != Code::kNotFound) return Internal("nope exists?");
    STRATUS_RETURN_IF_ERROR(DeleteLink("stnv0"));
    if (if_nametoindex("stnv1") != 0) return Internal("the peer survived");
    if (DeleteLink("stnv0").code() != Code::kNotFound) return Internal("deleted twice?");
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(NetnsTest, UnnamedThenNamed) {
  auto fd = NewUnnamedNetns();
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(NameNetns(fd->get(), prefix_ + "named").ok());
  EXPECT_TRUE(NetnsExists(prefix_ + "named"));
}

}  // namespace
}  // namespace stratus::net
