// Needs root: a bridge stnc*, namespaces stn-cni-*, addresses in 10.251.1.0/24.
#include "net/cni.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "net/netns.h"
#include "test_util.h"

namespace stratus::net {
namespace {

constexpr const char* kGateway = "10.251.1.1";

class CniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (!PathExists(std::string(kDefaultCniPluginDir) + "/bridge"))
      GTEST_SKIP() << "containernetworking-plugins missing";
    std::string suffix = RandomHex(6);
    bridge_ = "stnc" + suffix;
    prefix_ = "stn-cni-" + suffix + "-";
    char tmpl[] = "/tmp/stn-cni-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    ipam_dir_ = tmpl;
    // A fixed MAC, or the bridge takes its lowest port's, which changes and makes CHECK fail.
    ASSERT_TRUE(
        RunChecked({"ip", "link", "add", bridge_, "address", "02:53:00:00:00:01", "type", "bridge"}).ok());
    ASSERT_TRUE(RunChecked({"ip", "addr", "add", std::string(kGateway) + "/24", "dev", bridge_}).ok());
    ASSERT_TRUE(RunChecked({"ip", "link", "set", bridge_, "up"}).ok());
    config_ = BridgeNetworkJson({"stncni", bridge_, "10.251.1.0/24", kGateway, ipam_dir_, true});
  }
  void TearDown() override {
    if (bridge_.empty()) return;
    auto names = ListNetns(prefix_);
    if (names.ok()) {
      for (const auto& n : *names) EXPECT_TRUE(DeleteNetns(n).ok());
    }
    (void)RunProcess({"ip", "link", "del", bridge_});
    EXPECT_TRUE(RemoveAll(ipam_dir_).ok());
  }
  CniRuntime Runtime(const std::string& id) { return {id, NetnsPath(prefix_ + id), "eth0", ""}; }
  bool LeaseExists(const std::string& ip) { return PathExists(ipam_dir_ + "/stncni/" + ip); }

  std::string bridge_, prefix_, ipam_dir_;
  nlohmann::json config_;
  CniInvoker cni_;
};

TEST_F(CniTest, AddCheckDelWithConnectivity) {
  std::vector<CniResult> results;
  for (const char* id : {"c1", "c2", "c3"}) {
    ASSERT_TRUE(CreateNetns(prefix_ + id).ok());
    auto r = cni_.Add(config_, Runtime(id));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->gateway, kGateway);
    EXPECT_EQ(r->prefix_length, 24);
    EXPECT_EQ(r->ip.rfind("10.251.1.", 0), 0u) << r->ip;
    EXPECT_FALSE(r->mac.empty());
    EXPECT_TRUE(PathExists("/sys/class/net/" + r->host_veth)) << r->host_veth;
    EXPECT_TRUE(LeaseExists(r->ip));
    results.push_back(*r);
  }
  EXPECT_NE(results[0].ip, results[1].ip);
  EXPECT_NE(results[1].ip, results[2].ip);
  Status check = cni_.Check(config_, Runtime("c1"), results[0].raw);
  EXPECT_TRUE(check.ok()) << check.ToString();

  // Host -> instance: a listener on the instance's address inside its namespace.
  UniqueFd listener;
  ASSERT_TRUE(RunInNetns(NetnsPath(prefix_ + "c1"), [&] {
                listener = testing::Listen(results[0].ip, 0);
                return listener.valid() ? Status::Ok() : Internal("listen");
              }).ok());
  EXPECT_TRUE(testing::Connect(results[0].ip, testing::BoundPort(listener.get()), 2000).valid());
  // Instance -> host (the gateway address) and instance -> instance over the bridge.
  UniqueFd host_listener = testing::Listen(kGateway, 0);
  ASSERT_TRUE(host_listener.valid());
  bool to_host = false, to_peer = false;
  ASSERT_TRUE(RunInNetns(NetnsPath(prefix_ + "c2"), [&] {
                to_host = testing::Connect(kGateway, testing::BoundPort(host_listener.get()), 2000).valid();
                to_peer = testing::Connect(results[0].ip, testing::BoundPort(listener.get()), 2000).valid();
                return Status::Ok();
              }).ok());
  EXPECT_TRUE(to_host);
  EXPECT_TRUE(to_peer);

  for (size_t i = 0; i < 3; i++) {
    std::string id = "c" + std::to_string(i + 1);
    EXPECT_TRUE(cni_.Del(config_, Runtime(id)).ok());
    EXPECT_FALSE(LeaseExists(results[i].ip));
    EXPECT_FALSE(PathExists("/sys/class/net/" + results[i].host_veth));
    EXPECT_TRUE(cni_.Del(config_, Runtime(id)).ok()) << "DEL is idempotent";
  }
}

TEST_F(CniTest, RequestedAddressThroughCniArgs) {
  ASSERT_TRUE(CreateNetns(prefix_ + "f1").ok());
  CniRuntime rt = Runtime("f1");
  rt.args = "IgnoreUnknown=1;IP=10.251.1.77";
  auto r = cni_.Add(config_, rt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ip, "10.251.1.77");
  ASSERT_TRUE(CreateNetns(prefix_ + "f2").ok());
  CniRuntime taken = Runtime("f2");
  taken.args = rt.args;
  auto dup = cni_.Add(config_, taken);
  EXPECT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("not available"), std::string::npos) << dup.status().ToString();
  EXPECT_TRUE(cni_.Del(config_, taken).ok());
  EXPECT_TRUE(cni_.Del(config_, rt).ok());
}

TEST_F(CniTest, DelWithoutNamespaceReleasesLease) {
  ASSERT_TRUE(CreateNetns(prefix_ + "d1").ok());
  auto r = cni_.Add(config_, Runtime("d1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(DeleteNetns(prefix_ + "d1").ok());
  CniRuntime rt = Runtime("d1");
  rt.netns_path.clear();
  EXPECT_TRUE(cni_.Del(config_, rt).ok());
  EXPECT_FALSE(LeaseExists(r->ip));
}

TEST_F(CniTest, PluginErrorsAreReported) {
  nlohmann::json bad = config_;
  bad["type"] = "no-such-plugin";
  EXPECT_FALSE(cni_.Add(bad, Runtime("x")).ok());
  auto r = cni_.Add(config_, Runtime("missing-netns"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("CNI bridge ADD failed"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(cni_.Add(config_, Runtime("-bad")).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace stratus::net
