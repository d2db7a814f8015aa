#include <gtest/gtest.h>

#include "net/cni.h"

namespace stratus::net {
namespace {

// What Debian's bridge plugin 1.1.1 prints for an ADD.
constexpr const char* kBridgeResult = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "stnprbr0", "mac": "8e:4b:5f:63:e0:60"},
    {"name": "veth3ce5e8c7", "mac": "8e:4b:5f:63:e0:60"},
    {"name": "eth0", "mac": "2a:bf:4e:be:64:a3", "sandbox": "/var/run/netns/stn-proto1"}
  ],
  "ips": [{"interface": 2, "address": "10.251.250.77/24", "gateway": "10.251.250.1"}],
  "routes": [{"dst": "0.0.0.0/0"}],
  "dns": {}
})";

TEST(CniResultTest, ParsesBridgeResult) {
  auto r = ParseCniResult(nlohmann::json::parse(kBridgeResult), "eth0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ip, "10.251.250.77");
  EXPECT_EQ(r->prefix_length, 24);
  EXPECT_EQ(r->gateway, "10.251.250.1");
  EXPECT_EQ(r->mac, "2a:bf:4e:be:64:a3");
  EXPECT_EQ(r->host_veth, "veth3ce5e8c7");
}

TEST(CniResultTest, NoAddressIsAnError) {
  auto r = ParseCniResult(nlohmann::json::parse(R"({"cniVersion":"1.0.0","ips":[]})"), "eth0");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(ParseCniResult(nlohmann::json::array(), "eth0").ok());
}

TEST(CniResultTest, BridgeConfigHasNoIpMasq) {
  nlohmann::json c = BridgeNetworkJson({"stn", "stnbr0", "10.251.0.0/20", "10.251.0.1", "/tmp/x", true});
  EXPECT_EQ(c["type"], "bridge");
  EXPECT_EQ(c["ipMasq"], false);
  EXPECT_EQ(c["isGateway"], true);
  EXPECT_EQ(c["ipam"]["type"], "host-local");
  EXPECT_EQ(c["ipam"]["dataDir"], "/tmp/x");
  EXPECT_EQ(c["ipam"]["ranges"][0][0]["subnet"], "10.251.0.0/20");
}

}  // namespace
}  // namespace stratus::net
