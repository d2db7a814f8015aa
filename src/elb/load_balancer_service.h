// LoadBalancerService: the one business logic for ELBv2 objects, under every API.
//
// Records live in the Store (written before a change is acknowledged). After every change the whole
// configuration is rebuilt as a snapshot and pushed to the data plane (stratus-lb), which does the
// forwarding and the health checks; target health and traffic metrics are read back from it.
// Targets that are instances are resolved to their private IPs here, and follow the instances:
// a stopped or terminated instance leaves the data plane (terminated ones are deregistered, as AWS does).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "compute/instance_service.h"
#include "elb/data_plane.h"
#include "elb/elb.h"
#include "store/store.h"

namespace stratus::elb {

// How often the sync loop reads the data plane's status (target health, metrics) in steady state. A
// health change reaches DescribeTargetHealth within this; a read is one small request on a unix socket.
inline constexpr int kStatusReadMs = 200;

struct LoadBalancerServiceOptions {
  std::string region = "local";
  std::string account = "000000000000";
  std::string vpc_id;
  std::string bind_address = "127.0.0.1";  // listeners bind here (0.0.0.0 to serve other hosts)
};

class CertificateService;

// A listener to create (with its load balancer or alone).
struct ListenerSpec {
  int port = 80;
  std::string protocol = "HTTP";     // HTTP | HTTPS | TCP | TLS
  std::string default_target_group;  // shorthand for a forward default action: name or ARN
  std::optional<Action> default_action = {};  // when set, instead of default_target_group (target groups: names or ARNs)
  std::vector<std::string> certificates = {};  // HTTPS | TLS: certificate ARNs (or ids), the first is the default
  std::string ssl_policy = {};   // HTTPS | TLS: "" = ELBSecurityPolicy-2016-08
  std::string alpn_policy = {};  // TLS: None | HTTP1Only
};

// What ModifyListener changes; unset members stay.
struct ListenerChange {
  std::optional<Action> default_action;
  std::optional<std::string> default_certificate;  // replaces the default (first) certificate
  std::optional<std::string> ssl_policy;
  std::optional<std::string> alpn_policy;
};

// A security policy as DescribeSSLPolicies shows it.
struct SslPolicyDescription {
  std::string name;
  std::vector<std::string> protocols;  // TLSv1 .. TLSv1.3
  std::vector<std::string> ciphers;    // in preference order
};

struct TargetHealthDescription {
  Target target;            // with the port resolved
  std::string state;        // initial | healthy | unhealthy | unused | draining | unavailable
  std::string reason;       // Elb.RegistrationInProgress, Target.FailedHealthChecks, Target.NotRunning, ...
  std::string description;
};

class LoadBalancerService {
 public:
  // Every pointer must outlive the service.
  LoadBalancerService(Store* store, InstanceService* instances, DataPlane* data_plane, LoadBalancerServiceOptions options);
  ~LoadBalancerService();

  // Loads the records, pushes the configuration to the data plane and starts following it (health,
  // reconnects) and the instances (IP changes, stop, terminate).
  Status Start();

  // Creates a load balancer, with `listeners` when given: all or nothing — when a listener is refused (a port
  // in use: InvalidConfigurationRequest), the load balancer is not kept. Idempotent for the same name and type.
  Result<LoadBalancer> CreateLoadBalancer(const std::string& name, const std::string& type,
                                          const std::vector<Tag>& tags, const std::vector<ListenerSpec>& listeners = {});
  // By names or ARNs; all when both are empty. LoadBalancerNotFound for an unknown one.
  Result<std::vector<LoadBalancer>> DescribeLoadBalancers(const std::vector<std::string>& names_or_arns) const;
  Status DeleteLoadBalancer(const std::string& name_or_arn);

  // Certificates come from `certificates` (set before Start; without it HTTPS and TLS listeners are refused).
  void UseCertificates(CertificateService* certificates);
  // A certificate was re-imported: the data plane gets the new one (new connections present it).
  void CertificatesChanged() { Changed(); }

  Result<Listener> CreateListener(const std::string& lb, ListenerSpec spec);
  Result<Listener> CreateListener(const std::string& lb, int port, const std::string& protocol,
                                  const std::string& default_target_group);
  // A load balancer's listeners, or the listeners with these ARNs.
  Result<std::vector<Listener>> DescribeListeners(const std::string& lb, const std::vector<std::string>& arns) const;
  Status DeleteListener(const std::string& arn);
  Result<Listener> ModifyListenerDefault(const std::string& arn, const std::string& target_group);
  Result<Listener> ModifyListener(const std::string& arn, const ListenerChange& change);

  // An HTTPS or TLS listener's certificates: the default first (IsDefault), then the SNI ones.
  Result<std::vector<std::string>> DescribeListenerCertificates(const std::string& arn) const;
  // Adds SNI certificates (already present ones are kept once); CertificateNotFound for an unknown one.
  Status AddListenerCertificates(const std::string& arn, const std::vector<std::string>& certificates);
  // Removes SNI certificates; the default one cannot be removed this way (ModifyListener replaces it).
  Status RemoveListenerCertificates(const std::string& arn, const std::vector<std::string>& certificates);
  // The load balancers (ARNs) with a listener using this certificate: the certificate service's in-use check.
  std::vector<std::string> LoadBalancersUsingCertificate(const std::string& certificate_arn) const;
  // The security policies listeners take (all when `names` is empty); SSLPolicyNotFound for an unknown name.
  static Result<std::vector<SslPolicyDescription>> DescribeSslPolicies(const std::vector<std::string>& names);

  Result<Rule> CreateRule(const std::string& listener_arn, int priority, std::vector<Condition> conditions,
                          Action action);
  // Shorthand: host-header and path-pattern conditions forwarding to one target group.
  Result<Rule> CreateRule(const std::string& listener_arn, int priority, const std::vector<std::string>& hosts,
                          const std::vector<std::string>& paths, const std::string& target_group);
  // The listener's rules, the default rule last (as ELBv2 lists it, with Priority "default").
  Result<std::vector<std::pair<Rule, bool>>> DescribeRules(const std::string& listener_arn) const;
  Status DeleteRule(const std::string& arn);

  // Creates a target group with `attributes` (ModifyTargetGroupAttributes's keys) applied: all or nothing, a
  // bad attribute creates nothing. A health check without a protocol gets the group's default: TCP checks
  // for a TCP group, HTTP otherwise.
  Result<TargetGroup> CreateTargetGroup(TargetGroup spec, const std::map<std::string, std::string>& attributes = {});
  Result<std::vector<TargetGroup>> DescribeTargetGroups(const std::vector<std::string>& names_or_arns,
                                                        const std::string& load_balancer) const;
  Result<TargetGroup> FindTargetGroup(const std::string& name_or_arn) const;
  Result<TargetGroup> ModifyTargetGroupHealthCheck(const std::string& tg, const TargetGroupHealthCheck& hc);
  // The health check (when given) and the attributes in one change (REST PATCH /v1/target-groups/NAME): all or
  // nothing, a bad attribute changes nothing.
  Result<TargetGroup> ModifyTargetGroup(const std::string& tg, const std::optional<TargetGroupHealthCheck>& hc,
                                        const std::map<std::string, std::string>& attributes);
  // ELBv2 attribute keys: deregistration_delay.timeout_seconds, stickiness.enabled, stickiness.type,
  // stickiness.lb_cookie.duration_seconds, slow_start.duration_seconds, load_balancing.algorithm.type.
  Result<TargetGroup> ModifyTargetGroupAttributes(const std::string& tg, const std::map<std::string, std::string>& attrs);
  static std::map<std::string, std::string> AttributesOf(const TargetGroup& tg);
  Status DeleteTargetGroup(const std::string& tg);

  Status RegisterTargets(const std::string& tg, const std::vector<Target>& targets);
  Status DeregisterTargets(const std::string& tg, const std::vector<Target>& targets);
  // Health of the registered targets (and of deregistered ones still draining); `targets` filters.
  Result<std::vector<TargetHealthDescription>> DescribeTargetHealth(const std::string& tg,
                                                                    const std::vector<Target>& targets) const;

  // The data plane's latest metrics (see docs/lb.md), or an empty object.
  nlohmann::json Metrics() const;
  // The data plane's metrics in Prometheus text format.
  Result<std::string> PrometheusMetrics() const;

 private:
  // The load balancer record alone; `created` says whether it is new (false: an identical one existed).
  Result<LoadBalancer> CreateLoadBalancerRecord(const std::string& name, const std::string& type,
                                                const std::vector<Tag>& tags, bool* created);
  Status Persist(const LoadBalancer& lb);      // requires mu_
  Status Persist(const TargetGroup& tg);       // requires mu_
  LoadBalancer* FindLb(const std::string& name_or_arn);            // requires mu_
  const LoadBalancer* FindLb(const std::string& name_or_arn) const;
  TargetGroup* FindTg(const std::string& name_or_arn);             // requires mu_
  const TargetGroup* FindTg(const std::string& name_or_arn) const;
  Listener* FindListener(const std::string& arn, LoadBalancer** owner);  // requires mu_
  // Resolves the target group names of `a` to ARNs and checks that they suit a `protocol` listener. Requires mu_.
  Status ResolveAction(Action& a, const std::string& protocol) const;
  // The ARN of a certificate (ARN or id); CertificateNotFound when unknown. Called without mu_.
  Result<std::string> ResolveCertificate(const std::string& arn_or_id) const;
  // Replaces a listener after `change` ran on a copy of it, persists and pushes. Requires no lock.
  Result<Listener> UpdateListener(const std::string& arn, const std::function<Status(Listener&)>& change);
  lb::LbConfig BuildSnapshot() const;                                  // requires mu_
  // Marks the configuration changed; the sync thread pushes it.
  void Changed();
  // Pushes the configuration now and waits for the data plane's answer.
  Status PushNow();
  void SyncLoop();
  // True while a target of the running configuration has no health result yet (not yet reported, or
  // "initial"); the sync loop then reads the data plane's status every 100 ms instead of every
  // kStatusReadMs, so a new target's first passing check reaches DescribeTargetHealth within 100 ms.
  // Requires mu_.
  bool AwaitingFirstCheck() const;
  // Replaces status_ with `next`, logging each target whose reported health changed. Requires mu_.
  void TakeStatus(lb::LbStatus next);
  void OnInstanceChange(const Instance& instance);

  Store* store_;
  InstanceService* instances_;
  DataPlane* data_plane_;
  CertificateService* certificates_ = nullptr;
  LoadBalancerServiceOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, LoadBalancer> lbs_;    // by ARN; GUARDED_BY(mu_)
  std::map<std::string, TargetGroup> tgs_;     // by ARN; GUARDED_BY(mu_)

  uint64_t generation_ = 1;                    // bumped by every change; GUARDED_BY(mu_)
  uint64_t pushed_ = 0;                        // generation the data plane runs; GUARDED_BY(mu_)
  lb::LbStatus status_;                        // last read from the data plane; GUARDED_BY(mu_)
  bool stopping_ = false;                      // GUARDED_BY(mu_)
  std::condition_variable wake_;
  std::thread sync_;
};

}  // namespace stratus::elb
