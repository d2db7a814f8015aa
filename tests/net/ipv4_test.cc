#include "net/ipv4.h"

#include <gtest/gtest.h>

namespace stratus::net {
namespace {

TEST(Ipv4Test, ParseAndFormat) {
  auto ip = ParseIpv4("172.31.16.1");
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(*ip, 0xac1f1001u);
  EXPECT_EQ(FormatIpv4(*ip), "172.31.16.1");
  EXPECT_FALSE(ParseIpv4("172.31.16").ok());
  EXPECT_FALSE(ParseIpv4("").ok());
  EXPECT_FALSE(ParseIpv4("1.2.3.256").ok());
}

TEST(Ipv4Test, Cidr) {
  auto c = ParseCidr("172.31.16.0/20");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ToString(), "172.31.16.0/20");
  EXPECT_EQ(FormatIpv4(c->FirstHost()), "172.31.16.1");
  EXPECT_TRUE(c->Contains(*ParseIpv4("172.31.31.255")));
  EXPECT_FALSE(c->Contains(*ParseIpv4("172.31.32.0")));
  EXPECT_TRUE(c->Overlaps(*ParseCidr("172.31.0.0/16")));
  EXPECT_FALSE(c->Overlaps(*ParseCidr("172.31.0.0/20")));
  EXPECT_TRUE(ParseCidr("0.0.0.0/0").ok());
  auto bad = ParseCidr("172.31.16.5/20");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("172.31.16.0/20"), std::string::npos);
  EXPECT_FALSE(ParseCidr("172.31.16.0").ok());
  EXPECT_FALSE(ParseCidr("172.31.16.0/33").ok());
  EXPECT_FALSE(ParseCidr("172.31.16.0/").ok());
  EXPECT_FALSE(ParseCidr("172.31.16.0/2x").ok());
}

}  // namespace
}  // namespace stratus::net
