#include "vpc/vpc_model.h"

#include <gtest/gtest.h>

namespace stratus::vpc {
namespace {

using nlohmann::json;

std::string CodeOf(const Result<std::vector<Rule>>& r) { return r.ok() ? "ok" : r.status().error_code(); }

TEST(RulesFromPermissions, OneRulePerSourceNormalized) {
  json perms = json::parse(R"([{"IpProtocol": "6", "FromPort": 80, "ToPort": 81,
      "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "lan"}, {"CidrIp": "0.0.0.0/0"}],
      "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]},
      {"IpProtocol": "all", "FromPort": 5, "IpRanges": [{"CidrIp": "1.2.3.4/32"}]},
      {"IpProtocol": "icmp", "FromPort": -1, "ToPort": 3, "IpRanges": [{"CidrIp": "1.2.3.0/24"}]}])");
  auto rules = RulesFromPermissions(perms, false);
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->size(), 5u);
  EXPECT_EQ((*rules)[0].protocol, "tcp");
  EXPECT_EQ((*rules)[0].from_port, 80);
  EXPECT_EQ((*rules)[0].to_port, 81);
  EXPECT_EQ((*rules)[0].description, "lan");
  EXPECT_EQ((*rules)[2].referenced_group_id, "sg-0123456789abcdef0");
  EXPECT_EQ((*rules)[3].protocol, "-1");
  EXPECT_EQ((*rules)[3].from_port, -1);  // ports mean nothing for all traffic
  EXPECT_EQ((*rules)[4].to_port, -1);    // every ICMP type: every code
}

TEST(RulesFromPermissions, RefusesBadValuesWithEc2Codes) {
  auto parse = [](const char* text) { return RulesFromPermissions(json::parse(text), false); };
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "gre", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])")), "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "tcp", "FromPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])")),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])")),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "udp", "FromPort": 1, "ToPort": 70000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])")),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "icmp", "FromPort": 300, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])")),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.0.0.5/8"}]}])")),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "tcp", "FromPort": "x", "ToPort": 2}])")), "InvalidParameterValue");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2}])")), "MissingParameter");
  EXPECT_EQ(CodeOf(parse(R"([])")), "MissingParameter");
  EXPECT_EQ(CodeOf(parse(R"([{"IpProtocol": "-1", "UserIdGroupPairs": [{}]}])")), "MissingParameter");
}

TEST(SecurityGroupJson, RoundTripsAndGroupsPermissions) {
  SecurityGroup g{"sg-1", "web", "web tier", "vpc-1", {{"Name", "w"}}, {}};
  g.rules.push_back({"sgr-1", "sg-1", false, "tcp", 80, 80, "0.0.0.0/0", "", "http"});
  g.rules.push_back({"sgr-2", "sg-1", false, "tcp", 80, 80, "", "sg-2", ""});
  g.rules.push_back({"sgr-3", "sg-1", true, "-1", -1, -1, "0.0.0.0/0", "", ""});
  json j = ToJson(g);
  ASSERT_EQ(j["IpPermissions"].size(), 1u);
  EXPECT_EQ(j["IpPermissions"][0]["IpRanges"][0]["CidrIp"], "0.0.0.0/0");
  EXPECT_EQ(j["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"], "sg-2");
  EXPECT_EQ(j["IpPermissionsEgress"].size(), 1u);
  auto back = SecurityGroupFromJson(j);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->rules.size(), 3u);
  EXPECT_TRUE(back->rules[1].SameTraffic(g.rules[1]));
  EXPECT_EQ(back->rules[0].description, "http");
  EXPECT_EQ(back->tags, g.tags);
}

}  // namespace
}  // namespace stratus::vpc
