// The whole command line against a fake transport: argv -> requests, responses -> output and
// exit code.
#include "cli/app.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/table.h"
#include "common/files.h"
#include "fakes.h"

namespace stratus::cli {
namespace {

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

const char kInstance[] = R"({"InstanceId": "i-0f3a9c2b7d1e4a5b6", "ImageId": "ami-0123",
  "InstanceType": "t3.micro", "State": {"Code": 16, "Name": "running"},
  "PrivateIpAddress": "172.31.0.5", "LaunchTime": "2026-11-27T05:30:00.000Z",
  "Tags": [{"Key": "Name", "Value": "web"}]})";

class AppTest : public ::testing::Test {
 protected:
  // Queues the next reply of the fake stratusd.
  void Reply(int status, const std::string& body) {
    log_->replies.push_back(ApiResponse{status, body});
  }

  CliRun Cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    CliEnv env;
    env.out = &out;
    env.err = &err;
    env.config = FakeEnv(vars_, "/nonexistent/stratus-cli-token");
    auto log = log_;
    env.transport_factory = [log](const Endpoint& e, const HttpOptions& o) -> TransportPtr {
      log->endpoint = e;
      log->options = o;
      return std::make_unique<FakeTransport>(log);
    };
    env.clock = [] { return *ParseTimestamp("2026-11-27T05:35:00Z"); };
    args.insert(args.begin(), "stratus");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    CliRun run;
    run.code = RunCli(static_cast<int>(argv.size()), argv.data(), std::move(env));
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  const ApiRequest& Sent(size_t i = 0) {
    EXPECT_GT(log_->requests.size(), i);
    return log_->requests.at(i);
  }

  std::shared_ptr<FakeTransportLog> log_ = std::make_shared<FakeTransportLog>();
  std::map<std::string, std::string> vars_;
};

TEST_F(AppTest, RunMapsEveryFlagAndPrintsIds) {
  Reply(200, R"({"Instances": [{"InstanceId": "i-a"}, {"InstanceId": "i-b"}]})");
  CliRun r = Cli({"run", "demo-web", "--type", "t3.small", "--count", "2", "--tag", "Name=web",
                  "--tag", "env=prod", "--sysctl", "net.core.somaxconn=4096", "--subnet",
                  "subnet-1", "--wait"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "i-a\ni-b\n");
  EXPECT_EQ(Sent().method, "POST");
  EXPECT_EQ(Sent().path, "/v1/instances");
  Json want = {{"ImageId", "demo-web"},
               {"InstanceType", "t3.small"},
               {"Count", 2},
               {"Tags", {{{"Key", "Name"}, {"Value", "web"}}, {{"Key", "env"}, {"Value", "prod"}}}},
               {"Sysctls", {{"net.core.somaxconn", "4096"}}},
               {"SubnetId", "subnet-1"},
               {"Wait", true}};
  EXPECT_EQ(*Sent().body, want);
}

TEST_F(AppTest, JsonOutputBeforeOrAfterTheCommand) {
  const std::string reply = R"({"Instances": [{"InstanceId": "i-a"}]})";
  Reply(200, reply);
  Reply(200, reply);
  CliRun a = Cli({"-o", "json", "run", "demo-web"});
  CliRun b = Cli({"run", "demo-web", "--output", "json"});
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(Json::parse(a.out), Json::parse(reply));
  EXPECT_EQ(a.out, b.out);
}

TEST_F(AppTest, InstanceListFiltersAndTable) {
  Reply(200, std::string(R"({"Instances": [)") + kInstance + "]}");
  CliRun r = Cli({"instance", "list", "--filter", "tag:Name=web", "--filter", "state=running"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent().Target(), "/v1/instances?filter=tag%3AName%3Dweb&filter=state%3Drunning");
  EXPECT_EQ(r.out,
            "ID                    NAME   STATE     TYPE       PRIVATE IP   IMAGE      AGE\n"
            "i-0f3a9c2b7d1e4a5b6   web    running   t3.micro   172.31.0.5   ami-0123   5m\n");
}

TEST_F(AppTest, ShowPrintsDetailsOrTheResponse) {
  Reply(200, kInstance);
  CliRun r = Cli({"instance", "show", "i-0f3a9c2b7d1e4a5b6"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent().Target(), "/v1/instances/i-0f3a9c2b7d1e4a5b6");
  EXPECT_NE(r.out.find("Private IP:   172.31.0.5\n"), std::string::npos) << r.out;

  Reply(200, kInstance);
  r = Cli({"instance", "show", "i-0f3a9c2b7d1e4a5b6", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out), Json::parse(kInstance));
}

TEST_F(AppTest, StopSeveralWithForceAndWait) {
  Reply(200, R"({"Instance": {"InstanceId": "i-a", "State": {"Name": "stopped"}, "InstanceType": "t3.micro"}})");
  Reply(200, R"({"Instance": {"InstanceId": "i-b", "State": {"Name": "stopped"}, "InstanceType": "t3.micro"}})");
  CliRun r = Cli({"instance", "stop", "i-a", "i-b", "--force", "--wait"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(log_->requests.size(), 2u);
  EXPECT_EQ(Sent(0).path, "/v1/instances/i-a/stop");
  EXPECT_EQ(Sent(1).path, "/v1/instances/i-b/stop");
  EXPECT_EQ(*Sent(1).body, (Json{{"Wait", true}, {"Force", true}}));
  EXPECT_EQ(r.out,
            "ID    STATE     TYPE\n"
            "i-a   stopped   t3.micro\n"
            "i-b   stopped   t3.micro\n");
}

TEST_F(AppTest, ForceIsOnlyForStop) {
  CliRun r = Cli({"instance", "start", "i-a", "--force"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(log_->requests.empty());
  r = Cli({"instance", "terminate", "i-a"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent().path, "/v1/instances/i-a/terminate");
  EXPECT_EQ(*Sent().body, (Json{{"Wait", false}}));
}

TEST_F(AppTest, OneFailedIdStillReportsTheOthers) {
  Reply(404, R"({"Error": {"Code": "InvalidInstanceID.NotFound", "Message": "instance i-x does not exist"}})");
  Reply(200, R"({"Instance": {"InstanceId": "i-b", "State": {"Name": "stopping"}}})");
  CliRun r = Cli({"instance", "reboot", "i-x", "i-b"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: instance i-x does not exist\n");
  EXPECT_NE(r.out.find("i-b   stopping"), std::string::npos) << r.out;
}

TEST_F(AppTest, ModifyConsoleTagUntag) {
  Reply(409, R"({"Error": {"Code": "IncorrectInstanceState", "Message": "instance i-a is running; stop it first"}})");
  CliRun r = Cli({"instance", "modify", "i-a", "--type", "t3.large"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: instance i-a is running; stop it first\n");
  EXPECT_EQ(Sent(0).method, "PATCH");
  EXPECT_EQ(*Sent(0).body, (Json{{"InstanceType", "t3.large"}}));

  Reply(200, R"({"InstanceId": "i-a", "Output": "line 1\nno newline at end"})");
  r = Cli({"instance", "console", "i-a"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "line 1\nno newline at end");

  r = Cli({"instance", "tag", "i-a", "Name=web", "env=prod"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Sent(2).path, "/v1/instances/i-a/tags");
  EXPECT_EQ(Sent(2).body->at("Tags").size(), 2u);

  r = Cli({"instance", "untag", "i-a", "env", "Name"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(3).Target(), "/v1/instances/i-a/tags?key=env");
  EXPECT_EQ(Sent(4).Target(), "/v1/instances/i-a/tags?key=Name");
}

TEST_F(AppTest, ImagesAndTypes) {
  Reply(200, R"({"Images": [{"ImageId": "ami-1", "Name": "demo-web", "State": "available"}]})");
  CliRun r = Cli({"image", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID      NAME       STATE       PORTS   AGE\n"
            "ami-1   demo-web   available   -       -\n");
  Reply(200, R"({"ImageId": "ami-1", "Name": "demo-web"})");
  r = Cli({"image", "show", "demo-web"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(1).path, "/v1/images/demo-web");
  EXPECT_NE(r.out.find("Name:      demo-web\n"), std::string::npos) << r.out;
  Reply(200, R"({"InstanceTypes": [{"InstanceType": "t3.micro", "VCpus": 2}]})");
  r = Cli({"instance-type", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(2).path, "/v1/instance-types");
}

TEST_F(AppTest, VpcSubnetAndSecurityGroupRequests) {
  Reply(200, R"({"VpcId": "vpc-1"})");
  Reply(200, R"({"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": false})");
  CliRun r = Cli({"vpc", "create", "10.0.0.0/16", "--tag", "Name=a"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(*Sent(0).body, (Json{{"CidrBlock", "10.0.0.0/16"}, {"Tags", {{{"Key", "Name"}, {"Value", "a"}}}}}));
  EXPECT_EQ(Sent(1).path, "/v1/vpcs/vpc-1");

  Reply(200, R"({"SecurityGroupRules": []})");
  r = Cli({"sg", "authorize", "sg-1", "--port", "8000-8080", "--cidr", "10.0.0.0/8", "--source-group", "sg-2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(2).path, "/v1/security-groups/sg-1/authorize");
  EXPECT_EQ(*Sent(2).body, Json::parse(R"({"Direction": "ingress", "IpPermissions": [{"IpProtocol": "tcp",
      "FromPort": 8000, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
      "UserIdGroupPairs": [{"GroupId": "sg-2"}]}]})"));

  Reply(200, R"({"SecurityGroupRules": []})");
  r = Cli({"sg", "revoke", "sg-1", "--egress", "--rule", "sgr-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(*Sent(3).body, (Json{{"Direction", "egress"}, {"SecurityGroupRuleIds", {"sgr-1"}}}));

  // Refused before anything is sent: a bad port, or no peer.
  r = Cli({"sg", "authorize", "sg-1", "--port", "http", "--cidr", "0.0.0.0/0"});
  EXPECT_NE(r.code, 0);
  r = Cli({"sg", "authorize", "sg-1", "--port", "80"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--cidr"), std::string::npos) << r.err;
}

TEST_F(AppTest, NetworksAndHealth) {
  Reply(200, R"({"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "172.31.0.0/16", "IsDefault": true}]})");
  CliRun r = Cli({"vpc", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ID      CIDR            DEFAULT\nvpc-1   172.31.0.0/16   true\n");
  Reply(200, R"({"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock":
      "172.31.0.0/20", "AvailabilityZone": "local-1a", "MapPublicIpOnLaunch": false, "DefaultForAz": true}]})");
  r = Cli({"subnet", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID         VPC     CIDR            ZONE       PUBLIC IP   DEFAULT\n"
            "subnet-1   vpc-1   172.31.0.0/20   local-1a   false       true\n");
  Reply(200, R"({"Status": "ok", "Name": "stratus", "Version": "0.1"})");
  r = Cli({"health"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Status:   ok\nName:     stratus\nVersion:  0.1\n");
  EXPECT_EQ(Sent(0).path, "/v1/vpcs");
  EXPECT_EQ(Sent(1).path, "/v1/subnets");
  EXPECT_EQ(Sent(2).path, "/v1/health");
}

TEST_F(AppTest, BadCommandLinesExitTwoWithoutARequest) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"instance"},
      {"instance", "show"},
      {"run"},
      {"run", "demo-web", "--count", "0"},
      {"run", "demo-web", "--tag", "Name"},
      {"run", "demo-web", "--sysctl", "=1"},
      {"instance", "list", "--filter", "running"},
      {"instance", "modify", "i-a"},
      {"instance", "tag", "i-a", "novalue"},
      {"image", "list", "-o", "yaml"},
      {"frobnicate"},
  };
  for (const auto& args : bad) {
    CliRun r = Cli(args);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(args);
    EXPECT_FALSE(r.err.empty()) << ::testing::PrintToString(args);
  }
  EXPECT_TRUE(log_->requests.empty());
  CliRun r = Cli({"run", "demo-web", "--tag", "Name=a", "--tag", "Name=b"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "error: --tag: key \"Name\" is given twice\n");
  r = Cli({"run", "demo-web", "--tag", "Name"});
  EXPECT_EQ(r.err, "--tag: \"Name\": expected KEY=VALUE\nRun with --help for more information.\n");
}

// The show and delete verbs of every noun: one request per argument, in order.
TEST_F(AppTest, ShowAndDeleteSendOneRequestPerArgument) {
  Reply(200, R"({"LoadBalancerName": "a"})");
  Reply(200, R"({"LoadBalancerName": "b"})");
  CliRun r = Cli({"lb", "show", "a", "b"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(0).method, "GET");
  EXPECT_EQ(Sent(0).path, "/v1/load-balancers/a");
  EXPECT_EQ(Sent(1).path, "/v1/load-balancers/b");
  Reply(200, "{}");
  r = Cli({"tg", "delete", "web"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(2).method, "DELETE");
  EXPECT_EQ(Sent(2).path, "/v1/target-groups/web");
  EXPECT_EQ(r.out, "");
  Reply(200, R"({"LaunchTemplate": {"LaunchTemplateName": "web"}})");
  r = Cli({"template", "show", "web", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(3).path, "/v1/launch-templates/web");
  Reply(404, R"({"Error": {"Code": "NotFound", "Message": "alarm x not found"}})");
  r = Cli({"alarm", "show", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Sent(4).path, "/v1/alarms/x");
  Reply(200, "{}");
  r = Cli({"image", "delete", "demo web"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Sent(5).path, "/v1/images/demo%20web");
  r = Cli({"asg", "show"});
  EXPECT_EQ(r.code, 2);  // the argument is required
  EXPECT_EQ(log_->requests.size(), 6u);
}

TEST_F(AppTest, HelpExitsZero) {
  CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("instance-type"), std::string::npos);
}

TEST_F(AppTest, TransportErrorsExitOne) {
  log_->replies.push_back(
      Unavailable("cannot reach stratusd at http://127.0.0.1:7600: connection failed (is it running?)"));
  CliRun r = Cli({"image", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "error: cannot reach stratusd at http://127.0.0.1:7600: connection failed (is it "
            "running?)\n");
}

TEST_F(AppTest, EndpointAndTokenResolution) {
  CliRun r = Cli({"image", "list"});
  EXPECT_EQ(log_->endpoint.address, "http://127.0.0.1:7600");
  EXPECT_EQ(log_->options.token, "");
  EXPECT_EQ(log_->options.read_timeout, std::chrono::seconds(600));

  vars_ = {{"STRATUS_ENDPOINT", "unix:///run/x.sock"}, {"STRATUS_TOKEN", "env-tok"}};
  r = Cli({"image", "list"});
  EXPECT_TRUE(log_->endpoint.unix_socket);
  EXPECT_EQ(log_->endpoint.address, "/run/x.sock");
  EXPECT_EQ(log_->options.token, "env-tok");

  r = Cli({"image", "list", "--endpoint", "http://127.0.0.2:1", "--token", "flag-tok",
           "--timeout", "5"});
  EXPECT_EQ(log_->endpoint.address, "http://127.0.0.2:1");
  EXPECT_EQ(log_->options.token, "flag-tok");
  EXPECT_EQ(log_->options.read_timeout, std::chrono::seconds(5));

  r = Cli({"image", "list", "--endpoint", "gopher://x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("invalid endpoint"), std::string::npos);
}

TEST_F(AppTest, RunWaitFailsWithTheStateReasonWhenAnInstanceEndedTerminated) {
  Reply(200, R"({"Instances": [{"InstanceId": "i-a", "State": {"Name": "running"}},
    {"InstanceId": "i-b", "State": {"Name": "terminated"}, "StateReason": "runsc: executable file not found"}]})");
  CliRun r = Cli({"run", "demo-web", "--count", "2", "--wait"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out, "i-a\ni-b\n");
  EXPECT_NE(r.err.find("error: i-b is terminated: runsc: executable file not found"), std::string::npos) << r.err;
}

TEST_F(AppTest, AsgDeleteRefusedForInstancesHintsForce) {
  Reply(400, R"({"Error": {"Code": "ResourceInUse", "Message": "group web has 2 instances"}})");
  CliRun r = Cli({"asg", "delete", "web"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("hint: stratus asg delete web --force terminates its instances too"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stratus::cli
