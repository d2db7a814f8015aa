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

// A listener or rule action, as ELBv2's Action: forward (to one or more weighted target groups), redirect or
// fixed-response. Requests name target groups by name or ARN; stored actions hold ARNs.
struct ForwardTargetGroup {
  std::string target_group_arn;
  int weight = 1;  // 0..999
  bool operator==(const ForwardTargetGroup&) const = default;
};

struct Action {
  std::string type = "forward";  // forward | redirect | fixed-response
  std::vector<ForwardTargetGroup> target_groups;  // forward
  // redirect (RedirectConfig): each part may use #{protocol}, #{host}, #{port}, #{path}, #{query}
  std::string protocol = "#{protocol}";  // HTTP | HTTPS | #{protocol}
  std::string port = "#{port}";
  std::string host = "#{host}";
  std::string path = "/#{path}";
  std::string query = "#{query}";
  std::string status_code;  // redirect: HTTP_301 | HTTP_302; fixed-response: "200".."599"
  std::string content_type = "text/plain";  // fixed-response
  std::string message_body;                 // fixed-response, at most 1024 bytes
};

// A rule condition, as ELBv2's RuleCondition: every condition of a rule must match, any of its values.
struct Condition {
  std::string field;                 // host-header | path-pattern | http-header | query-string | source-ip |
                                     // http-request-method
  std::vector<std::string> values;   // all but query-string
  std::string header_name;           // http-header
  std::vector<std::pair<std::string, std::string>> query;  // query-string (Key may be empty)
};

struct Rule {
  std::string arn;
  int priority = 1;  // 1..50000; the default rule is not stored here
  std::vector<Condition> conditions;
  Action action;
};

struct Listener {
  std::string arn;
  std::string load_balancer_arn;
  int port = 80;
  std::string protocol = "HTTP";  // HTTP | HTTPS (application), TCP | TLS (network)
  Action default_action;
  std::vector<Rule> rules;
  // HTTPS | TLS: certificate ARNs, the first is the default, the others are chosen by SNI.
  std::vector<std::string> certificates;
  std::string ssl_policy;                // HTTPS | TLS: an ELBSecurityPolicy name
  std::string alpn_policy;               // TLS: None | HTTP1Only ("" = None)
};

// True for the protocols that terminate TLS.
inline bool IsTlsProtocol(const std::string& p) { return p == "HTTPS" || p == "TLS"; }

// The target group ARNs a listener's default action and rules forward to.
std::vector<std::string> ForwardedTargetGroups(const Listener& l);

// One action in ELBv2's form ({"Type", "TargetGroupArn" | "ForwardConfig" | "RedirectConfig" |
// "FixedResponseConfig"}), or the one action of a list (Stratus takes one action per rule). ValidationError for a
// malformed one, UnsupportedFeature for authenticate actions and lists of several.
Result<Action> ActionFromJson(const nlohmann::json& a);
Result<Action> ActionsFromJson(const nlohmann::json& list);
nlohmann::json ToJson(const Action& a);
// Rule conditions in ELBv2's form ({"Field", "Values", "HostHeaderConfig", "HttpHeaderConfig", ...}).
Result<std::vector<Condition>> ConditionsFromJson(const nlohmann::json& list);
nlohmann::json ToJson(const Condition& c);
// Checks an action's own settings (not whether its target groups exist): status codes, redirect protocol,
// content types, body size, weights. ValidationError.
Status ValidateAction(const Action& a);
Status ValidateConditions(const std::vector<Condition>& conditions);

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
