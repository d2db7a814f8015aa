#include "vpc/vpc_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"
#include "store/sqlite_store.h"

namespace stratus::vpc {
namespace {

using nlohmann::json;

const VpcInfo kDefault{"vpc-00000000000000001", "172.31.0.0/16",
                       {{"subnet-00000000000000001", "172.31.0.0/20", "locala"},
                        {"subnet-00000000000000002", "172.31.16.0/20", "localb"}}};

class VpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vpc-test-" + RandomHex(8));
    std::filesystem::create_directories(dir_);
    auto opened = OpenSqliteStore((dir_ / "db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    VpcLimits limits;
    limits.vpcs = 3;
    limits.rules_per_direction = 4;
    svc_ = std::make_unique<VpcService>(store_.get(), limits);
    ASSERT_TRUE(svc_->Init(kDefault).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Everything the service keeps, for "a refusal changes nothing".
  std::vector<std::pair<std::string, std::string>> Snapshot() {
    auto kvs = store_->List("network/");
    EXPECT_TRUE(kvs.ok());
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : *kvs) out.emplace_back(kv.key, kv.value);
    return out;
  }

  std::vector<Rule> Perm(const std::string& text) {
    auto r = RulesFromPermissions(json::parse(text), false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Rule>{};
  }

  std::filesystem::path dir_;
  StorePtr store_;
  std::unique_ptr<VpcService> svc_;
};

template <typename T>
std::string CodeOf(const Result<T>& r) { return r.ok() ? "ok" : r.status().error_code(); }
std::string CodeOf(const Status& s) { return s.ok() ? "ok" : s.error_code(); }

TEST_F(VpcServiceTest, DefaultVpcIsMirroredOnceWithItsDefaultGroup) {
  auto vpcs = svc_->DescribeVpcs();
  ASSERT_TRUE(vpcs.ok());
  ASSERT_EQ(vpcs->size(), 1u);
  EXPECT_TRUE((*vpcs)[0].is_default);
  EXPECT_EQ((*vpcs)[0].cidr, "172.31.0.0/16");
  auto subnets = svc_->DescribeSubnets();
  ASSERT_EQ(subnets->size(), 2u);
  EXPECT_TRUE((*subnets)[0].default_for_az);
  auto groups = svc_->DescribeSecurityGroups();
  ASSERT_EQ(groups->size(), 1u);
  const SecurityGroup& g = (*groups)[0];
  EXPECT_EQ(g.group_name, "default");
  EXPECT_EQ(g.vpc_id, kDefault.vpc_id);
  // AWS's default rules: everything from the group itself, everything out.
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_FALSE(g.rules[0].egress);
  EXPECT_EQ(g.rules[0].referenced_group_id, g.group_id);
  EXPECT_TRUE(g.rules[1].egress);
  EXPECT_EQ(g.rules[1].cidr, "0.0.0.0/0");
  // A restart changes nothing.
  auto before = Snapshot();
  ASSERT_TRUE(svc_->Init(kDefault).ok());
  EXPECT_EQ(Snapshot(), before);
  // By name, in the default VPC.
  EXPECT_EQ(svc_->FindGroup({"", "default"})->group_id, g.group_id);
}

TEST_F(VpcServiceTest, VpcsOverlapAndSubnetsFitInside) {
  auto a = svc_->CreateVpc("10.0.0.0/16", {{"Name", "a"}});
  auto b = svc_->CreateVpc("10.0.0.0/16", {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->vpc_id, b->vpc_id);
  EXPECT_TRUE(svc_->CreateVpc("192.168.7.16/28", {}).ok());
  auto s1 = svc_->CreateSubnet({a->vpc_id, "10.0.1.0/24", "localb", true, {}});
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->availability_zone, "localb");
  EXPECT_TRUE(s1->map_public_ip_on_launch);
  // The same block in the other VPC is fine.
  EXPECT_TRUE(svc_->CreateSubnet({b->vpc_id, "10.0.1.0/24", "", false, {}}).ok());
  auto s2 = svc_->CreateSubnet({a->vpc_id, "10.0.2.0/28", "", false, {}});
  ASSERT_TRUE(s2.ok());
  EXPECT_FALSE(s2->availability_zone.empty());
  EXPECT_EQ(ToJson(*s2)["AvailableIpAddressCount"], 11);
  // Each VPC has its default group.
  auto groups = svc_->DescribeSecurityGroups();
  EXPECT_EQ(groups->size(), 4u);
  // Deleting: subnets first, then the VPC (its default group goes with it).
  EXPECT_EQ(CodeOf(svc_->DeleteVpc(a->vpc_id)), "DependencyViolation");
  ASSERT_TRUE(svc_->DeleteSubnet(s1->subnet_id).ok());
  ASSERT_TRUE(svc_->DeleteSubnet(s2->subnet_id).ok());
  ASSERT_TRUE(svc_->DeleteVpc(a->vpc_id).ok());
  EXPECT_EQ(svc_->DescribeSecurityGroups()->size(), 3u);
  EXPECT_EQ(CodeOf(svc_->DescribeVpcs({a->vpc_id})), "InvalidVpcID.NotFound");
  EXPECT_EQ(CodeOf(svc_->ModifySubnetAttribute(s1->subnet_id, true)), "InvalidSubnetID.NotFound");
}

TEST_F(VpcServiceTest, AttributesChange) {
  auto v = svc_->CreateVpc("10.1.0.0/16", {});
  EXPECT_FALSE(v->enable_dns_hostnames);
  EXPECT_TRUE(svc_->ModifyVpcAttribute(v->vpc_id, std::nullopt, true)->enable_dns_hostnames);
  EXPECT_TRUE(svc_->DescribeVpcs({v->vpc_id})->front().enable_dns_hostnames);
  EXPECT_EQ(CodeOf(svc_->ModifyVpcAttribute(v->vpc_id, true, true)), "InvalidParameterCombination");
  auto s = svc_->CreateSubnet({v->vpc_id, "10.1.0.0/20", "", false, {}});
  EXPECT_TRUE(svc_->ModifySubnetAttribute(s->subnet_id, true)->map_public_ip_on_launch);
  EXPECT_TRUE(svc_->FindSubnet(s->subnet_id)->map_public_ip_on_launch);
}

TEST_F(VpcServiceTest, RulesAddRemoveAndReference) {
  auto v = svc_->CreateVpc("10.0.0.0/16", {});
  auto web = svc_->CreateSecurityGroup({"web", "web tier", v->vpc_id, {}});
  auto db = svc_->CreateSecurityGroup({"db", "database", v->vpc_id, {}});
  ASSERT_TRUE(web.ok()) << web.status().ToString();
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(web->rules.size(), 1u);  // all outbound
  auto added = svc_->AuthorizeRules(
      {db->group_id, ""}, false,
      Perm(R"([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": ")" +
           web->group_id + R"("}]}])"));
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->size(), 1u);
  EXPECT_EQ((*added)[0].rule_id.rfind("sgr-", 0), 0u);
  EXPECT_EQ(svc_->DescribeRules({db->group_id}, {})->size(), 2u);
  EXPECT_EQ(svc_->DescribeRules({}, {(*added)[0].rule_id})->front().referenced_group_id, web->group_id);
  // web is referenced by db's rule: it cannot go until the rule does.
  EXPECT_EQ(CodeOf(svc_->DeleteSecurityGroup({web->group_id, ""})), "DependencyViolation");
  auto removed = svc_->RevokeRules({db->group_id, ""}, false, {}, {(*added)[0].rule_id});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(svc_->DeleteSecurityGroup({web->group_id, ""}).ok());
  // Revoke by permission.
  ASSERT_TRUE(svc_->AuthorizeRules({db->group_id, ""}, false,
                                   Perm(R"([{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])"))
                  .ok());
  EXPECT_TRUE(svc_->RevokeRules({db->group_id, ""}, false,
                                Perm(R"([{"IpProtocol": "17", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])"),
                                {})
                  .ok());
  // Egress rules are their own direction.
  EXPECT_TRUE(svc_->RevokeRules({db->group_id, ""}, true, Perm(R"([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])"), {}).ok());
  EXPECT_TRUE(svc_->FindGroup({db->group_id, ""})->rules.empty());
  // A VPC with a group of its own is in use; without, it goes.
  EXPECT_EQ(CodeOf(svc_->DeleteVpc(v->vpc_id)), "DependencyViolation");
  ASSERT_TRUE(svc_->DeleteSecurityGroup({db->group_id, ""}).ok());
  EXPECT_TRUE(svc_->DeleteVpc(v->vpc_id).ok());
}

TEST_F(VpcServiceTest, InUseChecksRefuseDeletes) {
  auto v = svc_->CreateVpc("10.0.0.0/16", {});
  auto s = svc_->CreateSubnet({v->vpc_id, "10.0.0.0/24", "", false, {}});
  auto g = svc_->CreateSecurityGroup({"app", "app", v->vpc_id, {}});
  std::string busy = s->subnet_id;
  svc_->AddInUseCheck([&busy](const std::string& id) {
    return id == busy ? FailedPrecondition(id + " has instances").WithErrorCode("DependencyViolation") : Status::Ok();
  });
  EXPECT_EQ(CodeOf(svc_->DeleteSubnet(s->subnet_id)), "DependencyViolation");
  busy = g->group_id;
  EXPECT_EQ(CodeOf(svc_->DeleteSecurityGroup({g->group_id, ""})), "DependencyViolation");
  EXPECT_TRUE(svc_->DeleteSubnet(s->subnet_id).ok());
}

// Every refusal answers AWS's code and leaves the store exactly as it was.
TEST_F(VpcServiceTest, InterfacesGetOneToFiveGroupsOfTheirVpc) {
  const std::string vpc = kDefault.vpc_id;
  auto dflt = svc_->FindGroup({"", "default"});
  ASSERT_TRUE(dflt.ok());
  auto none = svc_->ResolveGroups(vpc, {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, std::vector<std::string>{dflt->group_id});  // none named: the VPC's default group
  std::vector<std::string> ids;
  for (int i = 0; i < 5; i++) {
    auto g = svc_->CreateSecurityGroup({"g" + std::to_string(i), "d", "", {}});
    ASSERT_TRUE(g.ok());
    ids.push_back(g->group_id);
  }
  auto five = svc_->ResolveGroups(vpc, {ids[0], ids[1], ids[0], ids[2], ids[3], ids[4]});  // a repeat counts once
  ASSERT_TRUE(five.ok()) << five.status().ToString();
  EXPECT_EQ(*five, ids);
  std::vector<std::string> six = ids;
  six.push_back(dflt->group_id);
  EXPECT_EQ(CodeOf(svc_->ResolveGroups(vpc, six)), "SecurityGroupsPerInterfaceLimitExceeded");
  EXPECT_EQ(CodeOf(svc_->ResolveGroups(vpc, {"sg-00000000000000bad"})), "InvalidGroup.NotFound");
  auto other = svc_->CreateVpc("10.9.0.0/16", {});
  ASSERT_TRUE(other.ok());
  auto theirs = svc_->CreateSecurityGroup({"theirs", "d", other->vpc_id, {}});
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(CodeOf(svc_->ResolveGroups(vpc, {theirs->group_id})), "InvalidParameter");
  auto their_default = svc_->ResolveGroups(other->vpc_id, {});
  ASSERT_TRUE(their_default.ok());
  EXPECT_NE(their_default->front(), dflt->group_id);
}

TEST_F(VpcServiceTest, BadInputIsRefusedAndChangesNothing) {
  auto v = svc_->CreateVpc("10.0.0.0/16", {});
  auto s = svc_->CreateSubnet({v->vpc_id, "10.0.0.0/24", "", false, {}});
  auto g = svc_->CreateSecurityGroup({"app", "app", v->vpc_id, {}});
  auto other_vpc_group = svc_->CreateSecurityGroup({"elsewhere", "default VPC", "", {}});
  ASSERT_TRUE(g.ok() && other_vpc_group.ok());
  ASSERT_TRUE(svc_->AuthorizeRules({g->group_id, ""}, false,
                                   Perm(R"([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}])"))
                  .ok());
  const std::string default_sg = svc_->FindGroup({"", "default"})->group_id;
  auto before = Snapshot();

  auto rule = [&](const std::string& text) { return Perm(text); };
  auto ssh = rule(R"([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}])");
  auto three = rule(R"([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "IpRanges": [{"CidrIp": "1.0.0.0/8"}, {"CidrIp": "2.0.0.0/8"}, {"CidrIp": "3.0.0.0/8"}, {"CidrIp": "4.0.0.0/8"}]}])");
  auto new_then_dup = rule(R"([{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                               {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}])");
  auto ref_other_vpc = rule(R"([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": ")" +
                            other_vpc_group->group_id + R"("}]}])");
  auto ref_missing = rule(R"([{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "sg-00000000000000bad"}]}])");
  auto unknown = rule(R"([{"IpProtocol": "tcp", "FromPort": 99, "ToPort": 99, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])");

  struct Case {
    const char* what;
    std::string code;
    std::string want;
  };
  std::vector<Case> cases = {
      {"vpc /8", CodeOf(svc_->CreateVpc("10.0.0.0/8", {})), "InvalidVpc.Range"},
      {"vpc /29", CodeOf(svc_->CreateVpc("10.0.0.0/29", {})), "InvalidVpc.Range"},
      {"vpc loopback", CodeOf(svc_->CreateVpc("127.0.0.0/16", {})), "InvalidVpc.Range"},
      {"vpc malformed", CodeOf(svc_->CreateVpc("10.0.0.300/16", {})), "InvalidParameterValue"},
      {"vpc host bits", CodeOf(svc_->CreateVpc("10.0.0.1/16", {})), "InvalidParameterValue"},
      {"subnet outside", CodeOf(svc_->CreateSubnet({v->vpc_id, "10.1.0.0/24", "", false, {}})), "InvalidSubnet.Range"},
      {"subnet too small", CodeOf(svc_->CreateSubnet({v->vpc_id, "10.0.9.0/29", "", false, {}})), "InvalidSubnet.Range"},
      {"subnet overlap", CodeOf(svc_->CreateSubnet({v->vpc_id, "10.0.0.128/25", "", false, {}})), "InvalidSubnet.Conflict"},
      {"subnet covering", CodeOf(svc_->CreateSubnet({v->vpc_id, "10.0.0.0/16", "", false, {}})), "InvalidSubnet.Conflict"},
      {"subnet zone", CodeOf(svc_->CreateSubnet({v->vpc_id, "10.0.5.0/24", "mars-1a", false, {}})), "InvalidParameterValue"},
      {"subnet vpc", CodeOf(svc_->CreateSubnet({"vpc-00000000000000bad", "10.0.5.0/24", "", false, {}})), "InvalidVpcID.NotFound"},
      {"delete vpc in use", CodeOf(svc_->DeleteVpc(v->vpc_id)), "DependencyViolation"},
      {"delete default vpc", CodeOf(svc_->DeleteVpc(kDefault.vpc_id)), "OperationNotPermitted"},
      {"delete default subnet", CodeOf(svc_->DeleteSubnet(kDefault.subnets[0].subnet_id)), "OperationNotPermitted"},
      {"delete unknown subnet", CodeOf(svc_->DeleteSubnet("subnet-00000000000000bad")), "InvalidSubnetID.NotFound"},
      {"group duplicate", CodeOf(svc_->CreateSecurityGroup({"app", "again", v->vpc_id, {}})), "InvalidGroup.Duplicate"},
      {"group reserved", CodeOf(svc_->CreateSecurityGroup({"default", "d", v->vpc_id, {}})), "InvalidGroup.Reserved"},
      {"group sg- name", CodeOf(svc_->CreateSecurityGroup({"sg-x", "d", v->vpc_id, {}})), "InvalidParameterValue"},
      {"group no description", CodeOf(svc_->CreateSecurityGroup({"x", "", v->vpc_id, {}})), "MissingParameter"},
      {"group vpc", CodeOf(svc_->CreateSecurityGroup({"x", "d", "vpc-00000000000000bad", {}})), "InvalidVpcID.NotFound"},
      {"delete default group", CodeOf(svc_->DeleteSecurityGroup({default_sg, ""})), "CannotDelete"},
      {"delete unknown group", CodeOf(svc_->DeleteSecurityGroup({"sg-00000000000000bad", ""})), "InvalidGroup.NotFound"},
      {"rule duplicate", CodeOf(svc_->AuthorizeRules({g->group_id, ""}, false, ssh)), "InvalidPermission.Duplicate"},
      {"rule new then duplicate", CodeOf(svc_->AuthorizeRules({g->group_id, ""}, false, new_then_dup)), "InvalidPermission.Duplicate"},
      {"rule limit", CodeOf(svc_->AuthorizeRules({g->group_id, ""}, false, three)), "RulesPerSecurityGroupLimitExceeded"},
      {"rule ref other vpc", CodeOf(svc_->AuthorizeRules({g->group_id, ""}, false, ref_other_vpc)), "InvalidGroup.NotFound"},
      {"rule ref missing", CodeOf(svc_->AuthorizeRules({g->group_id, ""}, false, ref_missing)), "InvalidGroup.NotFound"},
      {"rule unknown group", CodeOf(svc_->AuthorizeRules({"sg-00000000000000bad", ""}, false, ssh)), "InvalidGroup.NotFound"},
      {"revoke unknown rule", CodeOf(svc_->RevokeRules({g->group_id, ""}, false, unknown, {})), "InvalidPermission.NotFound"},
      {"revoke known + unknown", CodeOf(svc_->RevokeRules({g->group_id, ""}, false, ssh, {"sgr-00000000000000bad"})),
       "InvalidSecurityGroupRuleId.NotFound"},
      {"revoke wrong direction", CodeOf(svc_->RevokeRules({g->group_id, ""}, true, ssh, {})), "InvalidPermission.NotFound"},
  };
  for (const Case& c : cases) EXPECT_EQ(c.code, c.want) << c.what;
  EXPECT_EQ(Snapshot(), before);

  // The VPC limit (3 besides the default VPC), then nothing changed by the refusal.
  ASSERT_TRUE(svc_->CreateVpc("10.5.0.0/16", {}).ok());
  ASSERT_TRUE(svc_->CreateVpc("10.6.0.0/16", {}).ok());
  auto full = Snapshot();
  EXPECT_EQ(CodeOf(svc_->CreateVpc("10.7.0.0/16", {})), "VpcLimitExceeded");
  EXPECT_EQ(Snapshot(), full);
}

}  // namespace
}  // namespace stratus::vpc
