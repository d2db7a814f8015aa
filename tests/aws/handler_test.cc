// StratusAwsHandler with few services: the VPC operations over a VpcService, regions and zones, the clear error for
// operations whose service is missing, unsupported operations, Status -> AWS error mapping, credentials file.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>

#include "aws/credentials.h"
#include "aws/handler.h"
#include "aws/handler_util.h"
#include "common/files.h"
#include "common/ids.h"
#include "store/sqlite_store.h"
#include "vpc/vpc_service.h"

namespace stratus::aws {
namespace {

using nlohmann::json;

AwsServices Network() {
  AwsServices s;
  s.vpc = {"vpc-0123456789abcdef0", "172.31.0.0/16", {{"subnet-01234567", "172.31.0.0/20", "locala"}}};
  return s;
}

AwsCallContext Ctx(const std::string& region = "local") {
  return {"req-1", region, "000000000000", "AKIATEST", "ec2"};
}

TEST(AwsHandlerTest, DescribesTheVpcSubnetsZonesAndRegions) {
  std::string dir = "/tmp/aws-handler-test-" + RandomHex(8);
  ASSERT_TRUE(MakeDirs(dir, 0700).ok());
  auto store = OpenSqliteStore(dir + "/db");
  ASSERT_TRUE(store.ok());
  AwsServices s = Network();
  vpc::VpcService service(store->get());
  ASSERT_TRUE(service.Init(s.vpc).ok());
  s.vpcs = &service;
  StratusAwsHandler h(s);
  auto vpcs = std::get<json>(h.Call("ec2", "DescribeVpcs", json::object(), Ctx()));
  EXPECT_EQ(vpcs["Vpcs"][0]["VpcId"], "vpc-0123456789abcdef0");
  EXPECT_EQ(vpcs["Vpcs"][0]["IsDefault"], true);
  auto subnets = std::get<json>(h.Call("ec2", "DescribeSubnets", json::object(), Ctx()));
  EXPECT_EQ(subnets["Subnets"][0]["AvailabilityZone"], "locala");
  EXPECT_EQ(subnets["Subnets"][0]["AvailableIpAddressCount"], 4091);
  auto missing = std::get<AwsError>(h.Call("ec2", "DescribeSubnets", {{"SubnetIds", {"subnet-0000"}}}, Ctx()));
  EXPECT_EQ(missing.code, "InvalidSubnetID.NotFound");
  // The region the client signed for is listed besides the daemon's own.
  auto regions = std::get<json>(h.Call("ec2", "DescribeRegions", json::object(), Ctx("us-east-1")));
  EXPECT_EQ(regions["Regions"].size(), 2u);
  auto zones = std::get<json>(h.Call("ec2", "DescribeAvailabilityZones", json::object(), Ctx()));
  EXPECT_EQ(zones["AvailabilityZones"][0]["ZoneName"], "locala");
  // Filters and the owner, as EC2 shows them.
  auto created = std::get<json>(h.Call("ec2", "CreateVpc", {{"CidrBlock", "10.0.0.0/16"}}, Ctx()));
  EXPECT_EQ(created["Vpc"]["OwnerId"], "000000000000");
  auto defaults = std::get<json>(h.Call("ec2", "DescribeVpcs", {{"Filters", {{{"Name", "is-default"}, {"Values", {"true"}}}}}}, Ctx()));
  ASSERT_EQ(defaults["Vpcs"].size(), 1u);
  EXPECT_EQ(defaults["Vpcs"][0]["VpcId"], "vpc-0123456789abcdef0");
  auto groups = std::get<json>(h.Call("ec2", "DescribeSecurityGroups", {{"GroupNames", {"default"}}}, Ctx()));
  EXPECT_EQ(groups["SecurityGroups"][0]["IpPermissions"][0]["UserIdGroupPairs"][0]["UserId"], "000000000000");
  // The older single-permission members of authorize-security-group-ingress --protocol --port --cidr.
  std::string sg = groups["SecurityGroups"][0]["GroupId"];
  auto added = std::get<json>(h.Call("ec2", "AuthorizeSecurityGroupIngress",
                                     {{"GroupId", sg}, {"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22}, {"CidrIp", "10.0.0.0/8"}}, Ctx()));
  EXPECT_EQ(added["SecurityGroupRules"][0]["CidrIpv4"], "10.0.0.0/8");
  store->reset();
  (void)RemoveAll(dir);
}

TEST(AwsHandlerTest, MissingServiceNamesTheOperation) {
  StratusAwsHandler h(Network());
  for (auto [service, op] : std::vector<std::pair<std::string, std::string>>{
           {"ec2", "RunInstances"}, {"elasticloadbalancing", "CreateLoadBalancer"},
           {"autoscaling", "CreateAutoScalingGroup"}, {"monitoring", "PutMetricData"}, {"monitoring", "DescribeAlarms"},
           {"ec2", "DescribeImages"}, {"ec2", "CreateImage"}, {"ec2", "DeregisterImage"},
           {"ec2", "CreateLaunchTemplate"}, {"ec2", "DescribeInstanceTypes"}, {"ec2", "GetConsoleOutput"}, {"ec2", "CreateVpc"}}) {
    auto r = h.Call(service, op, json::object(), Ctx());
    ASSERT_TRUE(std::holds_alternative<AwsError>(r)) << op;
    const auto& e = std::get<AwsError>(r);
    EXPECT_EQ(e.http_status, 400) << op;
    EXPECT_NE(e.message.find(op), std::string::npos) << e.message;
  }
}

TEST(AwsHandlerTest, UnsupportedOperationIsNamed) {
  StratusAwsHandler h(Network());
  auto e = std::get<AwsError>(h.Call("ec2", "CreateKeyPair", json::object(), Ctx()));
  EXPECT_EQ(e.code, "InvalidAction");
  EXPECT_NE(e.message.find("CreateKeyPair"), std::string::npos);
}

TEST(AwsHandlerTest, EveryOperationOfIssue6IsImplemented) {
  StratusAwsHandler h(Network());
  std::set<std::string> have;
  for (const auto& [service, op] : h.SupportedOperations()) have.insert(service + "/" + op);
  const std::map<std::string, std::vector<std::string>> wanted = {
      {"ec2", {"RunInstances", "DescribeInstances", "StartInstances", "StopInstances", "RebootInstances",
               "TerminateInstances", "ModifyInstanceAttribute", "GetConsoleOutput", "CreateImage", "DescribeImages",
               "DeregisterImage", "CreateTags", "DeleteTags", "DescribeTags", "CreateLaunchTemplate",
               "CreateLaunchTemplateVersion", "DescribeLaunchTemplates", "DescribeInstanceTypes", "DescribeVpcs",
               "DescribeSubnets", "DescribeAvailabilityZones", "DescribeRegions"}},
      {"elasticloadbalancing",
       {"CreateLoadBalancer", "DescribeLoadBalancers", "DeleteLoadBalancer", "CreateTargetGroup",
        "DescribeTargetGroups", "ModifyTargetGroup", "DeleteTargetGroup", "RegisterTargets", "DeregisterTargets",
        "DescribeTargetHealth", "CreateListener", "DescribeListeners", "DeleteListener", "CreateRule", "DescribeRules",
        "ModifyTargetGroupAttributes", "DescribeTargetGroupAttributes"}},
      {"autoscaling",
       {"CreateAutoScalingGroup", "DescribeAutoScalingGroups", "UpdateAutoScalingGroup", "DeleteAutoScalingGroup",
        "SetDesiredCapacity", "PutScalingPolicy", "DescribePolicies", "DeletePolicy", "DescribeScalingActivities",
        "TerminateInstanceInAutoScalingGroup", "StartInstanceRefresh", "DescribeInstanceRefreshes",
        "PutScheduledUpdateGroupAction", "DescribeScheduledActions", "SuspendProcesses", "ResumeProcesses",
        "DescribeAutoScalingInstances"}},
      {"monitoring", {"PutMetricData", "GetMetricStatistics", "GetMetricData", "ListMetrics", "PutMetricAlarm",
                      "DescribeAlarms", "DeleteAlarms", "SetAlarmState"}},
  };
  for (const auto& [service, ops] : wanted) {
    for (const auto& op : ops) EXPECT_TRUE(have.count(service + "/" + op)) << service << " " << op;
  }
}

TEST(AwsHandlerTest, StatusMapsToEachServicesCodes) {
  EXPECT_EQ(AwsErrorFromStatus(InvalidArgument("x"), "ec2").code, "InvalidParameterValue");
  EXPECT_EQ(AwsErrorFromStatus(InvalidArgument("x"), "autoscaling").code, "ValidationError");
  EXPECT_EQ(AwsErrorFromStatus(NotFound("x").WithErrorCode("LoadBalancerNotFound"), "elasticloadbalancing").code,
            "LoadBalancerNotFound");
  EXPECT_EQ(AwsErrorFromStatus(NotFound("x"), "monitoring").code, "ResourceNotFound");
  EXPECT_EQ(AwsErrorFromStatus(FailedPrecondition("x").WithErrorCode("IncorrectInstanceState"), "ec2").http_status, 400);
  EXPECT_EQ(AwsErrorFromStatus(Unavailable("x"), "ec2").http_status, 503);
  EXPECT_EQ(AwsErrorFromStatus(Internal("x"), "ec2").http_status, 500);
}

TEST(AwsCredentialsTest, CreatedOnceOwnerOnlyAndReadBack) {
  std::string dir = "/tmp/stratus-awsh-test-" + std::to_string(getpid());
  ASSERT_TRUE(MakeDirs(dir, 0700).ok());
  std::string path = dir + "/credentials";
  auto first = LoadOrCreateAwsCredentials(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->access_key_id.substr(0, 4), "AKIA");
  EXPECT_EQ(first->access_key_id.size(), 20u);
  EXPECT_EQ(first->secret_access_key.size(), 40u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadOrCreateAwsCredentials(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->secret_access_key, first->secret_access_key);
  auto lookup = LookupFor(*again);
  EXPECT_EQ(lookup(first->access_key_id), first->secret_access_key);
  EXPECT_FALSE(lookup("AKIAOTHER").has_value());
  EXPECT_TRUE(RemoveAll(dir).ok());
}

TEST(AwsCredentialsTest, ParsesProfilesAndRefusesAFileWithoutOne) {
  auto c = AwsCredentialsOf(ParseCredentialsFile("[default]\naws_access_key_id=A\naws_secret_access_key=B\n"
                                                  "[stratus]\n aws_access_key_id = AKIAX \naws_secret_access_key = S/x+\n"),
                            "stratus");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIAX");
  EXPECT_EQ(c->secret_access_key, "S/x+");
  EXPECT_EQ(c->all_keys.size(), 2u);  // hand-added profiles are keys too
  EXPECT_EQ(LookupFor(*c)("A"), "B");
  EXPECT_FALSE(AwsCredentialsOf(ParseCredentialsFile("[default]\naws_access_key_id=A\n"), "stratus").ok());
}

}  // namespace
}  // namespace stratus::aws
