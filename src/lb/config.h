// Load balancer configuration: the ELBv2-shaped objects that stratusd sends to stratus-lb as versioned snapshots
// (and that `stratus-lb --config FILE` reads), with their JSON form. docs/lb.md describes every field.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus::lb {

// Listener protocols: http/https are proxied per request (ALB), tcp/tls copy bytes (NLB); https and tls terminate
// TLS. Target groups and health checks use http or tcp.
enum class Protocol { kHttp, kTcp, kHttps, kTls };
enum class Algorithm { kRoundRobin, kLeastOutstandingRequests, kWeightedRandom };

const char* ProtocolName(Protocol p);
const char* AlgorithmName(Algorithm a);

struct HealthCheckConfig {
  bool enabled = true;
  Protocol protocol = Protocol::kHttp;  // http: GET path, status must match `matcher`; tcp: connect only
  std::string path = "/";
  int port = 0;  // 0 = the target's traffic port
  int interval_ms = 5000;
  int timeout_ms = 2000;
  int healthy_threshold = 3;    // consecutive passes for unhealthy -> healthy (initial -> healthy takes one)
  int unhealthy_threshold = 2;  // consecutive failures for healthy -> unhealthy
  std::string matcher = "200-399";  // "200", "200,204", "200-299"
};

struct StickinessConfig {
  bool enabled = false;        // type lb_cookie: cookie AWSALB names the target
  int duration_s = 86400;
};

struct TargetConfig {
  std::string id;       // e.g. instance id; defaults to "ip:port"
  std::string ip;       // IPv4 address
  int port = 0;         // 0 = the target group's port
  int weight = 1;       // 1..1000, for weighted algorithms and slow start
  bool draining = false;  // deregistering: no new requests
};

struct TargetGroupConfig {
  std::string name;
  Protocol protocol = Protocol::kHttp;
  int port = 80;
  Algorithm algorithm = Algorithm::kRoundRobin;
  HealthCheckConfig health_check;
  StickinessConfig stickiness;
  int deregistration_delay_ms = 300000;
  int slow_start_ms = 0;
  std::vector<TargetConfig> targets;
};

// What a listener does with a request, as ELBv2 listener actions.
enum class ActionType { kForward, kRedirect, kFixedResponse };
const char* ActionTypeName(ActionType t);

struct WeightedTargetGroup {
  std::string target_group;
  int weight = 1;  // 0..999; a request goes to a group with probability weight / sum of weights
};

struct ActionConfig {
  ActionType type = ActionType::kForward;
  std::vector<WeightedTargetGroup> target_groups;  // forward
  // redirect: each part may use #{protocol}, #{host}, #{port}, #{path} (without its leading /) and #{query}
  // (without the ?); the defaults keep the request's own value.
  std::string protocol = "#{protocol}";  // HTTP, HTTPS or #{protocol}
  std::string host = "#{host}";
  std::string port = "#{port}";
  std::string path = "/#{path}";
  std::string query = "#{query}";
  int status_code = 301;  // redirect: 301 or 302; fixed_response: 200-599
  std::string content_type = "text/plain";  // fixed_response
  std::string message_body;                  // fixed_response, at most 1024 bytes
};

struct HeaderCondition {
  std::string name;                 // case-insensitive
  std::vector<std::string> values;  // globs, case-insensitive; any may match
};

struct QueryCondition {
  std::string key;    // empty: any key
  std::string value;  // glob, case-insensitive
};

// A listener rule: every non-empty condition must match (within one condition, any of its values); the lowest
// priority number wins.
struct RuleConfig {
  int priority = 1;
  std::vector<std::string> hosts;  // "example.com", "*.example.com" (case-insensitive, port ignored)
  std::vector<std::string> paths;  // glob: "/api/*", "/img/?.png" (query string ignored)
  std::string target_group;        // shorthand for a forward action to one group
  std::vector<HeaderCondition> http_headers = {};  // every listed header must match
  std::vector<QueryCondition> query_strings = {};  // any pair may match
  std::vector<std::string> source_ips = {};        // CIDRs ("10.0.0.0/8"); the client's address
  std::vector<std::string> methods = {};           // "GET", "POST" (exact)
  ActionConfig action = {};  // forward (with target_groups filled from target_group), redirect or fixed_response
};

// A certificate with its private key (PEM), referenced by listeners by name. Keys travel only inside snapshots
// (the config file or the control socket) and are never logged or returned.
struct CertificateConfig {
  std::string name;         // e.g. an ACM certificate ARN
  std::string certificate;  // PEM, the leaf certificate
  std::string private_key;  // PEM
  std::string chain;        // PEM, intermediates (optional)
};

struct ListenerConfig {
  std::string name;
  std::string bind;  // "127.0.0.1:8080" or "0.0.0.0:80"
  Protocol protocol = Protocol::kHttp;
  std::string default_target_group;  // shorthand for a default forward action to one group
  ActionConfig default_action;       // forward (target_groups filled from default_target_group), redirect, fixed
  std::vector<RuleConfig> rules;     // kept sorted by priority after parsing
  // https / tls only: certificate names, the first is the default; the others are chosen by SNI.
  std::vector<std::string> certificates;
  std::string ssl_policy = "ELBSecurityPolicy-2016-08";  // ELBv2's default for API-created listeners
  std::string alpn_policy = "None";                      // None | HTTP1Only (ELBv2's AlpnPolicy names)
};

// True for listeners that terminate TLS.
inline bool IsTls(Protocol p) { return p == Protocol::kHttps || p == Protocol::kTls; }
// True for listeners proxied per request.
inline bool IsHttpListener(Protocol p) { return p == Protocol::kHttp || p == Protocol::kHttps; }

// Process-wide settings; timeouts apply to every listener.
struct Settings {
  int header_timeout_ms = 10000;   // a client must send a whole request head within this
  int idle_timeout_ms = 60000;     // idle keep-alive client connection / idle TCP stream
  int request_timeout_ms = 60000;  // upstream must start its response within this (else 504)
  int connect_timeout_ms = 3000;   // upstream connect (then retried elsewhere)
  int upstream_idle_ms = 30000;    // pooled idle upstream connections are closed after this
  int max_retries = 2;             // extra attempts on another target
  int outlier_consecutive_failures = 5;  // Envoy's consecutive_5xx default
  int outlier_base_ejection_ms = 30000;  // Envoy's base_ejection_time default
  int handshake_timeout_ms = 10000;      // a TLS client must finish its handshake within this
  int ticket_key_rotation_ms = 3600000;  // TLS session ticket keys: a new one this often, the previous one accepted
};

struct LbConfig {
  uint64_t version = 0;
  Settings settings;
  std::vector<ListenerConfig> listeners;
  std::vector<TargetGroupConfig> target_groups;
  std::vector<CertificateConfig> certificates;

  // Returns the target group with this name, or nullptr.
  const TargetGroupConfig* FindTargetGroup(const std::string& name) const;
  const CertificateConfig* FindCertificate(const std::string& name) const;
};

// Parses and validates a configuration (see docs/lb.md). Errors name the offending field.
Result<LbConfig> ParseConfig(const nlohmann::json& j);
Result<LbConfig> ParseConfigText(const std::string& text);

// Serializes a configuration; ParseConfig(ConfigToJson(c)) yields c.
nlohmann::json ConfigToJson(const LbConfig& config);

// Parses "a.b.c.d:port" into its parts; error when malformed.
Status ParseHostPort(const std::string& s, std::string* ip, int* port);

// Adds the names of the target groups a listener forwards to (default action and rules) to `out`.
void AddForwardedGroups(const ListenerConfig& l, std::set<std::string>* out);

// Parses "a.b.c.d/len" into a network and mask (host order); error when malformed.
Status ParseCidr(const std::string& s, uint32_t* net, uint32_t* mask);

// True when `status` matches a matcher like "200", "200,204" or "200-299".
bool MatchesStatus(const std::string& matcher, int status);

}  // namespace stratus::lb
