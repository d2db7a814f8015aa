#include "elb/load_balancer_service.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_format.h"
#include "elb/certificate_service.h"
#include "lb/ssl_policy.h"

namespace stratus::elb {

using nlohmann::json;

namespace {

constexpr char kLbPrefix[] = "elb/load-balancers/";
constexpr char kTgPrefix[] = "elb/target-groups/";

Status LbNotFound(const std::string& what) {
  return NotFound("load balancer " + what + " does not exist").WithErrorCode("LoadBalancerNotFound");
}
Status TgNotFound(const std::string& what) {
  return NotFound("target group " + what + " does not exist").WithErrorCode("TargetGroupNotFound");
}
Status Invalid(const std::string& message) { return InvalidArgument(message).WithErrorCode("ValidationError"); }

// Sets one ELBv2 target group attribute (below, with the other attribute parsing).
Status ApplyAttribute(TargetGroupAttributes& a, const std::string& key, const std::string& value);

// "" (a request that names no health check protocol): the group's default, TCP checks for TCP groups.
void DefaultHealthCheckProtocol(const std::string& group_protocol, TargetGroupHealthCheck& hc) {
  if (hc.protocol.empty()) hc.protocol = group_protocol == "TCP" ? "TCP" : "HTTP";
}

bool Matches(const std::string& name_or_arn, const std::string& name, const std::string& arn) {
  return name_or_arn == name || name_or_arn == arn;
}

Status ValidateProtocol(const std::string& protocol) {
  if (protocol != "HTTP" && protocol != "TCP") return Invalid("protocol " + protocol + " is not supported (HTTP, TCP)");
  return Status::Ok();
}

Status ValidateListenerProtocol(const std::string& protocol) {
  if (protocol != "HTTP" && protocol != "HTTPS" && protocol != "TCP" && protocol != "TLS") {
    return Invalid("listener protocol " + protocol + " is not supported (HTTP, HTTPS, TCP, TLS)");
  }
  return Status::Ok();
}

// The target group protocol behind a listener protocol: TLS is terminated at the listener.
std::string TargetProtocolOf(const std::string& listener_protocol) {
  return listener_protocol == "TCP" || listener_protocol == "TLS" ? "TCP" : "HTTP";
}

Status ValidateTlsSettings(const std::string& protocol, const std::string& ssl_policy, const std::string& alpn) {
  if (!IsTlsProtocol(protocol)) {
    if (!ssl_policy.empty() || !alpn.empty()) return Invalid("SslPolicy and AlpnPolicy apply to HTTPS and TLS listeners");
    return Status::Ok();
  }
  if (!lb::FindSslPolicy(ssl_policy)) {
    return NotFound("SSL policy " + ssl_policy + " does not exist (DescribeSSLPolicies lists them)")
        .WithErrorCode("SSLPolicyNotFound");
  }
  if (alpn.empty() || alpn == "None" || alpn == "HTTP1Only") {
    if (!alpn.empty() && protocol != "TLS") return Invalid("AlpnPolicy applies to TLS listeners");
    return Status::Ok();
  }
  if (alpn == "HTTP2Only" || alpn == "HTTP2Optional" || alpn == "HTTP2Preferred") {
    return InvalidArgument("AlpnPolicy " + alpn + " is not supported by Stratus (None, HTTP1Only)")
        .WithErrorCode("ALPNPolicyNotFound");
  }
  return Invalid("AlpnPolicy " + alpn + " is not None, HTTP1Only, HTTP2Only, HTTP2Optional or HTTP2Preferred")
      .WithErrorCode("ALPNPolicyNotFound");
}

Status ListenerNotFound(const std::string& arn) {
  return NotFound("listener " + arn + " does not exist").WithErrorCode("ListenerNotFound");
}

Status ValidatePort(int port, const std::string& what) {
  if (port < 1 || port > 65535) return Invalid(what + " " + std::to_string(port) + " is not between 1 and 65535");
  return Status::Ok();
}

Status ValidateHealthCheck(const TargetGroupHealthCheck& hc) {
  if (hc.protocol != "HTTP" && hc.protocol != "TCP") return Invalid("health check protocol must be HTTP or TCP");
  if (hc.interval_seconds < 1 || hc.interval_seconds > 300) return Invalid("HealthCheckIntervalSeconds must be 1 to 300");
  if (hc.timeout_seconds < 1 || hc.timeout_seconds > 120) return Invalid("HealthCheckTimeoutSeconds must be 1 to 120");
  if (hc.timeout_seconds > hc.interval_seconds) {
    return Invalid("HealthCheckTimeoutSeconds must not be larger than HealthCheckIntervalSeconds");
  }
  if (hc.healthy_threshold < 2 || hc.healthy_threshold > 10) return Invalid("HealthyThresholdCount must be 2 to 10");
  if (hc.unhealthy_threshold < 2 || hc.unhealthy_threshold > 10) return Invalid("UnhealthyThresholdCount must be 2 to 10");
  if (hc.path.empty() || hc.path[0] != '/') return Invalid("HealthCheckPath must start with /");
  if (hc.port != "traffic-port") {
    int p = atoi(hc.port.c_str());
    if (p < 1 || p > 65535) return Invalid("HealthCheckPort must be traffic-port or 1 to 65535");
  }
  for (char c : hc.matcher) {
    if (!isdigit(static_cast<unsigned char>(c)) && c != ',' && c != '-') return Invalid("Matcher " + hc.matcher + " is not like 200, 200,204 or 200-299");
  }
  return Status::Ok();
}

lb::Protocol ToLbProtocol(const std::string& p) {
  if (p == "TCP") return lb::Protocol::kTcp;
  if (p == "HTTPS") return lb::Protocol::kHttps;
  if (p == "TLS") return lb::Protocol::kTls;
  return lb::Protocol::kHttp;
}

lb::Algorithm ToLbAlgorithm(const std::string& a) {
  if (a == "least_outstanding_requests") return lb::Algorithm::kLeastOutstandingRequests;
  if (a == "weighted_random") return lb::Algorithm::kWeightedRandom;
  return lb::Algorithm::kRoundRobin;
}

uint64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

LoadBalancerService::LoadBalancerService(Store* store, InstanceService* instances, DataPlane* data_plane,
                                         LoadBalancerServiceOptions options)
    : store_(store), instances_(instances), data_plane_(data_plane), options_(std::move(options)) {
  // Versions only grow, across restarts too: stratus-lb keeps its last one while stratusd is away.
  generation_ = NowMs();
}

LoadBalancerService::~LoadBalancerService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sync_.joinable()) sync_.join();
}

Status LoadBalancerService::Start() {
  {
    std::lock_guard lock(mu_);
    STRATUS_ASSIGN_OR_RETURN(auto lbs, store_->List(kLbPrefix));
    for (const auto& kv : lbs) {
      auto lb = LoadBalancerFromStoreJson(json::parse(kv.value, nullptr, false));
      if (!lb.ok()) return lb.status().WithContext(kv.key);
      lbs_[lb->arn] = std::move(*lb);
    }
    STRATUS_ASSIGN_OR_RETURN(auto tgs, store_->List(kTgPrefix));
    for (const auto& kv : tgs) {
      auto tg = TargetGroupFromJson(json::parse(kv.value, nullptr, false));
      if (!tg.ok()) return tg.status().WithContext(kv.key);
      tgs_[tg->arn] = std::move(*tg);
    }
  }
  instances_->AddListener([this](const Instance& i) { OnInstanceChange(i); });
  sync_ = std::thread([this] { SyncLoop(); });
  return Status::Ok();
}

Status LoadBalancerService::Persist(const LoadBalancer& lb) {
  auto rev = store_->Put(kLbPrefix + lb.arn, ToStoreJson(lb).dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

Status LoadBalancerService::Persist(const TargetGroup& tg) {
  auto rev = store_->Put(kTgPrefix + tg.arn, ToJson(tg).dump());
  return rev.ok() ? Status::Ok() : rev.status();
}

LoadBalancer* LoadBalancerService::FindLb(const std::string& key) {
  for (auto& [arn, lb] : lbs_) {
    if (Matches(key, lb.name, arn)) return &lb;
  }
  return nullptr;
}
const LoadBalancer* LoadBalancerService::FindLb(const std::string& key) const {
  return const_cast<LoadBalancerService*>(this)->FindLb(key);
}
TargetGroup* LoadBalancerService::FindTg(const std::string& key) {
  for (auto& [arn, tg] : tgs_) {
    if (Matches(key, tg.name, arn)) return &tg;
  }
  return nullptr;
}
const TargetGroup* LoadBalancerService::FindTg(const std::string& key) const {
  return const_cast<LoadBalancerService*>(this)->FindTg(key);
}

Listener* LoadBalancerService::FindListener(const std::string& arn, LoadBalancer** owner) {
  for (auto& [lb_arn, lb] : lbs_) {
    for (auto& l : lb.listeners) {
      if (l.arn == arn) {
        if (owner) *owner = &lb;
        return &l;
      }
    }
  }
  return nullptr;
}

void LoadBalancerService::Changed() {
  {
    std::lock_guard lock(mu_);
    generation_++;
  }
  wake_.notify_all();
}

// ---- load balancers, listeners, rules ----

Result<LoadBalancer> LoadBalancerService::CreateLoadBalancer(const std::string& name, const std::string& type,
                                                             const std::vector<Tag>& tags,
                                                             const std::vector<ListenerSpec>& listeners) {
  bool created = false;
  STRATUS_ASSIGN_OR_RETURN(LoadBalancer lb, CreateLoadBalancerRecord(name, type, tags, &created));
  for (const auto& spec : listeners) {
    auto l = CreateListener(lb.arn, spec);
    if (l.ok()) continue;
    if (created) {
      Status undone = DeleteLoadBalancer(lb.arn);
      if (!undone.ok()) LogError("cannot undo a refused load balancer", {{"load_balancer", lb.arn}, {"error", undone.ToString()}});
    }
    return l.status();
  }
  if (listeners.empty()) return lb;
  STRATUS_ASSIGN_OR_RETURN(auto described, DescribeLoadBalancers({lb.arn}));
  return described.front();
}

Result<LoadBalancer> LoadBalancerService::CreateLoadBalancerRecord(const std::string& name, const std::string& type,
                                                                   const std::vector<Tag>& tags, bool* created) {
  STRATUS_RETURN_IF_ERROR(ValidateName("load balancer", name));
  if (type != "application" && type != "network") return Invalid("load balancer type must be application or network");
  std::lock_guard lock(mu_);
  if (const LoadBalancer* existing = FindLb(name)) {
    // CreateLoadBalancer is idempotent for the same name and settings, as on AWS.
    if (existing->type == type) {
      *created = false;
      return *existing;
    }
    return AlreadyExists("a load balancer named " + name + " already exists").WithErrorCode("DuplicateLoadBalancerName");
  }
  LoadBalancer lb;
  std::string id = RandomHex(16);
  lb.arn = "arn:aws:elasticloadbalancing:" + options_.region + ":" + options_.account + ":loadbalancer/" +
           (type == "network" ? "net/" : "app/") + name + "/" + id;
  lb.name = name;
  lb.type = type;
  lb.dns_name = options_.bind_address;
  lb.vpc_id = options_.vpc_id;
  lb.created_time = NowIso8601();
  lb.tags = tags;
  STRATUS_RETURN_IF_ERROR(Persist(lb));
  lbs_[lb.arn] = lb;
  *created = true;
  return lb;
}

Result<std::vector<LoadBalancer>> LoadBalancerService::DescribeLoadBalancers(const std::vector<std::string>& keys) const {
  std::lock_guard lock(mu_);
  std::vector<LoadBalancer> out;
  if (keys.empty()) {
    for (const auto& [arn, lb] : lbs_) out.push_back(lb);
    return out;
  }
  for (const auto& k : keys) {
    const LoadBalancer* lb = FindLb(k);
    if (!lb) return LbNotFound(k);
    out.push_back(*lb);
  }
  return out;
}

Status LoadBalancerService::DeleteLoadBalancer(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    LoadBalancer* lb = FindLb(key);
    if (!lb) return Status::Ok();  // DeleteLoadBalancer of a missing one succeeds on AWS
    STRATUS_RETURN_IF_ERROR(store_->Delete(kLbPrefix + lb->arn));
    lbs_.erase(lb->arn);
  }
  Changed();
  return Status::Ok();
}

void LoadBalancerService::UseCertificates(CertificateService* certificates) { certificates_ = certificates; }

Result<std::string> LoadBalancerService::ResolveCertificate(const std::string& key) const {
  if (!certificates_) return Invalid("this stratusd has no certificate store");
  auto c = certificates_->Describe(key);
  if (!c.ok()) return NotFound("certificate " + key + " does not exist").WithErrorCode("CertificateNotFound");
  return c->arn;
}

Status LoadBalancerService::ResolveAction(Action& a, const std::string& protocol) const {
  STRATUS_RETURN_IF_ERROR(ValidateAction(a));
  if (a.type != "forward") {
    if (TargetProtocolOf(protocol) != "HTTP") return Invalid("a " + protocol + " listener only forwards");
    return Status::Ok();
  }
  for (auto& g : a.target_groups) {
    const TargetGroup* tg = FindTg(g.target_group_arn);
    if (!tg) return TgNotFound(g.target_group_arn);
    if (tg->protocol != TargetProtocolOf(protocol)) {
      return Invalid("target group " + tg->name + " is " + tg->protocol + ", the listener " + protocol + " (which takes " +
                     TargetProtocolOf(protocol) + " target groups)");
    }
    g.target_group_arn = tg->arn;
  }
  return Status::Ok();
}

Result<Listener> LoadBalancerService::CreateListener(const std::string& lb_key, int port, const std::string& protocol,
                                                     const std::string& default_tg) {
  ListenerSpec spec;
  spec.port = port;
  spec.protocol = protocol;
  spec.default_target_group = default_tg;
  return CreateListener(lb_key, std::move(spec));
}

Result<Listener> LoadBalancerService::CreateListener(const std::string& lb_key, ListenerSpec spec) {
  STRATUS_RETURN_IF_ERROR(ValidatePort(spec.port, "port"));
  STRATUS_RETURN_IF_ERROR(ValidateListenerProtocol(spec.protocol));
  if (IsTlsProtocol(spec.protocol) && spec.ssl_policy.empty()) spec.ssl_policy = "ELBSecurityPolicy-2016-08";
  STRATUS_RETURN_IF_ERROR(ValidateTlsSettings(spec.protocol, spec.ssl_policy, spec.alpn_policy));
  if (IsTlsProtocol(spec.protocol) && spec.certificates.empty()) {
    return Invalid("a " + spec.protocol + " listener needs a certificate (Certificates)");
  }
  if (!IsTlsProtocol(spec.protocol) && !spec.certificates.empty()) return Invalid("only HTTPS and TLS listeners take certificates");
  std::vector<std::string> certs;
  for (const auto& c : spec.certificates) {
    STRATUS_ASSIGN_OR_RETURN(std::string arn, ResolveCertificate(c));
    if (std::find(certs.begin(), certs.end(), arn) == certs.end()) certs.push_back(arn);
  }
  Action action;
  if (spec.default_action) {
    action = *spec.default_action;
  } else {
    if (spec.default_target_group.empty()) return Invalid("a listener needs a default action (DefaultActions)");
    action.target_groups.push_back({spec.default_target_group, 1});
  }
  Listener l;
  {
    std::lock_guard lock(mu_);
    LoadBalancer* lb = FindLb(lb_key);
    if (!lb) return LbNotFound(lb_key);
    bool network = TargetProtocolOf(spec.protocol) == "TCP";
    if ((lb->type == "network") != network) {
      return Invalid("a " + lb->type + " load balancer takes " + (lb->type == "network" ? "TCP and TLS" : "HTTP and HTTPS") +
                     " listeners");
    }
    STRATUS_RETURN_IF_ERROR(ResolveAction(action, spec.protocol));
    for (const auto& [arn, other] : lbs_) {
      for (const auto& ol : other.listeners) {
        if (ol.port == spec.port) {
          return AlreadyExists("port " + std::to_string(spec.port) + " is taken by a listener of " + other.name)
              .WithErrorCode("DuplicateListener");
        }
      }
    }
    std::string lb_suffix = lb->arn.substr(lb->arn.find(":loadbalancer/") + 14);
    l.arn = "arn:aws:elasticloadbalancing:" + options_.region + ":" + options_.account + ":listener/" + lb_suffix + "/" +
            RandomHex(16);
    l.load_balancer_arn = lb->arn;
    l.port = spec.port;
    l.protocol = spec.protocol;
    l.default_action = std::move(action);
    l.certificates = std::move(certs);
    l.ssl_policy = spec.ssl_policy;
    l.alpn_policy = spec.alpn_policy;
    LoadBalancer updated = *lb;
    updated.listeners.push_back(l);
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *lb = std::move(updated);
  }
  // A listener binds a host port: apply it now, so a port in use is refused to this caller.
  Status applied = PushNow();
  if (!applied.ok() && applied.code() != Code::kUnavailable) {
    Status undone = DeleteListener(l.arn);
    if (!undone.ok()) LogError("cannot undo a refused listener", {{"listener", l.arn}, {"error", undone.ToString()}});
    return InvalidArgument("cannot listen on port " + std::to_string(spec.port) + ": " + applied.message())
        .WithErrorCode("InvalidConfigurationRequest");
  }
  return l;
}

Status LoadBalancerService::PushNow() {
  lb::LbConfig snapshot;
  {
    std::lock_guard lock(mu_);
    generation_++;
    snapshot = BuildSnapshot();
  }
  Status st = data_plane_->Apply(snapshot);
  std::lock_guard lock(mu_);
  if (st.ok() && pushed_ < snapshot.version) {
    pushed_ = snapshot.version;
    status_.version = snapshot.version;
  }
  // An unreachable data plane is retried by the sync loop; a refused configuration is the caller's to handle.
  if (!st.ok() && st.message().find("in use") != std::string::npos) return InvalidArgument(st.message());
  return st;
}

Result<std::vector<Listener>> LoadBalancerService::DescribeListeners(const std::string& lb_key,
                                                                     const std::vector<std::string>& arns) const {
  std::lock_guard lock(mu_);
  std::vector<Listener> out;
  if (!lb_key.empty()) {
    const LoadBalancer* lb = FindLb(lb_key);
    if (!lb) return LbNotFound(lb_key);
    return lb->listeners;
  }
  for (const auto& a : arns) {
    Listener* l = const_cast<LoadBalancerService*>(this)->FindListener(a, nullptr);
    if (!l) return NotFound("listener " + a + " does not exist").WithErrorCode("ListenerNotFound");
    out.push_back(*l);
  }
  return out;
}

Status LoadBalancerService::DeleteListener(const std::string& arn) {
  {
    std::lock_guard lock(mu_);
    LoadBalancer* lb = nullptr;
    if (!FindListener(arn, &lb)) return NotFound("listener " + arn + " does not exist").WithErrorCode("ListenerNotFound");
    LoadBalancer updated = *lb;
    std::erase_if(updated.listeners, [&](const Listener& l) { return l.arn == arn; });
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *lb = std::move(updated);
  }
  Changed();
  return Status::Ok();
}

Result<Listener> LoadBalancerService::UpdateListener(const std::string& arn,
                                                     const std::function<Status(Listener&)>& change) {
  Listener result;
  {
    std::lock_guard lock(mu_);
    LoadBalancer* lb = nullptr;
    Listener* l = FindListener(arn, &lb);
    if (!l) return ListenerNotFound(arn);
    LoadBalancer updated = *lb;
    for (auto& ul : updated.listeners) {
      if (ul.arn != arn) continue;
      STRATUS_RETURN_IF_ERROR(change(ul));
      result = ul;
    }
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *lb = std::move(updated);
  }
  Changed();
  return result;
}

Result<Listener> LoadBalancerService::ModifyListenerDefault(const std::string& arn, const std::string& tg_key) {
  ListenerChange change;
  change.default_action = Action{};
  change.default_action->target_groups.push_back({tg_key, 1});
  return ModifyListener(arn, change);
}

Result<Listener> LoadBalancerService::ModifyListener(const std::string& arn, const ListenerChange& change) {
  std::string cert;
  if (change.default_certificate) {
    STRATUS_ASSIGN_OR_RETURN(cert, ResolveCertificate(*change.default_certificate));
  }
  return UpdateListener(arn, [&](Listener& l) -> Status {
    if (change.default_action) {
      Action a = *change.default_action;
      STRATUS_RETURN_IF_ERROR(ResolveAction(a, l.protocol));
      l.default_action = std::move(a);
    }
    if (change.ssl_policy) l.ssl_policy = *change.ssl_policy;
    if (change.alpn_policy) l.alpn_policy = *change.alpn_policy;
    STRATUS_RETURN_IF_ERROR(ValidateTlsSettings(l.protocol, l.ssl_policy, l.alpn_policy));
    if (!cert.empty()) {
      if (!IsTlsProtocol(l.protocol)) return Invalid("only HTTPS and TLS listeners take certificates");
      std::erase(l.certificates, cert);
      if (l.certificates.empty()) l.certificates.push_back(cert);
      else l.certificates[0] = cert;  // the old default is replaced, as ModifyListener's Certificates does
    }
    return Status::Ok();
  });
}

Result<std::vector<std::string>> LoadBalancerService::DescribeListenerCertificates(const std::string& arn) const {
  std::lock_guard lock(mu_);
  const Listener* l = const_cast<LoadBalancerService*>(this)->FindListener(arn, nullptr);
  if (!l) return ListenerNotFound(arn);
  return l->certificates;
}

Status LoadBalancerService::AddListenerCertificates(const std::string& arn, const std::vector<std::string>& keys) {
  if (keys.empty()) return Invalid("Certificates must not be empty");
  std::vector<std::string> arns;
  for (const auto& k : keys) {
    STRATUS_ASSIGN_OR_RETURN(std::string a, ResolveCertificate(k));
    arns.push_back(a);
  }
  auto r = UpdateListener(arn, [&](Listener& l) -> Status {
    if (!IsTlsProtocol(l.protocol)) return Invalid("only HTTPS and TLS listeners take certificates");
    for (const auto& a : arns) {
      if (std::find(l.certificates.begin(), l.certificates.end(), a) == l.certificates.end()) l.certificates.push_back(a);
    }
    if (l.certificates.size() > 26) {
      return InvalidArgument("a listener takes at most 25 certificates besides its default").WithErrorCode("TooManyCertificates");
    }
    return Status::Ok();
  });
  return r.status();
}

Status LoadBalancerService::RemoveListenerCertificates(const std::string& arn, const std::vector<std::string>& keys) {
  if (keys.empty()) return Invalid("Certificates must not be empty");
  auto r = UpdateListener(arn, [&](Listener& l) -> Status {
    for (const auto& k : keys) {
      auto it = std::find_if(l.certificates.begin(), l.certificates.end(), [&](const std::string& a) {
        return a == k || a.substr(a.rfind('/') + 1) == k;
      });
      if (it == l.certificates.begin()) {
        return Invalid("the default certificate cannot be removed (ModifyListener replaces it)").WithErrorCode("OperationNotPermitted");
      }
      if (it != l.certificates.end()) l.certificates.erase(it);
    }
    return Status::Ok();
  });
  return r.status();
}

std::vector<std::string> LoadBalancerService::LoadBalancersUsingCertificate(const std::string& cert_arn) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [arn, lb] : lbs_) {
    for (const auto& l : lb.listeners) {
      if (std::find(l.certificates.begin(), l.certificates.end(), cert_arn) != l.certificates.end()) {
        out.push_back(lb.arn);
        break;
      }
    }
  }
  return out;
}

Result<std::vector<SslPolicyDescription>> LoadBalancerService::DescribeSslPolicies(const std::vector<std::string>& names) {
  auto split = [](std::string_view list, std::vector<std::string>& out) {
    while (!list.empty()) {
      size_t colon = list.find(':');
      std::string_view item = list.substr(0, colon);
      if (!item.empty() && item[0] != '@') out.emplace_back(item);
      list = colon == std::string_view::npos ? std::string_view() : list.substr(colon + 1);
    }
  };
  auto describe = [&](const lb::SslPolicy& p) {
    SslPolicyDescription d;
    d.name = std::string(p.name);
    static const char* kVersions[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    for (int v = p.min_version; v <= p.max_version; v++) d.protocols.push_back(kVersions[v - 0x0301]);
    split(p.tls13_suites, d.ciphers);
    split(p.ciphers, d.ciphers);
    return d;
  };
  std::vector<SslPolicyDescription> out;
  if (names.empty()) {
    for (const auto& p : lb::kSslPolicies) out.push_back(describe(p));
    return out;
  }
  for (const auto& n : names) {
    const lb::SslPolicy* p = lb::FindSslPolicy(n);
    if (!p) return NotFound("SSL policy " + n + " does not exist").WithErrorCode("SSLPolicyNotFound");
    out.push_back(describe(*p));
  }
  return out;
}

Result<Rule> LoadBalancerService::CreateRule(const std::string& listener_arn, int priority,
                                             const std::vector<std::string>& hosts, const std::vector<std::string>& paths,
                                             const std::string& tg_key) {
  std::vector<Condition> conditions;
  if (!hosts.empty()) conditions.push_back({"host-header", hosts, "", {}});
  if (!paths.empty()) conditions.push_back({"path-pattern", paths, "", {}});
  Action action;
  action.target_groups.push_back({tg_key, 1});
  return CreateRule(listener_arn, priority, std::move(conditions), std::move(action));
}

Result<Rule> LoadBalancerService::CreateRule(const std::string& listener_arn, int priority,
                                             std::vector<Condition> conditions, Action action) {
  if (priority < 1 || priority > 50000) return Invalid("priority must be 1 to 50000");
  STRATUS_RETURN_IF_ERROR(ValidateConditions(conditions));
  Rule r;
  {
    std::lock_guard lock(mu_);
    LoadBalancer* lb = nullptr;
    Listener* l = FindListener(listener_arn, &lb);
    if (!l) return ListenerNotFound(listener_arn);
    if (TargetProtocolOf(l->protocol) != "HTTP") return Invalid("rules need an HTTP or HTTPS listener");
    STRATUS_RETURN_IF_ERROR(ResolveAction(action, l->protocol));
    for (const auto& other : l->rules) {
      if (other.priority == priority) {
        return AlreadyExists("priority " + std::to_string(priority) + " is in use").WithErrorCode("PriorityInUse");
      }
    }
    std::string suffix = listener_arn.substr(listener_arn.find(":listener/") + 10);
    r.arn = "arn:aws:elasticloadbalancing:" + options_.region + ":" + options_.account + ":listener-rule/" + suffix +
            "/" + RandomHex(16);
    r.priority = priority;
    r.conditions = std::move(conditions);
    r.action = std::move(action);
    LoadBalancer updated = *lb;
    for (auto& ul : updated.listeners) {
      if (ul.arn == listener_arn) ul.rules.push_back(r);
    }
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *lb = std::move(updated);
  }
  Changed();
  return r;
}

Result<std::vector<std::pair<Rule, bool>>> LoadBalancerService::DescribeRules(const std::string& listener_arn) const {
  std::lock_guard lock(mu_);
  Listener* l = const_cast<LoadBalancerService*>(this)->FindListener(listener_arn, nullptr);
  if (!l) return NotFound("listener " + listener_arn + " does not exist").WithErrorCode("ListenerNotFound");
  std::vector<std::pair<Rule, bool>> out;
  std::vector<Rule> rules = l->rules;
  std::sort(rules.begin(), rules.end(), [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
  for (auto& r : rules) out.push_back({r, false});
  Rule def;
  def.arn = l->arn.substr(0, l->arn.find(":listener/")) + ":listener-rule/" +
            l->arn.substr(l->arn.find(":listener/") + 10) + "/default";
  def.action = l->default_action;
  out.push_back({def, true});
  return out;
}

Status LoadBalancerService::DeleteRule(const std::string& arn) {
  {
    std::lock_guard lock(mu_);
    for (auto& [lb_arn, lb] : lbs_) {
      for (auto& l : lb.listeners) {
        auto it = std::find_if(l.rules.begin(), l.rules.end(), [&](const Rule& r) { return r.arn == arn; });
        if (it == l.rules.end()) continue;
        LoadBalancer updated = lb;
        for (auto& ul : updated.listeners) std::erase_if(ul.rules, [&](const Rule& r) { return r.arn == arn; });
        STRATUS_RETURN_IF_ERROR(Persist(updated));
        lb = std::move(updated);
        goto changed;
      }
    }
    return NotFound("rule " + arn + " does not exist").WithErrorCode("RuleNotFound");
  }
changed:
  Changed();
  return Status::Ok();
}

// ---- target groups ----

Result<TargetGroup> LoadBalancerService::CreateTargetGroup(TargetGroup spec,
                                                           const std::map<std::string, std::string>& attributes) {
  STRATUS_RETURN_IF_ERROR(ValidateName("target group", spec.name));
  STRATUS_RETURN_IF_ERROR(ValidateProtocol(spec.protocol));
  STRATUS_RETURN_IF_ERROR(ValidatePort(spec.port, "port"));
  DefaultHealthCheckProtocol(spec.protocol, spec.health_check);
  STRATUS_RETURN_IF_ERROR(ValidateHealthCheck(spec.health_check));
  for (const auto& [k, v] : attributes) STRATUS_RETURN_IF_ERROR(ApplyAttribute(spec.attributes, k, v));
  if (spec.target_type != "instance" && spec.target_type != "ip") return Invalid("TargetType must be instance or ip");
  std::lock_guard lock(mu_);
  if (const TargetGroup* existing = FindTg(spec.name)) {
    if (existing->protocol == spec.protocol && existing->port == spec.port) return *existing;
    return AlreadyExists("a target group named " + spec.name + " already exists").WithErrorCode("DuplicateTargetGroupName");
  }
  spec.arn = "arn:aws:elasticloadbalancing:" + options_.region + ":" + options_.account + ":targetgroup/" + spec.name +
             "/" + RandomHex(16);
  spec.vpc_id = options_.vpc_id;
  spec.targets.clear();
  STRATUS_RETURN_IF_ERROR(Persist(spec));
  tgs_[spec.arn] = spec;
  return spec;
}

Result<std::vector<TargetGroup>> LoadBalancerService::DescribeTargetGroups(const std::vector<std::string>& keys,
                                                                           const std::string& lb_key) const {
  std::lock_guard lock(mu_);
  std::vector<TargetGroup> out;
  if (!lb_key.empty()) {
    const LoadBalancer* lb = FindLb(lb_key);
    if (!lb) return LbNotFound(lb_key);
    std::set<std::string> arns;
    for (const auto& l : lb->listeners) {
      for (const auto& a : ForwardedTargetGroups(l)) arns.insert(a);
    }
    for (const auto& a : arns) {
      if (tgs_.count(a)) out.push_back(tgs_.at(a));
    }
    return out;
  }
  if (keys.empty()) {
    for (const auto& [arn, tg] : tgs_) out.push_back(tg);
    return out;
  }
  for (const auto& k : keys) {
    const TargetGroup* tg = FindTg(k);
    if (!tg) return TgNotFound(k);
    out.push_back(*tg);
  }
  return out;
}

Result<TargetGroup> LoadBalancerService::FindTargetGroup(const std::string& key) const {
  std::lock_guard lock(mu_);
  const TargetGroup* tg = FindTg(key);
  if (!tg) return TgNotFound(key);
  return *tg;
}

Result<TargetGroup> LoadBalancerService::ModifyTargetGroupHealthCheck(const std::string& key,
                                                                      const TargetGroupHealthCheck& hc) {
  return ModifyTargetGroup(key, hc, {});
}

Result<TargetGroup> LoadBalancerService::ModifyTargetGroup(const std::string& key,
                                                           const std::optional<TargetGroupHealthCheck>& check,
                                                           const std::map<std::string, std::string>& attrs) {
  TargetGroup updated;
  {
    std::lock_guard lock(mu_);
    TargetGroup* tg = FindTg(key);
    if (!tg) return TgNotFound(key);
    updated = *tg;
    if (check) {
      TargetGroupHealthCheck hc = *check;
      DefaultHealthCheckProtocol(updated.protocol, hc);
      STRATUS_RETURN_IF_ERROR(ValidateHealthCheck(hc));
      updated.health_check = hc;
    }
    for (const auto& [k, v] : attrs) STRATUS_RETURN_IF_ERROR(ApplyAttribute(updated.attributes, k, v));
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *tg = updated;
  }
  Changed();
  return updated;
}

std::map<std::string, std::string> LoadBalancerService::AttributesOf(const TargetGroup& tg) {
  const auto& a = tg.attributes;
  return {
      {"deregistration_delay.timeout_seconds", std::to_string(a.deregistration_delay_seconds)},
      {"stickiness.enabled", a.stickiness_enabled ? "true" : "false"},
      {"stickiness.type", "lb_cookie"},
      {"stickiness.lb_cookie.duration_seconds", std::to_string(a.stickiness_duration_seconds)},
      {"slow_start.duration_seconds", std::to_string(a.slow_start_seconds)},
      {"load_balancing.algorithm.type", a.algorithm},
  };
}

namespace {

Status ParseIntAttr(const std::string& key, const std::string& value, int lo, int hi, int* out) {
  char* end = nullptr;
  long v = strtol(value.c_str(), &end, 10);
  if (value.empty() || *end || v < lo || v > hi) {
    return Invalid("attribute " + key + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status ApplyAttribute(TargetGroupAttributes& a, const std::string& key, const std::string& value) {
  if (key == "deregistration_delay.timeout_seconds") return ParseIntAttr(key, value, 0, 3600, &a.deregistration_delay_seconds);
  if (key == "slow_start.duration_seconds") {
    STRATUS_RETURN_IF_ERROR(ParseIntAttr(key, value, 0, 900, &a.slow_start_seconds));
    if (a.slow_start_seconds > 0 && a.slow_start_seconds < 30) return Invalid("slow_start.duration_seconds is 0 or 30 to 900");
    return Status::Ok();
  }
  if (key == "stickiness.lb_cookie.duration_seconds") return ParseIntAttr(key, value, 1, 604800, &a.stickiness_duration_seconds);
  if (key == "stickiness.enabled") {
    if (value != "true" && value != "false") return Invalid("stickiness.enabled must be true or false");
    a.stickiness_enabled = value == "true";
    return Status::Ok();
  }
  if (key == "stickiness.type") {
    if (value != "lb_cookie") return Invalid("stickiness.type " + value + " is not supported (lb_cookie)");
    return Status::Ok();
  }
  if (key == "load_balancing.algorithm.type") {
    if (value != "round_robin" && value != "least_outstanding_requests" && value != "weighted_random") {
      return Invalid("load_balancing.algorithm.type must be round_robin, least_outstanding_requests or weighted_random");
    }
    a.algorithm = value;
    return Status::Ok();
  }
  return Invalid("attribute " + key + " is not supported");
}

}  // namespace

Result<TargetGroup> LoadBalancerService::ModifyTargetGroupAttributes(const std::string& key,
                                                                     const std::map<std::string, std::string>& attrs) {
  return ModifyTargetGroup(key, std::nullopt, attrs);
}

Status LoadBalancerService::DeleteTargetGroup(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    TargetGroup* tg = FindTg(key);
    if (!tg) return Status::Ok();
    for (const auto& [arn, lb] : lbs_) {
      for (const auto& l : lb.listeners) {
        auto used = ForwardedTargetGroups(l);
        if (std::find(used.begin(), used.end(), tg->arn) != used.end()) {
          return FailedPrecondition("target group " + tg->name + " is used by a listener of " + lb.name)
              .WithErrorCode("ResourceInUse");
        }
      }
    }
    STRATUS_RETURN_IF_ERROR(store_->Delete(kTgPrefix + tg->arn));
    tgs_.erase(tg->arn);
  }
  Changed();
  return Status::Ok();
}

Status LoadBalancerService::RegisterTargets(const std::string& key, const std::vector<Target>& targets) {
  if (targets.empty()) return Invalid("Targets must not be empty");
  {
    std::lock_guard lock(mu_);
    TargetGroup* tg = FindTg(key);
    if (!tg) return TgNotFound(key);
    TargetGroup updated = *tg;
    for (Target t : targets) {
      if (t.port == 0) t.port = tg->port;
      STRATUS_RETURN_IF_ERROR(ValidatePort(t.port, "target port"));
      if (tg->target_type == "instance") {
        auto i = instances_->Get(t.id);
        if (!i.ok() || i->state == InstanceState::kTerminated || i->state == InstanceState::kShuttingDown) {
          return InvalidArgument("the target " + t.id + " is not a live instance").WithErrorCode("InvalidTarget");
        }
      } else if (t.id.find('.') == std::string::npos) {
        return InvalidArgument("the target " + t.id + " is not an IPv4 address").WithErrorCode("InvalidTarget");
      }
      if (std::find(updated.targets.begin(), updated.targets.end(), t) == updated.targets.end()) {
        updated.targets.push_back(t);
      }
    }
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *tg = std::move(updated);
  }
  Changed();
  return Status::Ok();
}

Status LoadBalancerService::DeregisterTargets(const std::string& key, const std::vector<Target>& targets) {
  {
    std::lock_guard lock(mu_);
    TargetGroup* tg = FindTg(key);
    if (!tg) return TgNotFound(key);
    TargetGroup updated = *tg;
    for (Target t : targets) {
      if (t.port == 0) t.port = tg->port;
      std::erase(updated.targets, t);
    }
    STRATUS_RETURN_IF_ERROR(Persist(updated));
    *tg = std::move(updated);
  }
  Changed();
  return Status::Ok();
}

Result<std::vector<TargetHealthDescription>> LoadBalancerService::DescribeTargetHealth(
    const std::string& key, const std::vector<Target>& filter) const {
  std::lock_guard lock(mu_);
  const TargetGroup* tg = FindTg(key);
  if (!tg) return TgNotFound(key);
  auto wanted = [&](const Target& t) {
    if (filter.empty()) return true;
    for (const auto& f : filter) {
      if (f.id == t.id && (f.port == 0 || f.port == t.port)) return true;
    }
    return false;
  };
  auto reported = [&](const Target& t) -> const lb::TargetHealth* {
    for (const auto& h : status_.targets) {
      if (h.target_group == tg->name && h.id == t.id && h.port == t.port) return &h;
    }
    return nullptr;
  };
  std::vector<TargetHealthDescription> out;
  for (const auto& t : tg->targets) {
    if (!wanted(t)) continue;
    TargetHealthDescription d{t, "initial", "Elb.RegistrationInProgress", "Target registration is in progress"};
    if (tg->target_type == "instance") {
      auto i = instances_->Get(t.id);
      if (!i.ok() || i->state != InstanceState::kRunning) {
        d = {t, "unused", "Target.InvalidState", "Target is in the " + std::string(i.ok() ? StateName(i->state) : "terminated") + " state"};
        out.push_back(d);
        continue;
      }
    }
    if (const lb::TargetHealth* h = reported(t)) {
      d.state = h->state;
      auto colon = h->reason.find(": ");
      d.reason = colon == std::string::npos ? h->reason : h->reason.substr(0, colon);
      d.description = colon == std::string::npos ? "" : h->reason.substr(colon + 2);
      if (d.state == "healthy") d.reason = d.description = "";
    }
    out.push_back(d);
  }
  // Deregistered targets the data plane still drains.
  for (const auto& h : status_.targets) {
    if (h.target_group != tg->name) continue;
    Target t{h.id, h.port};
    if (std::find(tg->targets.begin(), tg->targets.end(), t) != tg->targets.end() || !wanted(t)) continue;
    out.push_back({t, "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"});
  }
  return out;
}

nlohmann::json LoadBalancerService::Metrics() const {
  std::lock_guard lock(mu_);
  return status_.metrics.is_null() ? json::object() : status_.metrics;
}

Result<std::string> LoadBalancerService::PrometheusMetrics() const { return data_plane_->GetPrometheus(); }

// ---- keeping the data plane in step ----

lb::LbConfig LoadBalancerService::BuildSnapshot() const {
  lb::LbConfig c;
  c.version = generation_;
  for (const auto& [arn, tg] : tgs_) {
    lb::TargetGroupConfig t;
    t.name = tg.name;
    t.protocol = ToLbProtocol(tg.protocol);
    t.port = tg.port;
    t.algorithm = ToLbAlgorithm(tg.attributes.algorithm);
    const auto& hc = tg.health_check;
    t.health_check.protocol = ToLbProtocol(hc.protocol);
    t.health_check.path = hc.path;
    t.health_check.port = hc.port == "traffic-port" ? 0 : atoi(hc.port.c_str());
    t.health_check.interval_ms = hc.interval_seconds * 1000;
    t.health_check.timeout_ms = hc.timeout_seconds * 1000;
    t.health_check.healthy_threshold = hc.healthy_threshold;
    t.health_check.unhealthy_threshold = hc.unhealthy_threshold;
    t.health_check.matcher = hc.matcher;
    t.stickiness.enabled = tg.attributes.stickiness_enabled;
    t.stickiness.duration_s = tg.attributes.stickiness_duration_seconds;
    t.deregistration_delay_ms = tg.attributes.deregistration_delay_seconds * 1000;
    t.slow_start_ms = tg.attributes.slow_start_seconds * 1000;
    for (const auto& target : tg.targets) {
      std::string ip = target.id;
      if (tg.target_type == "instance") {
        auto i = instances_->Get(target.id);
        // Only running instances take traffic; the others leave the data plane (and drain there).
        if (!i.ok() || i->state != InstanceState::kRunning || i->private_ip.empty()) continue;
        ip = i->private_ip;
      }
      t.targets.push_back({target.id, ip, target.port, 1, false});
    }
    c.target_groups.push_back(std::move(t));
  }
  // An action in the data plane's terms; false when a target group it names is gone.
  auto to_lb_action = [&](const Action& a, lb::ActionConfig* out) {
    if (a.type == "forward") {
      out->type = lb::ActionType::kForward;
      for (const auto& g : a.target_groups) {
        auto tg = tgs_.find(g.target_group_arn);
        if (tg == tgs_.end()) return false;
        out->target_groups.push_back({tg->second.name, g.weight});
      }
      return true;
    }
    out->status_code = a.type == "redirect" ? (a.status_code == "HTTP_302" ? 302 : 301) : atoi(a.status_code.c_str());
    if (a.type == "redirect") {
      out->type = lb::ActionType::kRedirect;
      out->protocol = a.protocol;
      out->host = a.host;
      out->port = a.port;
      out->path = a.path;
      out->query = a.query;
    } else {
      out->type = lb::ActionType::kFixedResponse;
      out->content_type = a.content_type;
      out->message_body = a.message_body;
    }
    return true;
  };
  std::set<std::string> certificates;
  for (const auto& [arn, lb] : lbs_) {
    for (const auto& l : lb.listeners) {
      lb::ListenerConfig lc;
      lc.name = lb.name + ":" + std::to_string(l.port);
      lc.bind = options_.bind_address + ":" + std::to_string(l.port);
      lc.protocol = ToLbProtocol(l.protocol);
      if (!to_lb_action(l.default_action, &lc.default_action)) continue;
      if (lc.default_action.type == lb::ActionType::kForward && lc.default_action.target_groups.size() == 1) {
        lc.default_target_group = lc.default_action.target_groups[0].target_group;
      }
      for (const auto& r : l.rules) {
        lb::RuleConfig rc;
        rc.priority = r.priority;
        if (!to_lb_action(r.action, &rc.action)) continue;
        for (const auto& cond : r.conditions) {
          if (cond.field == "host-header") rc.hosts.insert(rc.hosts.end(), cond.values.begin(), cond.values.end());
          if (cond.field == "path-pattern") rc.paths.insert(rc.paths.end(), cond.values.begin(), cond.values.end());
          if (cond.field == "http-header") rc.http_headers.push_back({cond.header_name, cond.values});
          if (cond.field == "source-ip") rc.source_ips.insert(rc.source_ips.end(), cond.values.begin(), cond.values.end());
          if (cond.field == "http-request-method") rc.methods.insert(rc.methods.end(), cond.values.begin(), cond.values.end());
          for (const auto& [k, v] : cond.query) rc.query_strings.push_back({k, v});
        }
        lc.rules.push_back(std::move(rc));
      }
      if (IsTlsProtocol(l.protocol)) {
        lc.certificates = l.certificates;
        lc.ssl_policy = l.ssl_policy;
        if (!l.alpn_policy.empty()) lc.alpn_policy = l.alpn_policy;
        certificates.insert(l.certificates.begin(), l.certificates.end());
      }
      c.listeners.push_back(std::move(lc));
    }
  }
  // The certificates the listeners use, with their keys: only these travel to the data plane.
  std::set<std::string> missing;
  for (const auto& arn : certificates) {
    auto m = certificates_ ? certificates_->ReadKeyMaterial(arn) : Result<KeyMaterial>(NotFound("no certificate store"));
    if (!m.ok()) {
      LogError("a listener's certificate cannot be read; its listener is left out", {{"certificate", arn}, {"error", m.status().ToString()}});
      missing.insert(arn);
      continue;
    }
    c.certificates.push_back({arn, m->certificate_pem, m->private_key_pem, m->chain_pem});
  }
  std::erase_if(c.listeners, [&](const lb::ListenerConfig& lc) {
    return std::any_of(lc.certificates.begin(), lc.certificates.end(), [&](const std::string& a) { return missing.count(a) > 0; });
  });
  return c;
}

void LoadBalancerService::SyncLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    bool nothing_configured = lbs_.empty() && tgs_.empty() && pushed_ == 0;
    if (!nothing_configured && (pushed_ != generation_ || status_.version != pushed_)) {
      lb::LbConfig snapshot = BuildSnapshot();
      uint64_t gen = generation_;
      lock.unlock();
      Status st = data_plane_->Apply(snapshot);
      lock.lock();
      if (st.ok()) {
        pushed_ = gen;
        status_.version = gen;
      } else {
        LogError("cannot configure the load balancer data plane", {{"error", st.ToString()}});
      }
    }
    if (pushed_ != 0) {
      lock.unlock();
      auto status = data_plane_->GetStatus();
      lock.lock();
      if (status.ok()) TakeStatus(std::move(*status));
    }
    if (pushed_ == generation_ && status_.version == pushed_ && !AwaitingFirstCheck()) {
      wake_.wait_for(lock, std::chrono::milliseconds(kStatusReadMs));
    } else {
      wake_.wait_for(lock, std::chrono::milliseconds(pushed_ == generation_ ? 100 : 200));
    }
  }
}

bool LoadBalancerService::AwaitingFirstCheck() const {
  for (const auto& [arn, tg] : tgs_) {
    for (const auto& t : tg.targets) {
      if (tg.target_type == "instance") {
        auto i = instances_->Get(t.id);
        if (!i.ok() || i->state != InstanceState::kRunning || i->private_ip.empty()) continue;  // not in the data plane
      }
      auto h = std::find_if(status_.targets.begin(), status_.targets.end(), [&](const lb::TargetHealth& x) {
        return x.target_group == tg.name && x.id == t.id && x.port == t.port;
      });
      if (h == status_.targets.end() || h->state == "initial") return true;
    }
  }
  return false;
}

void LoadBalancerService::TakeStatus(lb::LbStatus next) {
  std::map<std::tuple<std::string, std::string, int>, std::string> before;
  for (const auto& h : status_.targets) before[{h.target_group, h.id, h.port}] = h.state;
  for (const auto& h : next.targets) {
    auto it = before.find({h.target_group, h.id, h.port});
    std::string was = it == before.end() ? "" : it->second;
    if (was == h.state) continue;
    LogInfo("target health seen", {{"target_group", h.target_group}, {"target", h.id}, {"port", std::to_string(h.port)},
                                   {"from", was.empty() ? "none" : was}, {"to", h.state}, {"reason", h.reason}});
  }
  status_ = std::move(next);
}

void LoadBalancerService::OnInstanceChange(const Instance& instance) {
  bool involved = false;
  {
    std::lock_guard lock(mu_);
    for (auto& [arn, tg] : tgs_) {
      auto it = std::find_if(tg.targets.begin(), tg.targets.end(), [&](const Target& t) { return t.id == instance.instance_id; });
      if (it == tg.targets.end()) continue;
      involved = true;
      if (instance.state == InstanceState::kTerminated) {
        // A terminated instance is deregistered, as ELB does.
        TargetGroup updated = tg;
        std::erase_if(updated.targets, [&](const Target& t) { return t.id == instance.instance_id; });
        if (Persist(updated).ok()) tg = std::move(updated);
      }
    }
    if (involved) generation_++;
  }
  if (involved) wake_.notify_all();
}

}  // namespace stratus::elb
