// The scaling service's view of the rest of stratusd: instances, target groups and metrics.
//
// Small interfaces so the reconcile logic can be tested with fakes, and so src/scaling does not link
// the load balancer or the metric store: the daemon adapts the real services (daemon/scaling_ports.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tags.h"

namespace stratus::scaling {

// What the group needs to know about one of its instances.
struct InstanceView {
  std::string instance_id;
  std::string state;  // EC2 state name: pending | running | shutting-down | terminated | stopping | stopped
  std::string subnet_id;
  std::string private_ip;
};

struct LaunchSpec {
  std::string image_id;
  std::string instance_type;
  std::string user_data;  // raw bytes
  std::vector<Tag> tags;
  std::map<std::string, std::string> sysctls;
  std::string subnet_id;
};

class InstancePort {
 public:
  virtual ~InstancePort() = default;
  // Launches one instance; returns its id (the launch continues in the background).
  virtual Result<std::string> Launch(const LaunchSpec& spec) = 0;
  // The instance, or NotFound once it is gone (terminated records expire).
  virtual Result<InstanceView> Get(const std::string& id) = 0;
  // Starts terminating the instance; NotFound when it does not exist.
  virtual Status Terminate(const std::string& id) = 0;
  // Non-terminated instances carrying tag key=value (to adopt launches a crash left unrecorded).
  virtual Result<std::vector<InstanceView>> ListTagged(const std::string& key, const std::string& value) = 0;
};

// One registered (or draining) target's health, ELBv2's words: initial | healthy | unhealthy | unused |
// draining | unavailable.
struct TargetState {
  std::string instance_id;
  std::string state;
};

class TargetGroupPort {
 public:
  virtual ~TargetGroupPort() = default;
  // The target group's ARN for a name or ARN; NotFound (ValidationError) for an unknown one.
  virtual Result<std::string> Resolve(const std::string& name_or_arn) = 0;
  virtual Status Register(const std::string& tg_arn, const std::string& instance_id) = 0;
  virtual Status Deregister(const std::string& tg_arn, const std::string& instance_id) = 0;
  // Registered and still-draining targets.
  virtual Result<std::vector<TargetState>> Health(const std::string& tg_arn) = 0;
};

struct MetricDimension {
  std::string name;
  std::string value;
};

// A statistic of one metric series over [now - window, now).
struct MetricQuery {
  std::string namespace_;
  std::string metric_name;
  std::vector<MetricDimension> dimensions;
  std::string statistic = "Average";  // Average | Sum | Minimum | Maximum | SampleCount
  int window_seconds = 3;
};

// One of an auto scaling group's capacity metrics, as AWS names them in the AWS/AutoScaling namespace.
struct GroupMetric {
  std::string name;  // GroupDesiredCapacity, GroupInServiceInstances, ...
  double value = 0;
};

class MetricReader {
 public:
  virtual ~MetricReader() = default;
  // The statistic over the window, or nullopt when the series has no data in it.
  virtual std::optional<double> Read(const MetricQuery& query) = 0;
};

}  // namespace stratus::scaling
