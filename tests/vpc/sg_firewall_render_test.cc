// SecurityGroupFirewall without the kernel: the nft scripts it writes, and what it keeps when nft refuses one.
#include <gtest/gtest.h>

#include "vpc/sg_firewall.h"

namespace stratus::vpc {
namespace {

Rule In(const std::string& proto, int from, int to, const std::string& cidr, const std::string& group = "") {
  Rule r;
  r.rule_id = "sgr-1";
  r.protocol = proto;
  r.from_port = from;
  r.to_port = to;
  r.cidr = cidr;
  r.referenced_group_id = group;
  return r;
}

TEST(SecurityGroupFirewallRender, RuleMatches) {
  EXPECT_EQ(RuleMatch(In("tcp", 5432, 5432, "", "sg-web")), "ip saddr @m-sg-web tcp dport 5432");
  EXPECT_EQ(RuleMatch(In("udp", 1000, 2000, "10.0.0.0/8")), "ip saddr 10.0.0.0/8 udp dport 1000-2000");
  EXPECT_EQ(RuleMatch(In("tcp", 0, 65535, "0.0.0.0/0")), "meta l4proto tcp");
  EXPECT_EQ(RuleMatch(In("icmp", -1, -1, "0.0.0.0/0")), "meta l4proto icmp");
  EXPECT_EQ(RuleMatch(In("icmp", 8, -1, "0.0.0.0/0")), "icmp type 8");
  EXPECT_EQ(RuleMatch(In("icmp", 3, 4, "0.0.0.0/0")), "icmp type 3 icmp code 4");
  EXPECT_EQ(RuleMatch(In("-1", -1, -1, "0.0.0.0/0")), "");
  Rule out = In("-1", -1, -1, "192.168.0.0/16");
  out.egress = true;
  EXPECT_EQ(RuleMatch(out), "ip daddr 192.168.0.0/16");
}

class RenderTest : public ::testing::Test {
 protected:
  RenderTest() {
    FirewallOptions o;
    o.table = "t1-sg";
    o.guarded_cidrs = {"10.0.0.0/24", "10.0.1.0/24"};
    o.apply = [this](const std::string& script) {
      scripts_.push_back(script);
      return refuse_ ? Internal("refused") : Status::Ok();
    };
    o.lookup = [](const std::string& id) -> Result<SecurityGroup> {
      if (id == "sg-late") return SecurityGroup{id, "late", "", "vpc-1", {}, {In("tcp", 22, 22, "0.0.0.0/0")}};
      return NotFound(id).WithErrorCode("InvalidGroup.NotFound");
    };
    fw_ = std::make_unique<SecurityGroupFirewall>(o);
  }

  std::vector<std::string> scripts_;
  bool refuse_ = false;
  std::unique_ptr<SecurityGroupFirewall> fw_;
};

TEST_F(RenderTest, SyncWritesOneTableWithSetsChainsAndMaps) {
  SecurityGroup web{"sg-web", "web", "", "vpc-1", {}, {In("tcp", 80, 80, "0.0.0.0/0")}};
  SecurityGroup db{"sg-db", "db", "", "vpc-1", {}, {In("tcp", 5432, 5432, "", "sg-web")}};
  ASSERT_TRUE(fw_->Sync({web, db}, {{"i-1", "10.0.0.2", {"sg-web"}}, {"i-2", "10.0.1.2", {"sg-db", "sg-gone"}}}).ok());
  ASSERT_EQ(scripts_.size(), 1u);
  const std::string& s = scripts_[0];
  EXPECT_EQ(s.rfind("table inet t1-sg {}\ndelete table inet t1-sg\ntable inet t1-sg {", 0), 0u) << s;
  EXPECT_NE(s.find("set m-sg-web {\n    type ipv4_addr\n    elements = { 10.0.0.2 }"), std::string::npos) << s;
  EXPECT_NE(s.find("ip saddr @m-sg-web tcp dport 5432 accept"), std::string::npos) << s;
  EXPECT_NE(s.find("10.0.1.2 : jump i-2-in"), std::string::npos) << s;
  EXPECT_NE(s.find("chain i-2-in {\n    jump sg-db-in\n    jump sg-gone-in\n  }"), std::string::npos) << s;
  EXPECT_NE(s.find("chain sg-gone-in {\n  }"), std::string::npos) << s;  // unknown group: admits nothing
  EXPECT_NE(s.find("elements = { 10.0.0.0/24, 10.0.1.0/24 }"), std::string::npos) << s;
  EXPECT_NE(s.find("ct state established,related accept\n    ip daddr vmap @ingress\n    ip daddr @guarded drop"),
            std::string::npos) << s;
}

TEST_F(RenderTest, ChangesAreSmallTransactionsAndRefusalsKeepTheOldState) {
  ASSERT_TRUE(fw_->Sync({}, {}).ok());
  scripts_.clear();
  FilteredInterface a{"i-1", "10.0.0.2", {"sg-late"}};
  ASSERT_TRUE(fw_->SetInterface(a).ok());
  ASSERT_EQ(scripts_.size(), 1u);
  EXPECT_NE(scripts_[0].find("add rule inet t1-sg sg-late-in tcp dport 22 accept"), std::string::npos) << scripts_[0];
  EXPECT_NE(scripts_[0].find("add element inet t1-sg m-sg-late { 10.0.0.2 }"), std::string::npos);
  EXPECT_NE(scripts_[0].find("add element inet t1-sg ingress { 10.0.0.2 : jump i-1-in }"), std::string::npos);
  ASSERT_TRUE(fw_->SetInterface(a).ok());
  EXPECT_EQ(scripts_.size(), 1u);  // nothing changed: no transaction

  // A refused change leaves the record as it was: the same change is tried in full next time.
  refuse_ = true;
  FilteredInterface moved{"i-1", "10.0.0.2", {"sg-late", "sg-other"}};
  EXPECT_FALSE(fw_->SetInterface(moved).ok());
  refuse_ = false;
  ASSERT_TRUE(fw_->SetInterface(moved).ok());
  ASSERT_EQ(scripts_.size(), 3u);
  EXPECT_EQ(scripts_[1], scripts_[2]);
  EXPECT_NE(scripts_[2].find("add element inet t1-sg m-sg-other { 10.0.0.2 }"), std::string::npos) << scripts_[2];
  EXPECT_EQ(scripts_[2].find("m-sg-late { 10.0.0.2 }"), std::string::npos) << scripts_[2];  // stays a member

  SecurityGroup late{"sg-late", "late", "", "vpc-1", {}, {}};
  ASSERT_TRUE(fw_->SetGroup(late).ok());
  EXPECT_NE(scripts_.back().find("flush chain inet t1-sg sg-late-in\n"), std::string::npos);
  EXPECT_EQ(scripts_.back().find("add rule"), std::string::npos);  // the group's rules are gone
  EXPECT_FALSE(fw_->RemoveGroup("sg-late").ok());                 // an interface uses it

  ASSERT_TRUE(fw_->RemoveInterface("i-1").ok());
  EXPECT_NE(scripts_.back().find("delete element inet t1-sg ingress { 10.0.0.2 }"), std::string::npos);
  EXPECT_NE(scripts_.back().find("delete chain inet t1-sg i-1-out"), std::string::npos);
  ASSERT_TRUE(fw_->RemoveGroup("sg-late").ok());
  size_t n = scripts_.size();
  ASSERT_TRUE(fw_->RemoveInterface("i-1").ok());  // unknown: nothing to do
  EXPECT_EQ(scripts_.size(), n);
}

TEST_F(RenderTest, MalformedNamesNeverReachNft) {
  ASSERT_TRUE(fw_->Sync({}, {}).ok());
  size_t n = scripts_.size();
  EXPECT_FALSE(fw_->SetInterface({"i-1; flush ruleset", "10.0.0.2", {"sg-a"}}).ok());
  EXPECT_FALSE(fw_->SetInterface({"i-1", "10.0.0.2 }", {"sg-a"}}).ok());
  EXPECT_FALSE(fw_->SetInterface({"i-1", "10.0.0.2", {}}).ok());
  EXPECT_FALSE(fw_->SetGroup({"sg-x", "", "", "", {}, {In("tcp", 1, 1, "1.2.3.0/24 accept")}}).ok());
  EXPECT_EQ(scripts_.size(), n);
}

TEST_F(RenderTest, BeforeTheFirstSyncChangesAreOnlyRecorded) {
  ASSERT_TRUE(fw_->SetInterface({"i-9", "10.0.0.9", {"sg-late"}}).ok());
  ASSERT_TRUE(fw_->RemoveInterface("i-8").ok());
  EXPECT_TRUE(scripts_.empty());
  // The store's list still has i-8 (its removal raced the start): it stays out; i-9 is kept.
  ASSERT_TRUE(fw_->Sync({}, {{"i-8", "10.0.0.8", {"sg-late"}}}).ok());
  ASSERT_EQ(scripts_.size(), 1u);
  EXPECT_NE(scripts_[0].find("10.0.0.9 : jump i-9-in"), std::string::npos);
  EXPECT_EQ(scripts_[0].find("10.0.0.8"), std::string::npos);
}

}  // namespace
}  // namespace stratus::vpc
