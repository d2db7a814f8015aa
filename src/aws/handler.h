// StratusAwsHandler: the AwsHandler of stratusd. It maps every supported AWS operation (EC2, ELBv2, EC2 Auto
// Scaling, CloudWatch, ACM) onto Stratus's one service layer; it holds no business logic of its own, only the
// translation between the neutral JSON of the wire layer (model member names) and the services' types.
//
//   AwsServices s{.instances = ..., .elb = ..., ...};   // nullptr: that service is not in this daemon
//   StratusAwsHandler handler(s);
//   auto endpoint = AwsEndpoint::Create(lookup, &handler, {...});
//
// docs/aws-compat.md lists every operation and its differences from AWS.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "aws/types.h"
#include "net/vpc.h"

namespace stratus {
class InstanceService;
class ImageStore;
class ImageService;
class InstanceTypeTable;
class VolumeService;
class MetricStore;
namespace elb {
class LoadBalancerService;
class CertificateService;
}
namespace scaling {
class LaunchTemplateService;
class AutoScalingService;
}  // namespace scaling
namespace cloudwatch {
class AlarmService;
}
namespace vpc {
class VpcService;
}
}  // namespace stratus

namespace stratus::aws {

// The services the handler drives. Every pointer may be null; operations of a missing service answer
// an error naming the operation. Pointers must outlive the handler.
struct AwsServices {
  InstanceService* instances = nullptr;
  ImageStore* images = nullptr;
  ImageService* image_service = nullptr;
  const InstanceTypeTable* types = nullptr;
  VpcInfo vpc;                    // the default VPC (zones, the ELBv2 default VpcId)
  vpc::VpcService* vpcs = nullptr;  // VPCs, subnets and security groups
  scaling::LaunchTemplateService* templates = nullptr;
  elb::LoadBalancerService* elb = nullptr;
  elb::CertificateService* certificates = nullptr;
  scaling::AutoScalingService* autoscaling = nullptr;
  MetricStore* metrics = nullptr;
  cloudwatch::AlarmService* alarms = nullptr;
  VolumeService* volumes = nullptr;
  std::string region = "local";
};

class StratusAwsHandler : public AwsHandler {
 public:
  explicit StratusAwsHandler(AwsServices services);

  // Runs one operation (see AwsHandler). Unsupported operations get UnsupportedOperation (400) naming it;
  // operations of a service this daemon lacks get ServiceUnavailable-style 400 naming it. Never throws.
  std::variant<nlohmann::json, AwsError> Call(const std::string& service, const std::string& operation,
                                              const nlohmann::json& input, const AwsCallContext& ctx) override;

  // Every (service, operation) pair the handler implements, for docs and tests.
  std::vector<std::pair<std::string, std::string>> SupportedOperations() const;

  using Output = std::variant<nlohmann::json, AwsError>;
  using Op = std::function<Output(const nlohmann::json& input, const AwsCallContext& ctx)>;

 private:
  void RegisterEc2();
  void RegisterEc2Images();
  void RegisterEc2Network();
  void RegisterEc2Vpc();
  void RegisterEc2Volumes();
  void RegisterEc2Snapshots();
  void RegisterElbv2();
  void RegisterElbv2Targets();
  void RegisterAutoScaling();
  void RegisterAutoScalingActions();
  void RegisterCloudWatch();
  void RegisterAcm();

  AwsServices s_;
  std::map<std::string, Op> ops_;  // "service/Operation"; filled by the constructor, read-only afterwards
};

}  // namespace stratus::aws
