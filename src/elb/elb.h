// ELBv2-shaped objects as stratusd keeps them: load balancers, listeners, rules, target groups and
// registered targets. Field names follow the ELBv2 API so every front-end serializes them directly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"

namespace stratus::elb {

struct TargetGroupHealthCheck {
  std::string protocol;           // HTTP | TCP; "" in a request: the target group's default (TCP for TCP groups)
  std::string port = "traffic-port";
  std::string path = "/";
  int interval_seconds = 5;       // ALB default 30; Stratus reacts in seconds (docs/lb.md)
  int timeout_seconds = 2;        // ALB default 5
  int healthy_threshold = 3;      // ALB default 5
  int unhealthy_threshold = 2;    // ALB default 2
  std::string matcher = "200";    // ALB default 200
};

struct TargetGroupAttributes {
  int deregistration_delay_seconds = 300;  // ALB default
  bool stickiness_enabled = false;
  int stickiness_duration_seconds = 86400;
  int slow_start_seconds = 0;
  std::string algorithm = "round_robin";  // round_robin | least_outstanding_requests | weighted_random
};

struct Target {
  std::string id;  // instance id, or an IPv4 address for TargetType ip
  int port = 0;    // 0: the target group's port
  bool operator==(const Target&) const = default;
};

struct TargetGroup {
  std::string arn;
  std::string name;
  std::string protocol = "HTTP";  // HTTP | TCP
  int port = 80;
  std::string vpc_id;
  std::string target_type = "instance";  // instance | ip
  TargetGroupHealthCheck health_check;
  TargetGroupAttributes attributes;
  std::vector<Target> targets;   // registered
  std::vector<Tag> tags;
};

struct Rule {
  std::string arn;
  int priority = 1;                 // 1..50000; the default rule is not stored here
  std::vector<std::string> hosts;   // host-header values
  std::vector<std::string> paths;   // path-pattern values
  std::string target_group_arn;
};

struct Listener {
  std::string arn;
  std::string load_balancer_arn;
  int port = 80;
  std::string protocol = "HTTP";  // HTTP | TCP
  std::string default_target_group_arn;
  std::vector<Rule> rules;
};

struct LoadBalancer {
  std::string arn;
  std::string name;
  std::string type = "application";  // application | network
  std::string scheme = "internet-facing";
  std::string dns_name;              // the address listeners bind
  std::string vpc_id;
  std::string state = "active";
  std::string created_time;
  std::vector<Listener> listeners;
  std::vector<Tag> tags;
};

nlohmann::json ToJson(const TargetGroup& tg);
nlohmann::json ToJson(const Listener& l);
nlohmann::json ToJson(const Rule& r, bool is_default = false);
nlohmann::json ToJson(const LoadBalancer& lb);  // without its listeners (DescribeLoadBalancers)
nlohmann::json ToStoreJson(const LoadBalancer& lb);  // with listeners and rules
Result<TargetGroup> TargetGroupFromJson(const nlohmann::json& j);
Result<LoadBalancer> LoadBalancerFromStoreJson(const nlohmann::json& j);

// The "Targets" member of a register, deregister or target health body: a list of {"Id": string, "Port": int},
// Port 0 (the group's port) when absent. ValidationError when the member is missing or malformed.
Result<std::vector<Target>> ParseTargets(const nlohmann::json& body);

// Reads the health check members of a create or modify target group body into `hc`, leaving absent (or null) ones
// as they are: HealthCheckProtocol, HealthCheckPort, HealthCheckPath, HealthCheckIntervalSeconds,
// HealthCheckTimeoutSeconds, HealthyThresholdCount, UnhealthyThresholdCount — AWS's member names, so the REST
// routes and the ELBv2 handler read them the same way. ValidationError naming a member of another JSON type.
// Matcher is left to the caller: the REST API takes it as a string, ELBv2 as {"HttpCode": ...}.
Status ReadHealthCheckMembers(const nlohmann::json& body, TargetGroupHealthCheck& hc);

// Names: 1-32 alphanumerics and hyphens, not starting or ending with a hyphen (ELBv2's rule).
Status ValidateName(const std::string& kind, const std::string& name);

}  // namespace stratus::elb
