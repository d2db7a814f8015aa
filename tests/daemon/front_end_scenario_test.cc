// One scenario, two front ends: every operation that both the REST API (src/api) and the AWS protocol
// handlers (src/aws) offer is driven through each of them, against the same fake-backed services assembled as
// stratusd assembles them (daemon/service_rules.h, daemon/scaling_ports.h), and must have the same outcome:
// success with the same values, or the same refusal. The REST API is served by cpp-httplib on loopback; the
// AWS side calls StratusAwsHandler with the neutral JSON its wire layer produces. No root, no runc, no
// stratus-lb: instances boot on a FakeInstanceHost, the load balancer's data plane is a FakeDataPlane.
#include <gtest/gtest.h>

#include <httplib.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "../compute/fake_instance_host.h"
#include "../compute/test_stores.h"
#include "../elb/fake_data_plane.h"
#include "../image/fake_build_runtime.h"
#include "../volume/fake_volume_host.h"
#include "api/rest_api.h"
#include "api/rest_certificates.h"
#include "api/rest_cloudwatch.h"
#include "api/rest_images.h"
#include "api/rest_lb.h"
#include "api/rest_network.h"
#include "api/rest_scaling.h"
#include "api/rest_volumes.h"
#include "aws/handler.h"
#include "cloudwatch/alarm_manager.h"
#include "common/files.h"
#include "compute/instance_types.h"
#include "daemon/scaling_ports.h"
#include "daemon/service_rules.h"
#include "elb/certificate_service.h"
#include "elb/load_balancer_service.h"
#include "image/image_service.h"
#include "metrics/metric_store.h"
#include "scaling/auto_scaling_service.h"
#include "vpc/vpc_service.h"
#include "volume/volume_service.h"

namespace stratus {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The services of one stratusd, with fakes where the host would be touched, and both front ends over them.
class World {
 public:
  World() {
    vpc_ = {"vpc-0123456789abcdef0", "10.0.0.0/16", {{"subnet-0123456789abcdef0", "10.0.0.0/20", "locala"}}};
    for (const char* name : {"app", "tpl-only"}) image_ids_[name] = stores_.RegisterImage(name);
    Store* store = stores_.store.get();
    ImageStore* images = stores_.images.get();

    scaling::LaunchTemplateOptions lo;
    lo.resolve_image = [images](const std::string& id) -> Result<std::string> {
      STRATUS_ASSIGN_OR_RETURN(auto image, images->Find(id));
      return image.image_id;
    };
    lo.validate_type = [this](const std::string& t) { return types_.Find(t).status(); };
    templates_ = std::make_unique<scaling::LaunchTemplateService>(store, lo);
    (void)templates_->Load();

    vpcs_ = std::make_unique<vpc::VpcService>(store);
    (void)vpcs_->Init(vpc_);

    InstanceServiceOptions io;
    io.vpc_id = vpc_.vpc_id;
    io.subnet_ids = {vpc_.subnets[0].subnet_id};
    io.validate_type = [this](const std::string& t) { return types_.Find(t).status(); };
    io.apply_launch_template = LaunchFromTemplates(templates_.get());
    io.resolve_security_groups = ResolveGroupsWith(vpcs_.get());
    instances_ = std::make_unique<InstanceService>(store, images, &host_, io);
    (void)instances_->Recover();

    ImageServiceOptions imo;
    imo.instances_dir = stores_.Path("instances");
    image_service_ = std::make_unique<ImageService>(images, &build_runtime_, instances_.get(), imo);

    elb::LoadBalancerServiceOptions eo;
    eo.vpc_id = vpc_.vpc_id;
    elb_ = std::make_unique<elb::LoadBalancerService>(store, instances_.get(), &data_plane_, eo);
    certificates_ = std::make_unique<elb::CertificateService>(
        store, elb::CertificateServiceOptions{"local", "000000000000", stores_.Path("certificates")});
    ConnectCertificates(certificates_.get(), elb_.get());
    (void)certificates_->Start();
    (void)elb_->Start();

    metrics_ = std::move(OpenMetricStore({})).value();
    alarms_ = std::make_unique<cloudwatch::AlarmManager>(store, metrics_.get(), cloudwatch::AlarmManagerOptions{});
    (void)alarms_->Start();

    asg_instances_ = std::make_unique<scaling::InstanceServicePort>(instances_.get());
    asg_target_groups_ = std::make_unique<scaling::LoadBalancerTargetGroups>(elb_.get());
    asg_metrics_ = std::make_unique<scaling::MetricStoreReader>(metrics_.get());
    scaling::AutoScalingOptions ao;
    ao.default_subnets = io.subnet_ids;
    asg_ = std::make_unique<scaling::AutoScalingService>(store, templates_.get(), asg_instances_.get(),
                                                         asg_target_groups_.get(), asg_metrics_.get(), alarms_.get(), ao);
    (void)asg_->Load();
    ConnectInUseChecks(image_service_.get(), templates_.get(), asg_.get());
    ConnectNetworkInUseChecks(vpcs_.get(), instances_.get());
    VolumeServiceOptions vo{{"locala"}, {}, "local", "000000000000"};
    vo.find_instance = [this](const std::string& id) -> Result<VolumeInstance> {
      STRATUS_ASSIGN_OR_RETURN(Instance i, instances_->Get(id));
      return VolumeInstance{i.instance_id, StateName(i.state), "locala"};
    };
    volumes_ = std::make_unique<VolumeService>(store, &volume_host_, vo);
    (void)volumes_->Load();

    rest_ = std::make_unique<RestApi>(RestServices{instances_.get(), images, &types_, vpc_, "test", "0", std::filesystem::temp_directory_path().string()});
    rest_->Mount(server_);
    rest_scaling_ = std::make_unique<RestScaling>(templates_.get(), asg_.get());
    rest_scaling_->Mount(server_);
    MountImageRoutes(server_, image_service_.get());
    MountLoadBalancerRoutes(server_, elb_.get());
    MountCertificateRoutes(server_, certificates_.get());
    MountNetworkRoutes(server_, vpcs_.get());
    MountVolumeRoutes(server_, volumes_.get());
    MountCloudWatchRoutes(server_, {metrics_.get(), alarms_.get(), {}, {}});
    port_ = server_.bind_to_any_port("127.0.0.1");
    server_thread_ = std::thread([this] { server_.listen_after_bind(); });

    aws::AwsServices as;
    as.instances = instances_.get();
    as.images = images;
    as.image_service = image_service_.get();
    as.types = &types_;
    as.vpc = vpc_;
    as.vpcs = vpcs_.get();
    as.templates = templates_.get();
    as.elb = elb_.get();
    as.certificates = certificates_.get();
    as.autoscaling = asg_.get();
    as.metrics = metrics_.get();
    as.alarms = alarms_.get();
    as.volumes = volumes_.get();
    aws_ = std::make_unique<aws::StratusAwsHandler>(as);
  }

  ~World() {
    server_.stop();
    if (server_thread_.joinable()) server_thread_.join();
    aws_.reset();
    asg_.reset();
    alarms_.reset();
    elb_.reset();
    certificates_.reset();
    image_service_.reset();
    instances_.reset();
  }

  // The outcome of one call: the response body, or the error code.
  struct Outcome {
    bool ok = false;
    std::string code;
    json body;
  };

  Outcome Rest(const std::string& method, const std::string& path, const json& body) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30, 0);
    std::string text = body.is_null() ? "" : body.dump();
    httplib::Result r = method == "GET"      ? client.Get(path)
                        : method == "DELETE" ? client.Delete(path)
                        : method == "PATCH"  ? client.Patch(path, text, "application/json")
                        : method == "PUT"    ? client.Put(path, text, "application/json")
                                             : client.Post(path, text, "application/json");
    if (!r) return {false, "no response", {}};
    json j = json::parse(r->body, nullptr, false);
    if (r->status == 200) return {true, "", j};
    return {false, j.is_object() ? j["Error"].value("Code", "?") : "?", j};
  }

  Outcome Aws(const std::string& service, const std::string& operation, const json& input) {
    aws::AwsCallContext ctx{"req-1", "local", "000000000000", "AKIATEST", service};
    auto out = aws_->Call(service, operation, input, ctx);
    if (auto* j = std::get_if<json>(&out)) return {true, "", *j};
    return {false, std::get<aws::AwsError>(out).code, {}};
  }

  std::string ImageId(const std::string& name) { return image_ids_[name]; }
  InstanceService& instances() { return *instances_; }
  scaling::AutoScalingService& groups() { return *asg_; }
  elb::FakeDataPlane& data_plane() { return data_plane_; }
  aws::StratusAwsHandler& aws_handler() { return *aws_; }

 private:
  TestStores stores_{"front-end-scenario"};
  VpcInfo vpc_;
  std::unique_ptr<vpc::VpcService> vpcs_;
  InstanceTypeTable types_;
  std::map<std::string, std::string> image_ids_;
  std::unique_ptr<scaling::LaunchTemplateService> templates_;
  FakeInstanceHost host_;
  std::unique_ptr<InstanceService> instances_;
  FakeBuildRuntime build_runtime_;
  std::unique_ptr<ImageService> image_service_;
  elb::FakeDataPlane data_plane_;
  std::unique_ptr<elb::LoadBalancerService> elb_;
  std::unique_ptr<elb::CertificateService> certificates_;
  MetricStorePtr metrics_;
  std::unique_ptr<cloudwatch::AlarmManager> alarms_;
  std::unique_ptr<scaling::InstancePort> asg_instances_;
  std::unique_ptr<scaling::TargetGroupPort> asg_target_groups_;
  std::unique_ptr<scaling::MetricReader> asg_metrics_;
  std::unique_ptr<scaling::AutoScalingService> asg_;
  FakeVolumeHost volume_host_;
  std::unique_ptr<VolumeService> volumes_;
  httplib::Server server_;
  std::thread server_thread_;
  int port_ = 0;
  std::unique_ptr<RestApi> rest_;
  std::unique_ptr<RestScaling> rest_scaling_;
  std::unique_ptr<aws::StratusAwsHandler> aws_;
};

using Vars = std::map<std::string, std::string>;

// One call in a front end's terms: REST (method, path, body) or AWS (service, operation, input).
struct Call {
  std::string a, b;
  json body;
};

// One operation of the scenario, as each front end says it, and the outcome both must have.
struct Step {
  std::string what;
  std::optional<Call> rest, aws;  // a step only one front end offers leaves the other empty
  std::string expect;             // "": success; "*": any refusal; else the error code both answer
  std::vector<std::tuple<std::string, std::string, std::string>> captures;  // variable, REST pointer, AWS pointer
  std::vector<std::tuple<std::string, std::string, json>> checks;          // REST pointer, AWS pointer, value
  std::function<void(World&, Vars&)> before;
};

// "{name}" in strings becomes the variable's value; a string that is exactly "{#name}" becomes its number.
json Subst(const json& j, const Vars& vars) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s.size() > 3 && s.rfind("{#", 0) == 0 && s.back() == '}') return std::stod(vars.at(s.substr(2, s.size() - 3)));
    for (const auto& [k, v] : vars) {
      for (size_t at; (at = s.find("{" + k + "}")) != std::string::npos;) s.replace(at, k.size() + 2, v);
    }
    return s;
  }
  json out = j;
  if (j.is_array() || j.is_object()) {
    for (auto it = out.begin(); it != out.end(); ++it) *it = Subst(*it, vars);
  }
  return out;
}

Call Rest(std::string method, std::string path, json body = nullptr) { return {std::move(method), std::move(path), std::move(body)}; }
Call Aws(std::string service, std::string op, json input = json::object()) { return {std::move(service), std::move(op), std::move(input)}; }

void WaitFor(World& w, const std::string& id, InstanceState state) {
  ASSERT_TRUE(w.instances().WaitForState({id}, {state}, 10s).ok()) << id << " never " << StateName(state);
}

// A self-signed ECDSA certificate and its key (PEM), made once per process with the openssl command.
struct TestPem {
  std::string cert, key;
};
const TestPem& Pem(const std::string& name) {
  static std::map<std::string, TestPem> made;
  auto it = made.find(name);
  if (it != made.end()) return it->second;
  std::string dir = std::filesystem::temp_directory_path() / ("scenario-pem-" + RandomHex(8));
  std::filesystem::create_directories(dir);
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" +
                    name + " -keyout " + dir + "/k -out " + dir + "/c >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto cert = ReadFile(dir + "/c"), key = ReadFile(dir + "/k");
  TestPem pem{cert.ok() ? *cert : "", key.ok() ? *key : ""};
  std::filesystem::remove_all(dir);
  return made[name] = pem;
}

// The scenario: instances, images, launch templates, auto scaling, load balancers, certificates, CloudWatch.
std::vector<Step> Scenario() {
  std::vector<Step> s;
  auto both = [&s](std::string what, Call rest, Call aws, std::string expect = "") {
    s.push_back({std::move(what), std::move(rest), std::move(aws), std::move(expect), {}, {}, {}});
    return &s.back();
  };
  const json web_tag = {{"Key", "Name"}, {"Value", "web"}};

  // Instances.
  both("launch", Rest("POST", "/v1/instances", {{"ImageId", "app"}, {"Tags", {web_tag}}}),
       Aws("ec2", "RunInstances", {{"ImageId", "app"}, {"MinCount", 1}, {"MaxCount", 1},
                                   {"TagSpecifications", {{{"ResourceType", "instance"}, {"Tags", {web_tag}}}}}}))
      ->captures = {{"i1", "/Instances/0/InstanceId", "/Instances/0/InstanceId"}};
  s.back().checks = {{"/Instances/0/InstanceType", "/Instances/0/InstanceType", "t3.micro"}};
  both("launch an unknown image", Rest("POST", "/v1/instances", {{"ImageId", "nope"}}),
       Aws("ec2", "RunInstances", {{"ImageId", "nope"}, {"MinCount", 1}, {"MaxCount", 1}}), "InvalidAMIID.NotFound");
  both("launch without an image", Rest("POST", "/v1/instances", json::object()),
       Aws("ec2", "RunInstances", {{"MinCount", 1}, {"MaxCount", 1}}), "MissingParameter");
  both("describe by tag", Rest("GET", "/v1/instances?filter=tag:Name=web"),
       Aws("ec2", "DescribeInstances", {{"Filters", {{{"Name", "tag:Name"}, {"Values", {"web"}}}}}}))
      ->checks = {{"/Instances/0/InstanceId", "/Reservations/0/Instances/0/InstanceId", "{i1}"}};
  both("describe one", Rest("GET", "/v1/instances/{i1}"), Aws("ec2", "DescribeInstances", {{"InstanceIds", {"{i1}"}}}))
      ->checks = {{"/InstanceId", "/Reservations/0/Instances/0/InstanceId", "{i1}"}};
  both("describe an unknown instance", Rest("GET", "/v1/instances/i-0123456789abcdef0"),
       Aws("ec2", "DescribeInstances", {{"InstanceIds", {"i-0123456789abcdef0"}}}), "InvalidInstanceID.NotFound");
  both("console", Rest("GET", "/v1/instances/{i1}/console"), Aws("ec2", "GetConsoleOutput", {{"InstanceId", "{i1}"}}))
      ->before = [](World& w, Vars& v) { WaitFor(w, v["i1"], InstanceState::kRunning); };
  both("change the type of a running instance", Rest("PATCH", "/v1/instances/{i1}", {{"InstanceType", "t3.small"}}),
       Aws("ec2", "ModifyInstanceAttribute", {{"InstanceId", "{i1}"}, {"InstanceType", {{"Value", "t3.small"}}}}),
       "IncorrectInstanceState");
  both("stop", Rest("POST", "/v1/instances/{i1}/stop", json::object()), Aws("ec2", "StopInstances", {{"InstanceIds", {"{i1}"}}}));
  both("change the type", Rest("PATCH", "/v1/instances/{i1}", {{"InstanceType", "t3.small"}}),
       Aws("ec2", "ModifyInstanceAttribute", {{"InstanceId", "{i1}"}, {"InstanceType", {{"Value", "t3.small"}}}}))
      ->before = [](World& w, Vars& v) { WaitFor(w, v["i1"], InstanceState::kStopped); };
  both("start", Rest("POST", "/v1/instances/{i1}/start", json::object()), Aws("ec2", "StartInstances", {{"InstanceIds", {"{i1}"}}}));
  both("reboot", Rest("POST", "/v1/instances/{i1}/reboot", json::object()), Aws("ec2", "RebootInstances", {{"InstanceIds", {"{i1}"}}}))
      ->before = [](World& w, Vars& v) { WaitFor(w, v["i1"], InstanceState::kRunning); };
  both("tag", Rest("POST", "/v1/instances/{i1}/tags", {{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}),
       Aws("ec2", "CreateTags", {{"Resources", {"{i1}"}}, {"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}));
  both("untag", Rest("DELETE", "/v1/instances/{i1}/tags?key=env"),
       Aws("ec2", "DeleteTags", {{"Resources", {"{i1}"}}, {"Tags", {{{"Key", "env"}}}}}));
  both("instance types", Rest("GET", "/v1/instance-types"), Aws("ec2", "DescribeInstanceTypes"));
  both("vpcs", Rest("GET", "/v1/vpcs"), Aws("ec2", "DescribeVpcs"));
  both("subnets", Rest("GET", "/v1/subnets"), Aws("ec2", "DescribeSubnets"));

  // VPCs, subnets, security groups.
  both("a vpc", Rest("POST", "/v1/vpcs", {{"CidrBlock", "10.1.0.0/16"}}), Aws("ec2", "CreateVpc", {{"CidrBlock", "10.1.0.0/16"}}))
      ->captures = {{"vpc", "/VpcId", "/Vpc/VpcId"}};
  both("a vpc of the same block", Rest("POST", "/v1/vpcs", {{"CidrBlock", "10.1.0.0/16"}}),
       Aws("ec2", "CreateVpc", {{"CidrBlock", "10.1.0.0/16"}}))
      ->captures = {{"vpc2", "/VpcId", "/Vpc/VpcId"}};
  both("a vpc too large", Rest("POST", "/v1/vpcs", {{"CidrBlock", "10.0.0.0/8"}}),
       Aws("ec2", "CreateVpc", {{"CidrBlock", "10.0.0.0/8"}}), "InvalidVpc.Range");
  both("one vpc", Rest("GET", "/v1/vpcs/{vpc}"), Aws("ec2", "DescribeVpcs", {{"VpcIds", {"{vpc}"}}}))
      ->checks = {{"/CidrBlock", "/Vpcs/0/CidrBlock", "10.1.0.0/16"}, {"/IsDefault", "/Vpcs/0/IsDefault", false}};
  both("dns hostnames", Rest("PATCH", "/v1/vpcs/{vpc}", {{"EnableDnsHostnames", true}}),
       Aws("ec2", "ModifyVpcAttribute", {{"VpcId", "{vpc}"}, {"EnableDnsHostnames", {{"Value", true}}}}));
  both("a subnet", Rest("POST", "/v1/subnets", {{"VpcId", "{vpc}"}, {"CidrBlock", "10.1.1.0/24"}, {"AvailabilityZone", "locala"}}),
       Aws("ec2", "CreateSubnet", {{"VpcId", "{vpc}"}, {"CidrBlock", "10.1.1.0/24"}, {"AvailabilityZone", "locala"}}))
      ->captures = {{"subnet", "/SubnetId", "/Subnet/SubnetId"}};
  both("an overlapping subnet", Rest("POST", "/v1/subnets", {{"VpcId", "{vpc}"}, {"CidrBlock", "10.1.1.128/25"}}),
       Aws("ec2", "CreateSubnet", {{"VpcId", "{vpc}"}, {"CidrBlock", "10.1.1.128/25"}}), "InvalidSubnet.Conflict");
  both("a subnet outside its vpc", Rest("POST", "/v1/subnets", {{"VpcId", "{vpc}"}, {"CidrBlock", "10.2.0.0/24"}}),
       Aws("ec2", "CreateSubnet", {{"VpcId", "{vpc}"}, {"CidrBlock", "10.2.0.0/24"}}), "InvalidSubnet.Range");
  both("public addresses on launch", Rest("PATCH", "/v1/subnets/{subnet}", {{"MapPublicIpOnLaunch", true}}),
       Aws("ec2", "ModifySubnetAttribute", {{"SubnetId", "{subnet}"}, {"MapPublicIpOnLaunch", {{"Value", true}}}}));
  both("one subnet", Rest("GET", "/v1/subnets/{subnet}"), Aws("ec2", "DescribeSubnets", {{"SubnetIds", {"{subnet}"}}}))
      ->checks = {{"/MapPublicIpOnLaunch", "/Subnets/0/MapPublicIpOnLaunch", true}, {"/VpcId", "/Subnets/0/VpcId", "{vpc}"}};
  both("a web group", Rest("POST", "/v1/security-groups", {{"GroupName", "web"}, {"Description", "web tier"}, {"VpcId", "{vpc}"}}),
       Aws("ec2", "CreateSecurityGroup", {{"GroupName", "web"}, {"Description", "web tier"}, {"VpcId", "{vpc}"}}))
      ->captures = {{"web", "/GroupId", "/GroupId"}};
  both("a db group", Rest("POST", "/v1/security-groups", {{"GroupName", "db"}, {"Description", "database"}, {"VpcId", "{vpc}"}}),
       Aws("ec2", "CreateSecurityGroup", {{"GroupName", "db"}, {"Description", "database"}, {"VpcId", "{vpc}"}}))
      ->captures = {{"db", "/GroupId", "/GroupId"}};
  both("a group name taken", Rest("POST", "/v1/security-groups", {{"GroupName", "db"}, {"Description", "again"}, {"VpcId", "{vpc}"}}),
       Aws("ec2", "CreateSecurityGroup", {{"GroupName", "db"}, {"Description", "again"}, {"VpcId", "{vpc}"}}),
       "InvalidGroup.Duplicate");
  const json from_web = {{{"IpProtocol", "tcp"}, {"FromPort", 5432}, {"ToPort", 5432}, {"UserIdGroupPairs", {{{"GroupId", "{web}"}}}}}};
  both("db admits web", Rest("POST", "/v1/security-groups/{db}/authorize", {{"IpPermissions", from_web}}),
       Aws("ec2", "AuthorizeSecurityGroupIngress", {{"GroupId", "{db}"}, {"IpPermissions", from_web}}))
      ->captures = {{"rule", "/SecurityGroupRules/0/SecurityGroupRuleId", "/SecurityGroupRules/0/SecurityGroupRuleId"}};
  both("the same rule again", Rest("POST", "/v1/security-groups/{db}/authorize", {{"IpPermissions", from_web}}),
       Aws("ec2", "AuthorizeSecurityGroupIngress", {{"GroupId", "{db}"}, {"IpPermissions", from_web}}),
       "InvalidPermission.Duplicate");
  const json bad_ports = {{{"IpProtocol", "tcp"}, {"FromPort", 9}, {"ToPort", 1}, {"IpRanges", {{{"CidrIp", "0.0.0.0/0"}}}}}};
  both("a port range backwards", Rest("POST", "/v1/security-groups/{db}/authorize", {{"IpPermissions", bad_ports}}),
       Aws("ec2", "AuthorizeSecurityGroupIngress", {{"GroupId", "{db}"}, {"IpPermissions", bad_ports}}),
       "InvalidParameterValue");
  const json dns_out = {{{"IpProtocol", "udp"}, {"FromPort", 53}, {"ToPort", 53}, {"IpRanges", {{{"CidrIp", "10.1.0.0/16"}}}}}};
  both("an egress rule", Rest("POST", "/v1/security-groups/{web}/authorize", {{"Direction", "egress"}, {"IpPermissions", dns_out}}),
       Aws("ec2", "AuthorizeSecurityGroupEgress", {{"GroupId", "{web}"}, {"IpPermissions", dns_out}}));
  both("…revoked by its traffic", Rest("POST", "/v1/security-groups/{web}/revoke", {{"Direction", "egress"}, {"IpPermissions", dns_out}}),
       Aws("ec2", "RevokeSecurityGroupEgress", {{"GroupId", "{web}"}, {"IpPermissions", dns_out}}));
  both("groups", Rest("GET", "/v1/security-groups"), Aws("ec2", "DescribeSecurityGroups"));
  both("one group", Rest("GET", "/v1/security-groups/{db}"), Aws("ec2", "DescribeSecurityGroups", {{"GroupIds", {"{db}"}}}))
      ->checks = {{"/IpPermissions/0/FromPort", "/SecurityGroups/0/IpPermissions/0/FromPort", 5432},
                  {"/IpPermissions/0/UserIdGroupPairs/0/GroupId", "/SecurityGroups/0/IpPermissions/0/UserIdGroupPairs/0/GroupId", "{web}"}};
  both("rules of a group", Rest("GET", "/v1/security-groups/{db}/rules"),
       Aws("ec2", "DescribeSecurityGroupRules", {{"Filters", {{{"Name", "group-id"}, {"Values", {"{db}"}}}}}}))
      ->checks = {{"/SecurityGroupRules/1/SecurityGroupRuleId", "/SecurityGroupRules/1/SecurityGroupRuleId", "{rule}"}};
  both("delete a referenced group", Rest("DELETE", "/v1/security-groups/{web}"),
       Aws("ec2", "DeleteSecurityGroup", {{"GroupId", "{web}"}}), "DependencyViolation");
  both("delete a vpc in use", Rest("DELETE", "/v1/vpcs/{vpc}"), Aws("ec2", "DeleteVpc", {{"VpcId", "{vpc}"}}),
       "DependencyViolation");
  both("revoke", Rest("POST", "/v1/security-groups/{db}/revoke", {{"SecurityGroupRuleIds", {"{rule}"}}}),
       Aws("ec2", "RevokeSecurityGroupIngress", {{"GroupId", "{db}"}, {"SecurityGroupRuleIds", {"{rule}"}}}));
  both("revoke again", Rest("POST", "/v1/security-groups/{db}/revoke", {{"SecurityGroupRuleIds", {"{rule}"}}}),
       Aws("ec2", "RevokeSecurityGroupIngress", {{"GroupId", "{db}"}, {"SecurityGroupRuleIds", {"{rule}"}}}),
       "InvalidSecurityGroupRuleId.NotFound");
  both("delete a group", Rest("DELETE", "/v1/security-groups/{web}"), Aws("ec2", "DeleteSecurityGroup", {{"GroupId", "{web}"}}));
  both("delete the other", Rest("DELETE", "/v1/security-groups/{db}"), Aws("ec2", "DeleteSecurityGroup", {{"GroupId", "{db}"}}));
  both("delete a default subnet", Rest("DELETE", "/v1/subnets/subnet-0123456789abcdef0"),
       Aws("ec2", "DeleteSubnet", {{"SubnetId", "subnet-0123456789abcdef0"}}), "OperationNotPermitted");
  both("delete a subnet", Rest("DELETE", "/v1/subnets/{subnet}"), Aws("ec2", "DeleteSubnet", {{"SubnetId", "{subnet}"}}));
  both("delete a vpc", Rest("DELETE", "/v1/vpcs/{vpc}"), Aws("ec2", "DeleteVpc", {{"VpcId", "{vpc}"}}));
  both("delete the other vpc", Rest("DELETE", "/v1/vpcs/{vpc2}"), Aws("ec2", "DeleteVpc", {{"VpcId", "{vpc2}"}}));
  both("a deleted vpc", Rest("GET", "/v1/vpcs/{vpc}"), Aws("ec2", "DescribeVpcs", {{"VpcIds", {"{vpc}"}}}),
       "InvalidVpcID.NotFound");
  both("the default group", Rest("GET", "/v1/security-groups/default"),
       Aws("ec2", "DescribeSecurityGroups", {{"GroupNames", {"default"}}}))
      ->captures = {{"dsg", "/GroupId", "/SecurityGroups/0/GroupId"}};
  both("instances get the default group", Rest("GET", "/v1/instances/{i1}"), Aws("ec2", "DescribeInstances", {{"InstanceIds", {"{i1}"}}}))
      ->checks = {{"/SecurityGroups/0/GroupId", "/Reservations/0/Instances/0/SecurityGroups/0/GroupId", "{dsg}"}};
  both("a group for instances", Rest("POST", "/v1/security-groups", {{"GroupName", "app"}, {"Description", "app tier"}}),
       Aws("ec2", "CreateSecurityGroup", {{"GroupName", "app"}, {"Description", "app tier"}}))
      ->captures = {{"app", "/GroupId", "/GroupId"}};
  both("launch into a group", Rest("POST", "/v1/instances", {{"ImageId", "app"}, {"SecurityGroupIds", {"{app}"}}}),
       Aws("ec2", "RunInstances", {{"ImageId", "app"}, {"MinCount", 1}, {"MaxCount", 1}, {"SecurityGroupIds", {"{app}"}}}))
      ->captures = {{"i2", "/Instances/0/InstanceId", "/Instances/0/InstanceId"}};
  s.back().checks = {{"/Instances/0/SecurityGroups/0/GroupId", "/Instances/0/SecurityGroups/0/GroupId", "{app}"}};
  both("launch into an unknown group", Rest("POST", "/v1/instances", {{"ImageId", "app"}, {"SecurityGroupIds", {"sg-00000000000000bad"}}}),
       Aws("ec2", "RunInstances", {{"ImageId", "app"}, {"MinCount", 1}, {"MaxCount", 1}, {"SecurityGroupIds", {"sg-00000000000000bad"}}}),
       "InvalidGroup.NotFound");
  both("launch into six groups", Rest("POST", "/v1/instances", {{"ImageId", "app"}, {"SecurityGroupIds", {"{app}", "{dsg}", "sg-1", "sg-2", "sg-3", "sg-4"}}}),
       Aws("ec2", "RunInstances", {{"ImageId", "app"}, {"MinCount", 1}, {"MaxCount", 1}, {"SecurityGroupIds", {"{app}", "{dsg}", "sg-1", "sg-2", "sg-3", "sg-4"}}}),
       "SecurityGroupsPerInterfaceLimitExceeded");
  both("delete a group in use", Rest("DELETE", "/v1/security-groups/{app}"), Aws("ec2", "DeleteSecurityGroup", {{"GroupId", "{app}"}}),
       "DependencyViolation");
  both("change the groups of a running instance", Rest("PATCH", "/v1/instances/{i2}", {{"SecurityGroupIds", {"{dsg}"}}}),
       Aws("ec2", "ModifyInstanceAttribute", {{"InstanceId", "{i2}"}, {"Groups", {"{dsg}"}}}))
      ->before = [](World& w, Vars& v) { WaitFor(w, v["i2"], InstanceState::kRunning); };
  both("…which shows them", Rest("GET", "/v1/instances/{i2}"), Aws("ec2", "DescribeInstances", {{"InstanceIds", {"{i2}"}}}))
      ->checks = {{"/SecurityGroups/0/GroupId", "/Reservations/0/Instances/0/SecurityGroups/0/GroupId", "{dsg}"},
                  {"/SecurityGroups/1", "/Reservations/0/Instances/0/SecurityGroups/1", nullptr}};
  both("delete a group no instance uses", Rest("DELETE", "/v1/security-groups/{app}"), Aws("ec2", "DeleteSecurityGroup", {{"GroupId", "{app}"}}));
  both("terminate", Rest("POST", "/v1/instances/{i2}/terminate", json::object()), Aws("ec2", "TerminateInstances", {{"InstanceIds", {"{i2}"}}}));

  // Images.
  both("images", Rest("GET", "/v1/images"), Aws("ec2", "DescribeImages"));
  both("one image", Rest("GET", "/v1/images/{ami_app}"), Aws("ec2", "DescribeImages", {{"ImageIds", {"{ami_app}"}}}))
      ->checks = {{"/Name", "/Images/0/Name", "app"}};
  both("tag an image", Rest("POST", "/v1/images/{ami_app}/tags", {{"Tags", {{{"Key", "team"}, {"Value", "web"}}}}}),
       Aws("ec2", "CreateTags", {{"Resources", {"{ami_app}"}}, {"Tags", {{{"Key", "team"}, {"Value", "web"}}}}}));
  both("untag an image", Rest("DELETE", "/v1/images/{ami_app}/tags?key=team"),
       Aws("ec2", "DeleteTags", {{"Resources", {"{ami_app}"}}, {"Tags", {{{"Key", "team"}}}}}));
  both("capture an unknown instance", Rest("POST", "/v1/images", {{"InstanceId", "i-0123456789abcdef0"}, {"Name", "snap"}}),
       Aws("ec2", "CreateImage", {{"InstanceId", "i-0123456789abcdef0"}, {"Name", "snap"}}), "InvalidInstanceID.NotFound");
  both("deregister an image an instance runs", Rest("DELETE", "/v1/images/{ami_app}"),
       Aws("ec2", "DeregisterImage", {{"ImageId", "{ami_app}"}}), "InvalidAMIID.InUse");

  // Launch templates.
  const json data = {{"ImageId", "app"}, {"InstanceType", "t3.small"}, {"TagSpecifications", {{{"ResourceType", "instance"}, {"Tags", {{{"Key", "from"}, {"Value", "lt"}}}}}}}};
  both("create a template", Rest("POST", "/v1/launch-templates", {{"LaunchTemplateName", "web-lt"}, {"LaunchTemplateData", data}}),
       Aws("ec2", "CreateLaunchTemplate", {{"LaunchTemplateName", "web-lt"}, {"LaunchTemplateData", data}}))
      ->captures = {{"lt", "/LaunchTemplate/LaunchTemplateId", "/LaunchTemplate/LaunchTemplateId"}};
  both("a template of an image only it uses", Rest("POST", "/v1/launch-templates", {{"LaunchTemplateName", "tpl-lt"}, {"LaunchTemplateData", {{"ImageId", "tpl-only"}}}}),
       Aws("ec2", "CreateLaunchTemplate", {{"LaunchTemplateName", "tpl-lt"}, {"LaunchTemplateData", {{"ImageId", "tpl-only"}}}}));
  both("deregister an image a template launches", Rest("DELETE", "/v1/images/{ami_tpl}"),
       Aws("ec2", "DeregisterImage", {{"ImageId", "{ami_tpl}"}}), "InvalidAMIID.InUse");
  both("templates", Rest("GET", "/v1/launch-templates"), Aws("ec2", "DescribeLaunchTemplates"));
  both("one template", Rest("GET", "/v1/launch-templates/web-lt"),
       Aws("ec2", "DescribeLaunchTemplates", {{"LaunchTemplateNames", {"web-lt"}}}))
      ->checks = {{"/LaunchTemplate/LaunchTemplateId", "/LaunchTemplates/0/LaunchTemplateId", "{lt}"}};
  both("a version", Rest("POST", "/v1/launch-templates/web-lt/versions", {{"SourceVersion", "1"}, {"LaunchTemplateData", {{"InstanceType", "t3.medium"}}}}),
       Aws("ec2", "CreateLaunchTemplateVersion", {{"LaunchTemplateName", "web-lt"}, {"SourceVersion", "1"}, {"LaunchTemplateData", {{"InstanceType", "t3.medium"}}}}))
      ->checks = {{"/LaunchTemplateVersion/VersionNumber", "/LaunchTemplateVersion/VersionNumber", 2}};
  both("versions", Rest("GET", "/v1/launch-templates/web-lt/versions"),
       Aws("ec2", "DescribeLaunchTemplateVersions", {{"LaunchTemplateName", "web-lt"}}));
  both("default version", Rest("PATCH", "/v1/launch-templates/web-lt", {{"DefaultVersion", "1"}}),
       Aws("ec2", "ModifyLaunchTemplate", {{"LaunchTemplateName", "web-lt"}, {"DefaultVersion", "1"}}));
  both("launch from the template", Rest("POST", "/v1/instances", {{"LaunchTemplate", {{"LaunchTemplateName", "web-lt"}}}}),
       Aws("ec2", "RunInstances", {{"LaunchTemplate", {{"LaunchTemplateName", "web-lt"}}}, {"MinCount", 1}, {"MaxCount", 1}}))
      ->checks = {{"/Instances/0/InstanceType", "/Instances/0/InstanceType", "t3.small"},
                  {"/Instances/0/ImageId", "/Instances/0/ImageId", "{ami_app}"},
                  {"/Instances/0/Tags/0/Value", "/Instances/0/Tags/0/Value", "lt"}};
  both("launch from its latest version", Rest("POST", "/v1/instances", {{"LaunchTemplate", {{"LaunchTemplateId", "{lt}"}, {"Version", "$Latest"}}}}),
       Aws("ec2", "RunInstances", {{"LaunchTemplate", {{"LaunchTemplateId", "{lt}"}, {"Version", "$Latest"}}}, {"MinCount", 1}, {"MaxCount", 1}}))
      ->checks = {{"/Instances/0/InstanceType", "/Instances/0/InstanceType", "t3.medium"}};
  both("launch from an unknown template", Rest("POST", "/v1/instances", {{"LaunchTemplate", {{"LaunchTemplateName", "nope"}}}}),
       Aws("ec2", "RunInstances", {{"LaunchTemplate", {{"LaunchTemplateName", "nope"}}}, {"MinCount", 1}, {"MaxCount", 1}}),
       "InvalidLaunchTemplateId.NotFound");

  // Auto scaling.
  const json group = {{"AutoScalingGroupName", "web"}, {"LaunchTemplate", {{"LaunchTemplateName", "web-lt"}}},
                      {"MinSize", 0}, {"MaxSize", 2}, {"DesiredCapacity", 0}};
  both("create a group", Rest("POST", "/v1/auto-scaling-groups", group), Aws("autoscaling", "CreateAutoScalingGroup", group));
  both("delete a template a group uses", Rest("DELETE", "/v1/launch-templates/web-lt"),
       Aws("ec2", "DeleteLaunchTemplate", {{"LaunchTemplateName", "web-lt"}}), "ResourceInUse");
  both("groups", Rest("GET", "/v1/auto-scaling-groups"), Aws("autoscaling", "DescribeAutoScalingGroups"));
  both("one group", Rest("GET", "/v1/auto-scaling-groups/web"),
       Aws("autoscaling", "DescribeAutoScalingGroups", {{"AutoScalingGroupNames", {"web"}}}))
      ->checks = {{"/AutoScalingGroup/MaxSize", "/AutoScalingGroups/0/MaxSize", 2}};
  both("update a group", Rest("PATCH", "/v1/auto-scaling-groups/web", {{"MaxSize", 3}}),
       Aws("autoscaling", "UpdateAutoScalingGroup", {{"AutoScalingGroupName", "web"}, {"MaxSize", 3}}));
  both("desired capacity", Rest("POST", "/v1/auto-scaling-groups/web/desired-capacity", {{"DesiredCapacity", 1}}),
       Aws("autoscaling", "SetDesiredCapacity", {{"AutoScalingGroupName", "web"}, {"DesiredCapacity", 1}}));
  both("desired capacity above the maximum", Rest("POST", "/v1/auto-scaling-groups/web/desired-capacity", {{"DesiredCapacity", 9}}),
       Aws("autoscaling", "SetDesiredCapacity", {{"AutoScalingGroupName", "web"}, {"DesiredCapacity", 9}}), "ValidationError");
  both("group instances", Rest("GET", "/v1/auto-scaling-instances"), Aws("autoscaling", "DescribeAutoScalingInstances"))
      ->before = [](World& w, Vars& v) {
        w.groups().Tick();  // the reconcile loop's pass: launches the instance
        auto g = w.groups().GetGroup("web");
        ASSERT_TRUE(g.ok());
        ASSERT_EQ(g->instances.size(), 1u);
        v["gi"] = g->instances[0].instance_id;
      };
  s.back().checks = {{"/AutoScalingInstances/0/InstanceId", "/AutoScalingInstances/0/InstanceId", "{gi}"}};
  both("activities", Rest("GET", "/v1/auto-scaling-groups/web/activities"),
       Aws("autoscaling", "DescribeScalingActivities", {{"AutoScalingGroupName", "web"}}));
  both("suspend", Rest("POST", "/v1/auto-scaling-groups/web/suspend", {{"ScalingProcesses", {"AlarmNotification"}}}),
       Aws("autoscaling", "SuspendProcesses", {{"AutoScalingGroupName", "web"}, {"ScalingProcesses", {"AlarmNotification"}}}));
  both("resume", Rest("POST", "/v1/auto-scaling-groups/web/resume", {{"ScalingProcesses", {"AlarmNotification"}}}),
       Aws("autoscaling", "ResumeProcesses", {{"AutoScalingGroupName", "web"}, {"ScalingProcesses", {"AlarmNotification"}}}));
  both("protect", Rest("POST", "/v1/auto-scaling-groups/web/instance-protection", {{"InstanceIds", {"{gi}"}}, {"ProtectedFromScaleIn", true}}),
       Aws("autoscaling", "SetInstanceProtection", {{"AutoScalingGroupName", "web"}, {"InstanceIds", {"{gi}"}}, {"ProtectedFromScaleIn", true}}));
  const json policy = {{"PolicyType", "SimpleScaling"}, {"AdjustmentType", "ChangeInCapacity"}, {"ScalingAdjustment", 1}};
  json aws_policy = policy;
  aws_policy["AutoScalingGroupName"] = "web";
  aws_policy["PolicyName"] = "up";
  both("put a policy", Rest("PUT", "/v1/auto-scaling-groups/web/policies/up", policy), Aws("autoscaling", "PutScalingPolicy", aws_policy));
  both("policies", Rest("GET", "/v1/auto-scaling-groups/web/policies"),
       Aws("autoscaling", "DescribePolicies", {{"AutoScalingGroupName", "web"}}))
      ->checks = {{"/ScalingPolicies/0/PolicyName", "/ScalingPolicies/0/PolicyName", "up"}};
  both("execute a policy", Rest("POST", "/v1/auto-scaling-groups/web/policies/up/execute", json::object()),
       Aws("autoscaling", "ExecutePolicy", {{"AutoScalingGroupName", "web"}, {"PolicyName", "up"}}));
  both("delete a policy", Rest("DELETE", "/v1/auto-scaling-groups/web/policies/up"),
       Aws("autoscaling", "DeletePolicy", {{"AutoScalingGroupName", "web"}, {"PolicyName", "up"}}));
  both("schedule", Rest("PUT", "/v1/auto-scaling-groups/web/scheduled-actions/nightly", {{"Recurrence", "0 3 * * *"}, {"DesiredCapacity", 1}}),
       Aws("autoscaling", "PutScheduledUpdateGroupAction",
           {{"AutoScalingGroupName", "web"}, {"ScheduledActionName", "nightly"}, {"Recurrence", "0 3 * * *"}, {"DesiredCapacity", 1}}));
  both("schedules", Rest("GET", "/v1/auto-scaling-groups/web/scheduled-actions"),
       Aws("autoscaling", "DescribeScheduledActions", {{"AutoScalingGroupName", "web"}}))
      ->checks = {{"/ScheduledUpdateGroupActions/0/ScheduledActionName", "/ScheduledUpdateGroupActions/0/ScheduledActionName", "nightly"}};
  both("unschedule", Rest("DELETE", "/v1/auto-scaling-groups/web/scheduled-actions/nightly"),
       Aws("autoscaling", "DeleteScheduledAction", {{"AutoScalingGroupName", "web"}, {"ScheduledActionName", "nightly"}}));
  both("refresh", Rest("POST", "/v1/auto-scaling-groups/web/instance-refreshes", json::object()),
       Aws("autoscaling", "StartInstanceRefresh", {{"AutoScalingGroupName", "web"}}));
  both("refreshes", Rest("GET", "/v1/auto-scaling-groups/web/instance-refreshes"),
       Aws("autoscaling", "DescribeInstanceRefreshes", {{"AutoScalingGroupName", "web"}}));
  both("cancel the refresh", Rest("DELETE", "/v1/auto-scaling-groups/web/instance-refreshes"),
       Aws("autoscaling", "CancelInstanceRefresh", {{"AutoScalingGroupName", "web"}}));
  both("terminate a group instance", Rest("POST", "/v1/auto-scaling-instances/{gi}/terminate", {{"ShouldDecrementDesiredCapacity", true}}),
       Aws("autoscaling", "TerminateInstanceInAutoScalingGroup", {{"InstanceId", "{gi}"}, {"ShouldDecrementDesiredCapacity", true}}));
  both("delete the group", Rest("DELETE", "/v1/auto-scaling-groups/web?force=true"),
       Aws("autoscaling", "DeleteAutoScalingGroup", {{"AutoScalingGroupName", "web"}, {"ForceDelete", true}}));
  both("delete the template", Rest("DELETE", "/v1/launch-templates/web-lt"),
       Aws("ec2", "DeleteLaunchTemplate", {{"LaunchTemplateName", "web-lt"}}))
      ->before = [](World& w, Vars&) {
        // A forced delete finishes once the loop has terminated the group's instances.
        for (int k = 0; k < 100 && !w.groups().DescribeGroups({"web"}).empty(); ++k) {
          w.groups().Tick();
          std::this_thread::sleep_for(50ms);
        }
        ASSERT_TRUE(w.groups().DescribeGroups({"web"}).empty());
      };

  // Load balancers.
  both("a target group", Rest("POST", "/v1/target-groups", {{"Name", "web-tg"}, {"Protocol", "HTTP"}, {"Port", 8080}}),
       Aws("elasticloadbalancing", "CreateTargetGroup", {{"Name", "web-tg"}, {"Protocol", "HTTP"}, {"Port", 8080}}))
      ->captures = {{"tg", "/TargetGroupArn", "/TargetGroups/0/TargetGroupArn"}};
  s.back().checks = {{"/HealthCheckProtocol", "/TargetGroups/0/HealthCheckProtocol", "HTTP"}};
  both("a TCP target group gets TCP health checks", Rest("POST", "/v1/target-groups", {{"Name", "db-tg"}, {"Protocol", "TCP"}, {"Port", 5432}}),
       Aws("elasticloadbalancing", "CreateTargetGroup", {{"Name", "db-tg"}, {"Protocol", "TCP"}, {"Port", 5432}}))
      ->checks = {{"/HealthCheckProtocol", "/TargetGroups/0/HealthCheckProtocol", "TCP"}};
  s.push_back({"a target group with a bad algorithm is not created",
               Rest("POST", "/v1/target-groups", {{"Name", "lor-tg"}, {"Port", 80}, {"Algorithm", "fastest"}}), std::nullopt,
               "ValidationError", {}, {}, {}});
  both("…and does not exist", Rest("GET", "/v1/target-groups/lor-tg"),
       Aws("elasticloadbalancing", "DescribeTargetGroups", {{"Names", {"lor-tg"}}}), "TargetGroupNotFound");
  both("target groups", Rest("GET", "/v1/target-groups"), Aws("elasticloadbalancing", "DescribeTargetGroups"));
  both("one target group", Rest("GET", "/v1/target-groups/web-tg"),
       Aws("elasticloadbalancing", "DescribeTargetGroups", {{"Names", {"web-tg"}}}))
      ->checks = {{"/TargetGroupArn", "/TargetGroups/0/TargetGroupArn", "{tg}"}};
  both("a target group's attributes", Rest("GET", "/v1/target-groups/web-tg"),
       Aws("elasticloadbalancing", "DescribeTargetGroupAttributes", {{"TargetGroupArn", "{tg}"}}));
  both("health check", Rest("PATCH", "/v1/target-groups/web-tg", {{"HealthCheckPath", "/healthz"}}),
       Aws("elasticloadbalancing", "ModifyTargetGroup", {{"TargetGroupArn", "{tg}"}, {"HealthCheckPath", "/healthz"}}))
      ->checks = {{"/HealthCheckPath", "/TargetGroups/0/HealthCheckPath", "/healthz"}};
  both("attributes", Rest("PATCH", "/v1/target-groups/web-tg", {{"Attributes", {{"stickiness.enabled", "true"}}}}),
       Aws("elasticloadbalancing", "ModifyTargetGroupAttributes",
           {{"TargetGroupArn", "{tg}"}, {"Attributes", {{{"Key", "stickiness.enabled"}, {"Value", "true"}}}}}));
  both("a bad attribute", Rest("PATCH", "/v1/target-groups/web-tg", {{"Attributes", {{"stickiness.enabled", "maybe"}}}}),
       Aws("elasticloadbalancing", "ModifyTargetGroupAttributes",
           {{"TargetGroupArn", "{tg}"}, {"Attributes", {{{"Key", "stickiness.enabled"}, {"Value", "maybe"}}}}}),
       "ValidationError");
  both("register a target that is no instance", Rest("POST", "/v1/target-groups/web-tg/register", {{"Targets", {{{"Id", "i-0123456789abcdef0"}}}}}),
       Aws("elasticloadbalancing", "RegisterTargets", {{"TargetGroupArn", "{tg}"}, {"Targets", {{{"Id", "i-0123456789abcdef0"}}}}}),
       "InvalidTarget");
  both("register", Rest("POST", "/v1/target-groups/web-tg/register", {{"Targets", {{{"Id", "{i1}"}}}}}),
       Aws("elasticloadbalancing", "RegisterTargets", {{"TargetGroupArn", "{tg}"}, {"Targets", {{{"Id", "{i1}"}}}}}));
  both("target health", Rest("GET", "/v1/target-groups/web-tg/health"),
       Aws("elasticloadbalancing", "DescribeTargetHealth", {{"TargetGroupArn", "{tg}"}}))
      ->checks = {{"/TargetHealthDescriptions/0/Target/Id", "/TargetHealthDescriptions/0/Target/Id", "{i1}"}};
  both("deregister", Rest("POST", "/v1/target-groups/web-tg/deregister", {{"Targets", {{{"Id", "{i1}"}}}}}),
       Aws("elasticloadbalancing", "DeregisterTargets", {{"TargetGroupArn", "{tg}"}, {"Targets", {{{"Id", "{i1}"}}}}}));
  both("a load balancer", Rest("POST", "/v1/load-balancers", {{"Name", "front"}}),
       Aws("elasticloadbalancing", "CreateLoadBalancer", {{"Name", "front"}}))
      ->captures = {{"lb", "/LoadBalancerArn", "/LoadBalancers/0/LoadBalancerArn"}};
  const json forward = {{{"Type", "forward"}, {"TargetGroupArn", "{tg}"}}};
  both("a listener", Rest("POST", "/v1/load-balancers/front/listeners", {{"Port", 18080}, {"Protocol", "HTTP"}, {"TargetGroup", "web-tg"}}),
       Aws("elasticloadbalancing", "CreateListener", {{"LoadBalancerArn", "{lb}"}, {"Port", 18080}, {"Protocol", "HTTP"}, {"DefaultActions", forward}}))
      ->captures = {{"listener", "/ListenerArn", "/Listeners/0/ListenerArn"}};
  both("a listener on a port in use", Rest("POST", "/v1/load-balancers/front/listeners", {{"Port", 18081}, {"Protocol", "HTTP"}, {"TargetGroup", "web-tg"}}),
       Aws("elasticloadbalancing", "CreateListener", {{"LoadBalancerArn", "{lb}"}, {"Port", 18081}, {"Protocol", "HTTP"}, {"DefaultActions", forward}}),
       "InvalidConfigurationRequest")
      ->before = [](World& w, Vars&) { w.data_plane().MarkBusy(18081); };
  both("listeners: the refused one is not kept", Rest("GET", "/v1/load-balancers/front/listeners"),
       Aws("elasticloadbalancing", "DescribeListeners", {{"LoadBalancerArn", "{lb}"}}))
      ->checks = {{"/Listeners/0/ListenerArn", "/Listeners/0/ListenerArn", "{listener}"}, {"/Listeners/1", "/Listeners/1", nullptr}};
  s.push_back({"a load balancer whose listener is refused is not kept",
               Rest("POST", "/v1/load-balancers", {{"Name", "whole"}, {"Listeners", {{{"Port", 18081}, {"TargetGroup", "web-tg"}}}}}),
               std::nullopt, "InvalidConfigurationRequest", {}, {}, {}});
  both("…and does not exist", Rest("GET", "/v1/load-balancers/whole"),
       Aws("elasticloadbalancing", "DescribeLoadBalancers", {{"Names", {"whole"}}}), "LoadBalancerNotFound");
  both("load balancers", Rest("GET", "/v1/load-balancers"), Aws("elasticloadbalancing", "DescribeLoadBalancers"));
  both("one load balancer", Rest("GET", "/v1/load-balancers/front"),
       Aws("elasticloadbalancing", "DescribeLoadBalancers", {{"Names", {"front"}}}))
      ->checks = {{"/LoadBalancerArn", "/LoadBalancers/0/LoadBalancerArn", "{lb}"}};
  both("a host rule", Rest("POST", "/v1/rules", {{"ListenerArn", "{listener}"}, {"Priority", 10}, {"Hosts", {"a.example"}}, {"TargetGroup", "web-tg"}}),
       Aws("elasticloadbalancing", "CreateRule", {{"ListenerArn", "{listener}"}, {"Priority", 10},
                                                  {"Conditions", {{{"Field", "host-header"}, {"Values", {"a.example"}}}}}, {"Actions", forward}}));
  both("a path rule by port", Rest("POST", "/v1/load-balancers/front/rules", {{"Port", 18080}, {"Priority", 20}, {"Paths", {"/api/*"}}, {"TargetGroup", "web-tg"}}),
       Aws("elasticloadbalancing", "CreateRule", {{"ListenerArn", "{listener}"}, {"Priority", 20},
                                                  {"Conditions", {{{"Field", "path-pattern"}, {"Values", {"/api/*"}}}}}, {"Actions", forward}}));
  both("a rule with a taken priority", Rest("POST", "/v1/rules", {{"ListenerArn", "{listener}"}, {"Priority", 10}, {"Hosts", {"b.example"}}, {"TargetGroup", "web-tg"}}),
       Aws("elasticloadbalancing", "CreateRule", {{"ListenerArn", "{listener}"}, {"Priority", 10},
                                                  {"Conditions", {{{"Field", "host-header"}, {"Values", {"b.example"}}}}}, {"Actions", forward}}),
       "PriorityInUse");
  both("rules", Rest("GET", "/v1/rules?listener={listener}"), Aws("elasticloadbalancing", "DescribeRules", {{"ListenerArn", "{listener}"}}))
      ->checks = {{"/Rules/2/IsDefault", "/Rules/2/IsDefault", true}};
  // Certificates and an HTTPS listener with an SNI certificate.
  const TestPem& a = Pem("a.example");
  const TestPem& b = Pem("b.example");
  both("a certificate", Rest("POST", "/v1/certificates", {{"Certificate", a.cert}, {"PrivateKey", a.key}}),
       Aws("acm", "ImportCertificate", {{"Certificate", a.cert}, {"PrivateKey", a.key}}))
      ->captures = {{"cert", "/CertificateArn", "/CertificateArn"}};
  both("another certificate", Rest("POST", "/v1/certificates", {{"Certificate", b.cert}, {"PrivateKey", b.key}}),
       Aws("acm", "ImportCertificate", {{"Certificate", b.cert}, {"PrivateKey", b.key}}))
      ->captures = {{"cert2", "/CertificateArn", "/CertificateArn"}};
  both("a certificate with a foreign key", Rest("POST", "/v1/certificates", {{"Certificate", a.cert}, {"PrivateKey", b.key}}),
       Aws("acm", "ImportCertificate", {{"Certificate", a.cert}, {"PrivateKey", b.key}}), "ValidationException");
  both("one certificate", Rest("GET", "/v1/certificates/{cert}"), Aws("acm", "DescribeCertificate", {{"CertificateArn", "{cert}"}}))
      ->checks = {{"/DomainName", "/Certificate/DomainName", "a.example"}, {"/PrivateKey", "/Certificate/PrivateKey", nullptr}};
  both("certificates", Rest("GET", "/v1/certificates"), Aws("acm", "ListCertificates"))
      ->checks = {{"/Certificates/1/CertificateArn", "/CertificateSummaryList/1/CertificateArn", "{cert2}"}};
  both("an https listener", Rest("POST", "/v1/load-balancers/front/listeners",
                                 {{"Port", 18443}, {"Protocol", "HTTPS"}, {"TargetGroup", "web-tg"}, {"Certificates", {"{cert}"}}}),
       Aws("elasticloadbalancing", "CreateListener", {{"LoadBalancerArn", "{lb}"}, {"Port", 18443}, {"Protocol", "HTTPS"},
                                                      {"Certificates", {{{"CertificateArn", "{cert}"}}}}, {"DefaultActions", forward}}))
      ->captures = {{"https", "/ListenerArn", "/Listeners/0/ListenerArn"}};
  s.back().checks = {{"/SslPolicy", "/Listeners/0/SslPolicy", "ELBSecurityPolicy-2016-08"}};
  both("an https listener without a certificate",
       Rest("POST", "/v1/load-balancers/front/listeners", {{"Port", 18444}, {"Protocol", "HTTPS"}, {"TargetGroup", "web-tg"}}),
       Aws("elasticloadbalancing", "CreateListener", {{"LoadBalancerArn", "{lb}"}, {"Port", 18444}, {"Protocol", "HTTPS"}, {"DefaultActions", forward}}),
       "ValidationError");
  both("add an SNI certificate", Rest("POST", "/v1/listener-certificates", {{"ListenerArn", "{https}"}, {"Certificates", {"{cert2}"}}}),
       Aws("elasticloadbalancing", "AddListenerCertificates", {{"ListenerArn", "{https}"}, {"Certificates", {{{"CertificateArn", "{cert2}"}}}}}));
  both("listener certificates", Rest("GET", "/v1/listener-certificates?listener={https}"),
       Aws("elasticloadbalancing", "DescribeListenerCertificates", {{"ListenerArn", "{https}"}}))
      ->checks = {{"/Certificates/1/CertificateArn", "/Certificates/1/CertificateArn", "{cert2}"},
                  {"/Certificates/0/IsDefault", "/Certificates/0/IsDefault", true}};
  both("delete a certificate in use", Rest("DELETE", "/v1/certificates/{cert2}"),
       Aws("acm", "DeleteCertificate", {{"CertificateArn", "{cert2}"}}), "ResourceInUseException");
  both("remove the SNI certificate", Rest("POST", "/v1/listener-certificates/remove", {{"ListenerArn", "{https}"}, {"Certificates", {"{cert2}"}}}),
       Aws("elasticloadbalancing", "RemoveListenerCertificates", {{"ListenerArn", "{https}"}, {"Certificates", {{{"CertificateArn", "{cert2}"}}}}}));
  both("delete the certificate", Rest("DELETE", "/v1/certificates/{cert2}"), Aws("acm", "DeleteCertificate", {{"CertificateArn", "{cert2}"}}));
  both("…which is gone", Rest("GET", "/v1/certificates/{cert2}"), Aws("acm", "DescribeCertificate", {{"CertificateArn", "{cert2}"}}),
       "ResourceNotFoundException");
  both("a weighted forward rule", Rest("POST", "/v1/rules", {{"ListenerArn", "{https}"}, {"Priority", 5},
                                                           {"Conditions", {{{"Field", "source-ip"}, {"SourceIpConfig", {{"Values", {"10.0.0.0/8"}}}}}}},
                                                           {"Actions", {{{"Type", "forward"}, {"ForwardConfig", {{"TargetGroups", {{{"TargetGroupArn", "{tg}"}, {"Weight", 3}}}}}}}}}}),
       Aws("elasticloadbalancing", "CreateRule", {{"ListenerArn", "{https}"}, {"Priority", 5},
                                                  {"Conditions", {{{"Field", "source-ip"}, {"SourceIpConfig", {{"Values", {"10.0.0.0/8"}}}}}}},
                                                  {"Actions", {{{"Type", "forward"}, {"ForwardConfig", {{"TargetGroups", {{{"TargetGroupArn", "{tg}"}, {"Weight", 3}}}}}}}}}}))
      ->checks = {{"/Actions/0/ForwardConfig/TargetGroups/0/Weight", "/Rules/0/Actions/0/ForwardConfig/TargetGroups/0/Weight", 3}};
  both("a redirect rule that would loop", Rest("POST", "/v1/rules", {{"ListenerArn", "{https}"}, {"Priority", 6},
                                                                     {"Conditions", {{{"Field", "path-pattern"}, {"Values", {"/x"}}}}},
                                                                     {"Actions", {{{"Type", "redirect"}, {"RedirectConfig", {{"StatusCode", "HTTP_301"}}}}}}}),
       Aws("elasticloadbalancing", "CreateRule", {{"ListenerArn", "{https}"}, {"Priority", 6},
                                                  {"Conditions", {{{"Field", "path-pattern"}, {"Values", {"/x"}}}}},
                                                  {"Actions", {{{"Type", "redirect"}, {"RedirectConfig", {{"StatusCode", "HTTP_301"}}}}}}}),
       "ValidationError");
  both("delete a target group in use", Rest("DELETE", "/v1/target-groups/web-tg"),
       Aws("elasticloadbalancing", "DeleteTargetGroup", {{"TargetGroupArn", "{tg}"}}), "ResourceInUse");
  both("delete the listener", Rest("POST", "/v1/listeners/delete", {{"ListenerArn", "{listener}"}}),
       Aws("elasticloadbalancing", "DeleteListener", {{"ListenerArn", "{listener}"}}));
  both("delete the load balancer", Rest("DELETE", "/v1/load-balancers/front"),
       Aws("elasticloadbalancing", "DeleteLoadBalancer", {{"LoadBalancerArn", "{lb}"}}));
  both("delete the target group", Rest("DELETE", "/v1/target-groups/web-tg"),
       Aws("elasticloadbalancing", "DeleteTargetGroup", {{"TargetGroupArn", "{tg}"}}));

  // CloudWatch.
  const json datum = {{"MetricName", "Latency"}, {"Value", 12}, {"Unit", "Milliseconds"}, {"Dimensions", {{{"Name", "Service"}, {"Value", "web"}}}}};
  both("put metric data", Rest("POST", "/v1/metrics", {{"Namespace", "App"}, {"MetricData", {datum}}}),
       Aws("monitoring", "PutMetricData", {{"Namespace", "App"}, {"MetricData", {datum}}}));
  // One reader of PutMetricData for both (metrics/put_metric_data.h): a datum needs exactly one of Value,
  // StatisticValues and Values, the request a Namespace.
  const json no_value = {{"MetricName", "Latency"}, {"Unit", "Milliseconds"}};
  both("put a datum without a value", Rest("POST", "/v1/metrics", {{"Namespace", "App"}, {"MetricData", {no_value}}}),
       Aws("monitoring", "PutMetricData", {{"Namespace", "App"}, {"MetricData", {no_value}}}), "InvalidParameterValue");
  const json two_values = {{"MetricName", "Latency"}, {"Value", 1}, {"Values", {1, 2}}};
  both("put a datum with two kinds of value", Rest("POST", "/v1/metrics", {{"Namespace", "App"}, {"MetricData", {two_values}}}),
       Aws("monitoring", "PutMetricData", {{"Namespace", "App"}, {"MetricData", {two_values}}}), "InvalidParameterValue");
  both("put metric data without a namespace", Rest("POST", "/v1/metrics", {{"MetricData", {datum}}}),
       Aws("monitoring", "PutMetricData", {{"MetricData", {datum}}}), "MissingParameter");
  both("list metrics", Rest("GET", "/v1/metrics?namespace=App"), Aws("monitoring", "ListMetrics", {{"Namespace", "App"}}))
      ->checks = {{"/Metrics/0/MetricName", "/Metrics/0/MetricName", "Latency"}};
  both("statistics", Rest("GET", "/v1/metrics/statistics?namespace=App&name=Latency&dimension=Service%3Dweb&statistic=Maximum&period=60"),
       Aws("monitoring", "GetMetricStatistics", {{"Namespace", "App"}, {"MetricName", "Latency"}, {"Period", 60},
                                                 {"Dimensions", {{{"Name", "Service"}, {"Value", "web"}}}},
                                                 {"Statistics", {"Maximum"}}, {"StartTime", "{#t_start}"}, {"EndTime", "{#t_end}"}}))
      ->checks = {{"/Datapoints/0/Maximum", "/Datapoints/0/Maximum", 12.0}};
  const json alarm = {{"AlarmName", "slow"}, {"Namespace", "App"}, {"MetricName", "Latency"}, {"Statistic", "Average"},
                      {"Period", 60}, {"EvaluationPeriods", 1}, {"Threshold", 100}, {"ComparisonOperator", "GreaterThanThreshold"}};
  both("an alarm", Rest("POST", "/v1/alarms", alarm), Aws("monitoring", "PutMetricAlarm", alarm));
  json alarm2 = alarm;
  alarm2["AlarmName"] = "slower";
  both("another alarm", Rest("POST", "/v1/alarms", alarm2), Aws("monitoring", "PutMetricAlarm", alarm2));
  both("alarms", Rest("GET", "/v1/alarms"), Aws("monitoring", "DescribeAlarms"))
      ->checks = {{"/MetricAlarms/0/AlarmName", "/MetricAlarms/0/AlarmName", "slow"}};
  both("one alarm", Rest("GET", "/v1/alarms/slow"), Aws("monitoring", "DescribeAlarms", {{"AlarmNames", {"slow"}}}))
      ->checks = {{"/MetricAlarm/Threshold", "/MetricAlarms/0/Threshold", 100.0}};
  both("set an alarm's state", Rest("POST", "/v1/alarms/slow/state", {{"StateValue", "ALARM"}, {"StateReason", "test"}}),
       Aws("monitoring", "SetAlarmState", {{"AlarmName", "slow"}, {"StateValue", "ALARM"}, {"StateReason", "test"}}));
  both("an alarm's history", Rest("GET", "/v1/alarms/slow/history"), Aws("monitoring", "DescribeAlarmHistory", {{"AlarmName", "slow"}}));
  both("all history", Rest("GET", "/v1/alarm-history"), Aws("monitoring", "DescribeAlarmHistory"));
  both("delete alarms", Rest("POST", "/v1/alarms/delete", {{"AlarmNames", {"slow"}}}), Aws("monitoring", "DeleteAlarms", {{"AlarmNames", {"slow"}}}));
  both("delete one alarm", Rest("DELETE", "/v1/alarms/slower"), Aws("monitoring", "DeleteAlarms", {{"AlarmNames", {"slower"}}}));

  // Volumes.
  const json vol_tag = {{"Key", "Name"}, {"Value", "data"}};
  both("a volume", Rest("POST", "/v1/volumes", {{"Size", 2}, {"Tags", {vol_tag}}}),
       Aws("ec2", "CreateVolume", {{"Size", 2}, {"AvailabilityZone", "locala"},
                                   {"TagSpecifications", {{{"ResourceType", "volume"}, {"Tags", {vol_tag}}}}}}))
      ->captures = {{"vol", "/Volume/VolumeId", "/VolumeId"}};
  s.back().checks = {{"/Volume/State", "/State", "available"}, {"/Volume/VolumeType", "/VolumeType", "gp3"},
                     {"/Volume/Iops", "/Iops", 3000}};
  both("a volume in another zone", Rest("POST", "/v1/volumes", {{"Size", 2}, {"AvailabilityZone", "elsewhere"}}),
       Aws("ec2", "CreateVolume", {{"Size", 2}, {"AvailabilityZone", "elsewhere"}}), "InvalidZone.NotFound");
  both("an io2 volume without IOPS", Rest("POST", "/v1/volumes", {{"Size", 8}, {"VolumeType", "io2"}}),
       Aws("ec2", "CreateVolume", {{"Size", 8}, {"VolumeType", "io2"}, {"AvailabilityZone", "locala"}}), "MissingParameter");
  both("volumes by tag", Rest("GET", "/v1/volumes?filter=tag:Name=data"),
       Aws("ec2", "DescribeVolumes", {{"Filters", {{{"Name", "tag:Name"}, {"Values", {"data"}}}}}}))
      ->checks = {{"/Volumes/0/VolumeId", "/Volumes/0/VolumeId", "{vol}"}, {"/Volumes/1", "/Volumes/1", nullptr}};
  both("one volume", Rest("GET", "/v1/volumes/{vol}"), Aws("ec2", "DescribeVolumes", {{"VolumeIds", {"{vol}"}}}))
      ->checks = {{"/Volume/Size", "/Volumes/0/Size", 2}};
  both("an unknown volume", Rest("GET", "/v1/volumes/vol-0123456789abcdef0"),
       Aws("ec2", "DescribeVolumes", {{"VolumeIds", {"vol-0123456789abcdef0"}}}), "InvalidVolume.NotFound");
  both("attach the volume", Rest("POST", "/v1/volumes/{vol}/attach", {{"InstanceId", "{i1}"}, {"Device", "/dev/sdf"}}),
       Aws("ec2", "AttachVolume", {{"VolumeId", "{vol}"}, {"InstanceId", "{i1}"}, {"Device", "/dev/sdf"}}))
      ->checks = {{"/Volume/Attachments/0/State", "/State", "attached"}, {"/Volume/Attachments/0/Device", "/Device", "/dev/sdf"}};
  both("attach it again", Rest("POST", "/v1/volumes/{vol}/attach", {{"InstanceId", "{i1}"}, {"Device", "/dev/sdg"}}),
       Aws("ec2", "AttachVolume", {{"VolumeId", "{vol}"}, {"InstanceId", "{i1}"}, {"Device", "/dev/sdg"}}), "VolumeInUse");
  both("delete an attached volume", Rest("DELETE", "/v1/volumes/{vol}"), Aws("ec2", "DeleteVolume", {{"VolumeId", "{vol}"}}),
       "VolumeInUse");
  both("volumes of the instance", Rest("GET", "/v1/volumes?filter=attachment.instance-id={i1}"),
       Aws("ec2", "DescribeVolumes", {{"Filters", {{{"Name", "attachment.instance-id"}, {"Values", {"{i1}"}}}}}}))
      ->checks = {{"/Volumes/0/State", "/Volumes/0/State", "in-use"}};
  both("detach from another instance", Rest("POST", "/v1/volumes/{vol}/detach", {{"InstanceId", "i-0123456789abcdef0"}}),
       Aws("ec2", "DetachVolume", {{"VolumeId", "{vol}"}, {"InstanceId", "i-0123456789abcdef0"}}), "InvalidAttachment.NotFound");
  both("detach", Rest("POST", "/v1/volumes/{vol}/detach", json::object()), Aws("ec2", "DetachVolume", {{"VolumeId", "{vol}"}}))
      ->checks = {{"/Volume/Attachments/0/State", "/State", "detached"}};
  both("detach a detached volume", Rest("POST", "/v1/volumes/{vol}/detach", json::object()),
       Aws("ec2", "DetachVolume", {{"VolumeId", "{vol}"}}), "IncorrectState");
  both("grow a volume", Rest("PATCH", "/v1/volumes/{vol}", {{"Size", 4}}),
       Aws("ec2", "ModifyVolume", {{"VolumeId", "{vol}"}, {"Size", 4}}))
      ->checks = {{"/VolumeModification/TargetSize", "/VolumeModification/TargetSize", 4},
                  {"/VolumeModification/OriginalSize", "/VolumeModification/OriginalSize", 2}};
  both("shrink a volume", Rest("PATCH", "/v1/volumes/{vol}", {{"Size", 3}}),
       Aws("ec2", "ModifyVolume", {{"VolumeId", "{vol}"}, {"Size", 3}}), "InvalidParameterValue");
  both("volume modifications", Rest("GET", "/v1/volumes/modifications"),
       Aws("ec2", "DescribeVolumesModifications", {{"VolumeIds", {"{vol}"}}}))
      ->checks = {{"/VolumesModifications/0/TargetSize", "/VolumesModifications/0/TargetSize", 4}};
  both("tag a volume", Rest("POST", "/v1/volumes/{vol}/tags", {{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}),
       Aws("ec2", "CreateTags", {{"Resources", {"{vol}"}}, {"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}));
  both("untag a volume", Rest("DELETE", "/v1/volumes/{vol}/tags?key=env"),
       Aws("ec2", "DeleteTags", {{"Resources", {"{vol}"}}, {"Tags", {{{"Key", "env"}}}}}));
  both("snapshot the volume", Rest("POST", "/v1/snapshots", {{"VolumeId", "{vol}"}, {"Description", "nightly"}}),
       Aws("ec2", "CreateSnapshot", {{"VolumeId", "{vol}"}, {"Description", "nightly"}}))
      ->captures = {{"snap", "/Snapshot/SnapshotId", "/SnapshotId"}};
  s.back().checks = {{"/Snapshot/State", "/State", "completed"}, {"/Snapshot/VolumeSize", "/VolumeSize", 4}};
  both("snapshot an unknown volume", Rest("POST", "/v1/snapshots", {{"VolumeId", "vol-0123456789abcdef0"}}),
       Aws("ec2", "CreateSnapshot", {{"VolumeId", "vol-0123456789abcdef0"}}), "InvalidVolume.NotFound");
  both("snapshots of the volume", Rest("GET", "/v1/snapshots?filter=volume-id={vol}"),
       Aws("ec2", "DescribeSnapshots", {{"Filters", {{{"Name", "volume-id"}, {"Values", {"{vol}"}}}}}}))
      ->checks = {{"/Snapshots/0/SnapshotId", "/Snapshots/0/SnapshotId", "{snap}"}, {"/Snapshots/1", "/Snapshots/1", nullptr}};
  both("one snapshot", Rest("GET", "/v1/snapshots/{snap}"), Aws("ec2", "DescribeSnapshots", {{"SnapshotIds", {"{snap}"}}}))
      ->checks = {{"/Snapshot/Description", "/Snapshots/0/Description", "nightly"}};
  both("copy the snapshot", Rest("POST", "/v1/snapshots/{snap}/copy", {{"Description", "copy"}}),
       Aws("ec2", "CopySnapshot", {{"SourceSnapshotId", "{snap}"}, {"SourceRegion", "local"}, {"Description", "copy"}}))
      ->captures = {{"snapcopy", "/Snapshot/SnapshotId", "/SnapshotId"}};
  both("a volume from the snapshot", Rest("POST", "/v1/volumes", {{"SnapshotId", "{snap}"}}),
       Aws("ec2", "CreateVolume", {{"SnapshotId", "{snap}"}, {"AvailabilityZone", "locala"}}))
      ->captures = {{"restored", "/Volume/VolumeId", "/VolumeId"}};
  s.back().checks = {{"/Volume/Size", "/Size", 4}, {"/Volume/SnapshotId", "/SnapshotId", "{snap}"}};
  both("a volume smaller than its snapshot", Rest("POST", "/v1/volumes", {{"SnapshotId", "{snap}"}, {"Size", 1}}),
       Aws("ec2", "CreateVolume", {{"SnapshotId", "{snap}"}, {"Size", 1}, {"AvailabilityZone", "locala"}}),
       "InvalidParameterValue");
  both("tag a snapshot", Rest("POST", "/v1/snapshots/{snap}/tags", {{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}),
       Aws("ec2", "CreateTags", {{"Resources", {"{snap}"}}, {"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}}));
  both("untag a snapshot", Rest("DELETE", "/v1/snapshots/{snap}/tags?key=env"),
       Aws("ec2", "DeleteTags", {{"Resources", {"{snap}"}}, {"Tags", {{{"Key", "env"}}}}}));
  both("delete the snapshot", Rest("DELETE", "/v1/snapshots/{snap}"), Aws("ec2", "DeleteSnapshot", {{"SnapshotId", "{snap}"}}));
  both("delete it again", Rest("DELETE", "/v1/snapshots/{snap}"), Aws("ec2", "DeleteSnapshot", {{"SnapshotId", "{snap}"}}),
       "InvalidSnapshot.NotFound");
  both("delete the copy", Rest("DELETE", "/v1/snapshots/{snapcopy}"),
       Aws("ec2", "DeleteSnapshot", {{"SnapshotId", "{snapcopy}"}}));
  both("delete the restored volume", Rest("DELETE", "/v1/volumes/{restored}"),
       Aws("ec2", "DeleteVolume", {{"VolumeId", "{restored}"}}));
  both("delete the volume", Rest("DELETE", "/v1/volumes/{vol}"), Aws("ec2", "DeleteVolume", {{"VolumeId", "{vol}"}}));
  both("…and it is gone", Rest("GET", "/v1/volumes/{vol}"), Aws("ec2", "DescribeVolumes", {{"VolumeIds", {"{vol}"}}}),
       "InvalidVolume.NotFound");

  // Last: terminate the first instance.
  both("terminate", Rest("POST", "/v1/instances/{i1}/terminate", json::object()),
       Aws("ec2", "TerminateInstances", {{"InstanceIds", {"{i1}"}}}));
  both("start a terminated instance", Rest("POST", "/v1/instances/{i1}/start", json::object()),
       Aws("ec2", "StartInstances", {{"InstanceIds", {"{i1}"}}}), "IncorrectInstanceState")
      ->before = [](World& w, Vars& v) { WaitFor(w, v["i1"], InstanceState::kTerminated); };
  return s;
}

enum class FrontEnd { kRest, kAws };

// Runs the scenario through one front end; every step must have its expected outcome.
void RunScenario(FrontEnd fe) {
  World w;
  Vars vars = {{"ami_app", w.ImageId("app")}, {"ami_tpl", w.ImageId("tpl-only")}};
  int64_t now = time(nullptr);
  vars["t_start"] = std::to_string(now - 3600);
  vars["t_end"] = std::to_string(now + 60);
  const char* name = fe == FrontEnd::kRest ? "REST" : "AWS";
  for (const Step& step : Scenario()) {
    const std::optional<Call>& call = fe == FrontEnd::kRest ? step.rest : step.aws;
    if (!call) continue;
    SCOPED_TRACE(std::string(name) + ": " + step.what);
    if (step.before) step.before(w, vars);
    if (::testing::Test::HasFatalFailure()) return;
    json body = Subst(call->body, vars);
    World::Outcome out = fe == FrontEnd::kRest ? w.Rest(call->a, Subst(call->b, vars).get<std::string>(), body)
                                               : w.Aws(call->a, call->b, body);
    if (step.expect.empty()) {
      ASSERT_TRUE(out.ok) << call->a << " " << call->b << " -> " << out.code << " " << out.body.dump();
    } else {
      ASSERT_FALSE(out.ok) << call->a << " " << call->b << " succeeded: " << out.body.dump();
      if (step.expect != "*") {
        EXPECT_EQ(out.code, step.expect) << out.body.dump();
      }
      continue;
    }
    for (const auto& [var, rest_ptr, aws_ptr] : step.captures) {
      json::json_pointer p(fe == FrontEnd::kRest ? rest_ptr : aws_ptr);
      ASSERT_TRUE(out.body.contains(p)) << p.to_string() << " in " << out.body.dump();
      vars[var] = out.body[p].get<std::string>();
    }
    for (const auto& [rest_ptr, aws_ptr, want] : step.checks) {
      json::json_pointer p(fe == FrontEnd::kRest ? rest_ptr : aws_ptr);
      json expected = Subst(want, vars);
      if (expected.is_null()) {
        EXPECT_FALSE(out.body.contains(p)) << p.to_string() << " in " << out.body.dump();
      } else {
        ASSERT_TRUE(out.body.contains(p)) << p.to_string() << " in " << out.body.dump();
        EXPECT_EQ(out.body[p], expected) << p.to_string();
      }
    }
  }
}

TEST(FrontEndScenarioTest, ThroughTheRestApi) { RunScenario(FrontEnd::kRest); }

TEST(FrontEndScenarioTest, ThroughTheAwsProtocols) { RunScenario(FrontEnd::kAws); }

// Every operation both front ends offer is in the scenario. An operation added to one front end only must be
// named below with the reason; one added to both must get a step.
TEST(FrontEndScenarioTest, CoversEveryOperationBothFrontEndsOffer) {
  const std::set<std::string> aws_only = {
      "ec2/DescribeTags",                   // REST shows tags on each object
      "ec2/DescribeAvailabilityZones",      // REST: the zones are in GET /v1/subnets
      "ec2/DescribeRegions",                // one region per stratusd
      "ec2/DescribeVpcAttribute",           // REST shows the attributes on the VPC
      "elasticloadbalancing/ModifyListener",
      "elasticloadbalancing/DeleteRule",
      "elasticloadbalancing/DescribeTags",  // REST shows tags on each object
      "elasticloadbalancing/DescribeSSLPolicies",  // docs/lb.md has the policy table
      "acm/GetCertificate",                 // REST: GET /v1/certificates/{id} holds the PEM
      "acm/AddTagsToCertificate",           // REST shows tags on each object; tags are given on import
      "acm/RemoveTagsFromCertificate",
      "acm/ListTagsForCertificate",
      "monitoring/GetMetricData",           // REST: GET /v1/metrics/statistics
  };
  std::set<std::string> in_scenario;
  std::vector<std::string> rest_calls;
  for (const Step& step : Scenario()) {
    if (step.aws) in_scenario.insert(step.aws->a + "/" + step.aws->b);
    if (step.rest) rest_calls.push_back(step.rest->a + " " + step.rest->b.substr(0, step.rest->b.find('?')));
  }
  World w;
  for (const auto& [service, op] : w.aws_handler().SupportedOperations()) {
    std::string key = service + "/" + op;
    EXPECT_TRUE(in_scenario.count(key) || aws_only.count(key)) << key << " is in neither the scenario nor the AWS-only list";
  }
  // The REST routes that have an AWS counterpart (docs/api.md); the others (image builds, prune, export and
  // import, /metrics, /v1/health) have none.
  const std::vector<std::string> shared_routes = {
      "POST /v1/instances", "GET /v1/instances", "GET /v1/instances/[^/]+", "PATCH /v1/instances/[^/]+",
      "GET /v1/instances/[^/]+/console", "POST /v1/instances/[^/]+/(stop|start|reboot|terminate)",
      "POST /v1/instances/[^/]+/tags", "DELETE /v1/instances/[^/]+/tags", "GET /v1/instance-types", "GET /v1/vpcs",
      "POST /v1/vpcs", "GET /v1/vpcs/[^/]+", "PATCH /v1/vpcs/[^/]+", "DELETE /v1/vpcs/[^/]+", "GET /v1/subnets",
      "POST /v1/subnets", "GET /v1/subnets/[^/]+", "PATCH /v1/subnets/[^/]+", "DELETE /v1/subnets/[^/]+",
      "GET /v1/security-groups", "POST /v1/security-groups", "GET /v1/security-groups/[^/]+",
      "DELETE /v1/security-groups/[^/]+", "GET /v1/security-groups/[^/]+/rules",
      "POST /v1/security-groups/[^/]+/(authorize|revoke)", "GET /v1/images", "GET /v1/images/[^/]+", "POST /v1/images", "DELETE /v1/images/[^/]+",
      "POST /v1/images/[^/]+/tags", "DELETE /v1/images/[^/]+/tags", "POST /v1/launch-templates",
      "GET /v1/launch-templates", "GET /v1/launch-templates/[^/]+", "GET /v1/launch-templates/[^/]+/versions",
      "POST /v1/launch-templates/[^/]+/versions", "PATCH /v1/launch-templates/[^/]+",
      "DELETE /v1/launch-templates/[^/]+", "POST /v1/auto-scaling-groups", "GET /v1/auto-scaling-groups",
      "GET /v1/auto-scaling-groups/[^/]+", "PATCH /v1/auto-scaling-groups/[^/]+", "DELETE /v1/auto-scaling-groups/[^/]+",
      "GET /v1/auto-scaling-instances", "POST /v1/auto-scaling-instances/[^/]+/terminate",
      "POST /v1/auto-scaling-groups/[^/]+/desired-capacity", "GET /v1/auto-scaling-groups/[^/]+/activities",
      "POST /v1/auto-scaling-groups/[^/]+/suspend", "POST /v1/auto-scaling-groups/[^/]+/resume",
      "POST /v1/auto-scaling-groups/[^/]+/instance-protection", "PUT /v1/auto-scaling-groups/[^/]+/policies/[^/]+",
      "GET /v1/auto-scaling-groups/[^/]+/policies", "DELETE /v1/auto-scaling-groups/[^/]+/policies/[^/]+",
      "POST /v1/auto-scaling-groups/[^/]+/policies/[^/]+/execute",
      "PUT /v1/auto-scaling-groups/[^/]+/scheduled-actions/[^/]+", "GET /v1/auto-scaling-groups/[^/]+/scheduled-actions",
      "DELETE /v1/auto-scaling-groups/[^/]+/scheduled-actions/[^/]+",
      "POST /v1/auto-scaling-groups/[^/]+/instance-refreshes", "GET /v1/auto-scaling-groups/[^/]+/instance-refreshes",
      "DELETE /v1/auto-scaling-groups/[^/]+/instance-refreshes", "POST /v1/load-balancers", "GET /v1/load-balancers",
      "GET /v1/load-balancers/[^/]+", "DELETE /v1/load-balancers/[^/]+", "POST /v1/load-balancers/[^/]+/listeners",
      "GET /v1/load-balancers/[^/]+/listeners", "POST /v1/load-balancers/[^/]+/rules", "POST /v1/listeners/delete",
      "POST /v1/rules", "GET /v1/rules", "POST /v1/target-groups", "GET /v1/target-groups", "GET /v1/target-groups/[^/]+",
      "PATCH /v1/target-groups/[^/]+", "DELETE /v1/target-groups/[^/]+", "POST /v1/target-groups/[^/]+/(register|deregister)",
      "GET /v1/target-groups/[^/]+/health", "POST /v1/metrics", "GET /v1/metrics", "GET /v1/metrics/statistics",
      "POST /v1/alarms", "POST /v1/alarms/delete", "DELETE /v1/alarms/[^/]+", "POST /v1/alarms/[^/]+/state",
      "GET /v1/alarms", "GET /v1/alarms/[^/]+", "GET /v1/alarms/[^/]+/history", "GET /v1/alarm-history", "POST /v1/certificates", "GET /v1/certificates",
      "GET /v1/certificates/.+", "DELETE /v1/certificates/.+", "GET /v1/listener-certificates",
      "POST /v1/listener-certificates(/remove)?",
      "POST /v1/volumes", "GET /v1/volumes", "GET /v1/volumes/[^/]+", "PATCH /v1/volumes/[^/]+",
      "DELETE /v1/volumes/[^/]+", "POST /v1/volumes/[^/]+/tags", "DELETE /v1/volumes/[^/]+/tags",
      "POST /v1/volumes/[^/]+/attach", "POST /v1/volumes/[^/]+/detach",
      "POST /v1/snapshots", "GET /v1/snapshots", "GET /v1/snapshots/[^/]+", "DELETE /v1/snapshots/[^/]+",
      "POST /v1/snapshots/[^/]+/copy", "POST /v1/snapshots/[^/]+/tags", "DELETE /v1/snapshots/[^/]+/tags"};
  for (const auto& route : shared_routes) {
    std::regex re(route);
    bool used = std::any_of(rest_calls.begin(), rest_calls.end(), [&](const std::string& c) { return std::regex_match(c, re); });
    EXPECT_TRUE(used) << route << " has no step in the scenario";
  }
}

}  // namespace
}  // namespace stratus
