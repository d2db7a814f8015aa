#include "lb/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "lb/ssl_policy.h"

namespace stratus::lb {
namespace {

using json = nlohmann::json;

// Reads typed fields of one JSON object; the first error wins and names the field's path.
class FieldReader {
 public:
  FieldReader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) Fail(path_ + ": must be an object");
  }

  void Int(const char* key, int* out, int min, int max) {
    if (!Has(key)) return;
    const json& v = j_[key];
    if (!v.is_number_integer()) return Fail(Path(key) + ": must be an integer");
    int64_t x = v.get<int64_t>();
    if (x < min || x > max) {
      return Fail(Path(key) + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    *out = static_cast<int>(x);
  }
  void U64(const char* key, uint64_t* out) {
    if (!Has(key)) return;
    const json& v = j_[key];
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return Fail(Path(key) + ": must be a non-negative integer");
    }
    *out = v.get<uint64_t>();
  }
  void Bool(const char* key, bool* out) {
    if (!Has(key)) return;
    if (!j_[key].is_boolean()) return Fail(Path(key) + ": must be true or false");
    *out = j_[key].get<bool>();
  }
  void Str(const char* key, std::string* out, bool required = false) {
    if (!Has(key)) {
      if (required) Fail(Path(key) + ": is required");
      return;
    }
    if (!j_[key].is_string()) return Fail(Path(key) + ": must be a string");
    *out = j_[key].get<std::string>();
  }
  void StrList(const char* key, std::vector<std::string>* out) {
    if (!Has(key)) return;
    const json& v = j_[key];
    if (v.is_string()) {
      out->push_back(v.get<std::string>());
      return;
    }
    if (!v.is_array()) return Fail(Path(key) + ": must be a string or a list of strings");
    for (const auto& e : v) {
      if (!e.is_string()) return Fail(Path(key) + ": must be a list of strings");
      out->push_back(e.get<std::string>());
    }
  }
  // Target groups and health checks speak http or tcp; listeners also https and tls.
  void Proto(const char* key, Protocol* out, bool listener = false) {
    std::string s;
    Str(key, &s);
    if (s.empty()) return;
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "http") {
      *out = Protocol::kHttp;
    } else if (s == "tcp") {
      *out = Protocol::kTcp;
    } else if (listener && s == "https") {
      *out = Protocol::kHttps;
    } else if (listener && s == "tls") {
      *out = Protocol::kTls;
    } else {
      Fail(Path(key) + ": must be " + (listener ? "http, https, tcp or tls" : "http or tcp") + ", not \"" + s + "\"");
    }
  }
  bool Has(const char* key) const { return j_.is_object() && j_.contains(key) && !j_[key].is_null(); }
  const json& Get(const char* key) const { return j_[key]; }
  std::string Path(const std::string& key) const { return path_ + "." + key; }
  void Fail(const std::string& m) {
    if (error_.empty()) error_ = m;
  }
  const std::string& error() const { return error_; }
  void Merge(const std::string& e) {
    if (!e.empty()) Fail(e);
  }

 private:
  const json& j_;
  std::string path_;
  std::string error_;
};

bool IsValidIpv4(const std::string& ip) {
  in_addr a;
  return inet_pton(AF_INET, ip.c_str(), &a) == 1;
}

std::string ParseHealthCheck(const json& j, const std::string& path, HealthCheckConfig* hc) {
  FieldReader r(j, path);
  r.Bool("enabled", &hc->enabled);
  r.Proto("protocol", &hc->protocol);
  r.Str("path", &hc->path);
  if (r.Has("port") && r.Get("port").is_string()) {
    if (r.Get("port").get<std::string>() != "traffic-port") r.Fail(r.Path("port") + ": must be a number or \"traffic-port\"");
  } else {
    r.Int("port", &hc->port, 0, 65535);
  }
  r.Int("interval_ms", &hc->interval_ms, 50, 300000);
  r.Int("timeout_ms", &hc->timeout_ms, 10, 120000);
  r.Int("healthy_threshold", &hc->healthy_threshold, 1, 10);
  r.Int("unhealthy_threshold", &hc->unhealthy_threshold, 1, 10);
  r.Str("matcher", &hc->matcher);
  if (hc->path.empty() || hc->path[0] != '/') r.Fail(r.Path("path") + ": must start with /");
  if (!MatchesStatus(hc->matcher, -1)) {
    r.Fail(r.Path("matcher") + ": must look like 200, 200,204 or 200-299");
  }
  return r.error();
}

std::string ParseTarget(const json& j, const std::string& path, TargetConfig* t) {
  FieldReader r(j, path);
  r.Str("id", &t->id);
  r.Str("ip", &t->ip, true);
  r.Int("port", &t->port, 0, 65535);
  r.Int("weight", &t->weight, 0, 1000);
  r.Bool("draining", &t->draining);
  if (r.error().empty() && !IsValidIpv4(t->ip)) r.Fail(r.Path("ip") + ": \"" + t->ip + "\" is not an IPv4 address");
  return r.error();
}

std::string ParseTargetGroup(const json& j, const std::string& path, TargetGroupConfig* tg) {
  FieldReader r(j, path);
  r.Str("name", &tg->name, true);
  r.Proto("protocol", &tg->protocol);
  r.Int("port", &tg->port, 1, 65535);
  std::string algo;
  r.Str("algorithm", &algo);
  if (algo == "least_outstanding_requests") {
    tg->algorithm = Algorithm::kLeastOutstandingRequests;
  } else if (algo == "weighted_random") {
    tg->algorithm = Algorithm::kWeightedRandom;
  } else if (!algo.empty() && algo != "round_robin") {
    r.Fail(r.Path("algorithm") + ": must be round_robin, least_outstanding_requests or weighted_random");
  }
  if (tg->protocol == Protocol::kTcp) tg->health_check.protocol = Protocol::kTcp;
  if (r.Has("health_check")) r.Merge(ParseHealthCheck(r.Get("health_check"), r.Path("health_check"), &tg->health_check));
  if (r.Has("stickiness")) {
    FieldReader s(r.Get("stickiness"), r.Path("stickiness"));
    s.Bool("enabled", &tg->stickiness.enabled);
    std::string type = "lb_cookie";
    s.Str("type", &type);
    if (type != "lb_cookie") s.Fail(s.Path("type") + ": only lb_cookie is supported");
    s.Int("duration_s", &tg->stickiness.duration_s, 1, 604800);
    r.Merge(s.error());
  }
  r.Int("deregistration_delay_ms", &tg->deregistration_delay_ms, 0, 3600000);
  r.Int("slow_start_ms", &tg->slow_start_ms, 0, 900000);
  if (r.Has("targets")) {
    if (!r.Get("targets").is_array()) return r.Path("targets") + ": must be a list";
    std::set<std::string> seen;
    size_t i = 0;
    for (const auto& tj : r.Get("targets")) {
      TargetConfig t;
      std::string tp = r.Path("targets") + "[" + std::to_string(i++) + "]";
      r.Merge(ParseTarget(tj, tp, &t));
      if (!r.error().empty()) break;
      if (t.port == 0) t.port = tg->port;
      if (t.id.empty()) t.id = t.ip + ":" + std::to_string(t.port);
      if (!seen.insert(t.id + "|" + t.ip + ":" + std::to_string(t.port)).second) {
        r.Fail(tp + ": target " + t.id + " is listed twice");
      }
      tg->targets.push_back(std::move(t));
    }
  }
  return r.error();
}

// "HTTP_301", "301" or 301.
int StatusCode(const json& v) {
  if (v.is_number_integer()) return v.get<int>();
  if (!v.is_string()) return -1;
  std::string t = v.get<std::string>();
  if (t.rfind("HTTP_", 0) == 0) t = t.substr(5);
  if (t.size() != 3 || t.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(t);
}

std::string ParseAction(const json& j, const std::string& path, ActionConfig* a) {
  FieldReader r(j, path);
  std::string type;
  r.Str("type", &type, true);
  if (type == "forward") {
    a->type = ActionType::kForward;
    if (!r.Has("target_groups") || !r.Get("target_groups").is_array() || r.Get("target_groups").empty()) {
      return r.Path("target_groups") + ": a forward action needs a list of target groups";
    }
    size_t i = 0;
    for (const auto& gj : r.Get("target_groups")) {
      FieldReader g(gj, r.Path("target_groups") + "[" + std::to_string(i++) + "]");
      WeightedTargetGroup wg;
      g.Str("name", &wg.target_group, true);
      g.Int("weight", &wg.weight, 0, 999);
      r.Merge(g.error());
      a->target_groups.push_back(std::move(wg));
    }
  } else if (type == "redirect") {
    a->type = ActionType::kRedirect;
    r.Str("protocol", &a->protocol);
    r.Str("host", &a->host);
    r.Str("port", &a->port);
    r.Str("path", &a->path);
    r.Str("query", &a->query);
    if (r.Has("status_code")) a->status_code = StatusCode(r.Get("status_code"));
    if (a->protocol != "HTTP" && a->protocol != "HTTPS" && a->protocol != "#{protocol}") {
      r.Fail(r.Path("protocol") + ": must be HTTP, HTTPS or #{protocol}");
    }
    if (a->path.empty() || a->path[0] != '/') r.Fail(r.Path("path") + ": must start with /");
    if (a->status_code != 301 && a->status_code != 302) r.Fail(r.Path("status_code") + ": must be HTTP_301 or HTTP_302");
  } else if (type == "fixed_response") {
    a->type = ActionType::kFixedResponse;
    a->status_code = 200;
    if (r.Has("status_code")) a->status_code = StatusCode(r.Get("status_code"));
    r.Str("content_type", &a->content_type);
    r.Str("message_body", &a->message_body);
    if (a->status_code < 200 || a->status_code > 599) r.Fail(r.Path("status_code") + ": must be between 200 and 599");
    static const char* kTypes[] = {"text/plain", "text/css", "text/html", "application/javascript", "application/json"};
    if (std::find(std::begin(kTypes), std::end(kTypes), a->content_type) == std::end(kTypes)) {
      r.Fail(r.Path("content_type") + ": must be text/plain, text/css, text/html, application/javascript or application/json");
    }
    if (a->message_body.size() > 1024) r.Fail(r.Path("message_body") + ": must be at most 1024 bytes");
  } else if (r.error().empty()) {
    r.Fail(r.Path("type") + ": must be forward, redirect or fixed_response");
  }
  return r.error();
}

// The rule's or the listener's action: an explicit "action" object, else a forward to `target_group`.
std::string ParseActionOrGroup(FieldReader& r, const char* action_key, const char* group_key, std::string* group,
                               ActionConfig* action) {
  r.Str(group_key, group);
  if (r.Has(action_key)) {
    r.Merge(ParseAction(r.Get(action_key), r.Path(action_key), action));
  } else if (group->empty()) {
    r.Fail(r.Path(group_key) + ": is required (or an " + action_key + ")");
  } else {
    action->target_groups = {{*group, 1}};
  }
  return r.error();
}

std::string ParseRule(const json& j, const std::string& path, RuleConfig* rule) {
  FieldReader r(j, path);
  r.Int("priority", &rule->priority, 1, 50000);
  r.StrList("host", &rule->hosts);
  r.StrList("hosts", &rule->hosts);
  r.StrList("path", &rule->paths);
  r.StrList("paths", &rule->paths);
  r.StrList("source_ips", &rule->source_ips);
  r.StrList("methods", &rule->methods);
  if (r.Has("http_headers")) {
    if (!r.Get("http_headers").is_array()) return r.Path("http_headers") + ": must be a list";
    size_t i = 0;
    for (const auto& hj : r.Get("http_headers")) {
      FieldReader h(hj, r.Path("http_headers") + "[" + std::to_string(i++) + "]");
      HeaderCondition c;
      h.Str("name", &c.name, true);
      h.StrList("values", &c.values);
      if (h.error().empty() && c.values.empty()) h.Fail(h.Path("values") + ": needs at least one value");
      r.Merge(h.error());
      rule->http_headers.push_back(std::move(c));
    }
  }
  if (r.Has("query_strings")) {
    if (!r.Get("query_strings").is_array()) return r.Path("query_strings") + ": must be a list";
    size_t i = 0;
    for (const auto& qj : r.Get("query_strings")) {
      FieldReader q(qj, r.Path("query_strings") + "[" + std::to_string(i++) + "]");
      QueryCondition c;
      q.Str("key", &c.key);
      q.Str("value", &c.value, true);
      r.Merge(q.error());
      rule->query_strings.push_back(std::move(c));
    }
  }
  for (const auto& cidr : rule->source_ips) {
    uint32_t net, mask;
    Status st = ParseCidr(cidr, &net, &mask);
    if (!st.ok()) r.Fail(r.Path("source_ips") + ": " + st.message());
  }
  ParseActionOrGroup(r, "action", "target_group", &rule->target_group, &rule->action);
  if (r.error().empty() && rule->hosts.empty() && rule->paths.empty() && rule->http_headers.empty() &&
      rule->query_strings.empty() && rule->source_ips.empty() && rule->methods.empty()) {
    r.Fail(path + ": needs a condition");
  }
  return r.error();
}

std::string ParseListener(const json& j, const std::string& path, ListenerConfig* l) {
  FieldReader r(j, path);
  r.Str("bind", &l->bind, true);
  r.Str("name", &l->name);
  if (l->name.empty()) l->name = l->bind;
  r.Proto("protocol", &l->protocol, /*listener=*/true);
  ParseActionOrGroup(r, "default_action", "default_target_group", &l->default_target_group, &l->default_action);
  r.StrList("certificates", &l->certificates);
  r.Str("ssl_policy", &l->ssl_policy);
  r.Str("alpn_policy", &l->alpn_policy);
  if (!FindSslPolicy(l->ssl_policy)) r.Fail(r.Path("ssl_policy") + ": unknown security policy \"" + l->ssl_policy + "\"");
  if (l->alpn_policy != "None" && l->alpn_policy != "HTTP1Only") {
    r.Fail(r.Path("alpn_policy") + ": must be None or HTTP1Only, not \"" + l->alpn_policy + "\"");
  }
  if (r.error().empty() && IsTls(l->protocol) && l->certificates.empty()) {
    r.Fail(r.Path("certificates") + ": a " + ProtocolName(l->protocol) + " listener needs a certificate");
  }
  if (r.Has("rules")) {
    if (!r.Get("rules").is_array()) return r.Path("rules") + ": must be a list";
    size_t i = 0;
    for (const auto& rj : r.Get("rules")) {
      RuleConfig rule;
      r.Merge(ParseRule(rj, r.Path("rules") + "[" + std::to_string(i++) + "]", &rule));
      l->rules.push_back(std::move(rule));
    }
    std::stable_sort(l->rules.begin(), l->rules.end(),
                     [](const RuleConfig& a, const RuleConfig& b) { return a.priority < b.priority; });
  }
  if (r.error().empty()) {
    std::string ip;
    int port = 0;
    Status st = ParseHostPort(l->bind, &ip, &port);
    if (!st.ok()) r.Fail(r.Path("bind") + ": " + st.message());
  }
  return r.error();
}

std::string ParseSettings(const json& j, Settings* s) {
  FieldReader r(j, "settings");
  r.Int("header_timeout_ms", &s->header_timeout_ms, 10, 3600000);
  r.Int("idle_timeout_ms", &s->idle_timeout_ms, 10, 36000000);
  r.Int("request_timeout_ms", &s->request_timeout_ms, 10, 3600000);
  r.Int("connect_timeout_ms", &s->connect_timeout_ms, 10, 600000);
  r.Int("upstream_idle_ms", &s->upstream_idle_ms, 10, 3600000);
  r.Int("max_retries", &s->max_retries, 0, 10);
  r.Int("outlier_consecutive_failures", &s->outlier_consecutive_failures, 0, 1000);
  r.Int("outlier_base_ejection_ms", &s->outlier_base_ejection_ms, 0, 3600000);
  r.Int("handshake_timeout_ms", &s->handshake_timeout_ms, 10, 600000);
  r.Int("ticket_key_rotation_ms", &s->ticket_key_rotation_ms, 100, 86400000);
  return r.error();
}

// Only the presence of the PEM blocks is checked here; stratus-lb parses them (and checks that key and
// certificate belong together) when it applies the configuration. Error messages never quote a key.
std::string ParseCertificate(const json& j, const std::string& path, CertificateConfig* c) {
  FieldReader r(j, path);
  r.Str("name", &c->name, true);
  r.Str("certificate", &c->certificate, true);
  r.Str("private_key", &c->private_key, true);
  r.Str("chain", &c->chain);
  if (r.error().empty() && c->certificate.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    r.Fail(r.Path("certificate") + ": is not a PEM certificate");
  }
  if (r.error().empty() && c->private_key.find("PRIVATE KEY-----") == std::string::npos) {
    r.Fail(r.Path("private_key") + ": is not a PEM private key");
  }
  return r.error();
}

std::string CrossCheck(const LbConfig& c) {
  std::set<std::string> tgs, listeners, binds, certs;
  for (const auto& tg : c.target_groups) {
    if (!tgs.insert(tg.name).second) return "target group " + tg.name + " is defined twice";
  }
  for (const auto& cert : c.certificates) {
    if (!certs.insert(cert.name).second) return "certificate " + cert.name + " is defined twice";
  }
  for (const auto& l : c.listeners) {
    if (!listeners.insert(l.name).second) return "listener " + l.name + " is defined twice";
    if (!binds.insert(l.bind).second) return "two listeners bind " + l.bind;
    bool stream = !IsHttpListener(l.protocol);
    // Every forward action's groups exist and speak the listener's kind of protocol.
    auto check = [&](const ActionConfig& a, const std::string& where) -> std::string {
      if (stream && a.type != ActionType::kForward) {
        return where + ": " + ProtocolName(l.protocol) + " listeners only forward";
      }
      if (stream && a.target_groups.size() != 1) return where + ": " + ProtocolName(l.protocol) + " listeners forward to one target group";
      for (const auto& wg : a.target_groups) {
        const TargetGroupConfig* tg = c.FindTargetGroup(wg.target_group);
        if (!tg) return where + ": unknown target group " + wg.target_group;
        if (stream && tg->protocol != Protocol::kTcp) {
          return where + ": a " + std::string(ProtocolName(l.protocol)) + " listener needs a tcp target group";
        }
        if (!stream && tg->protocol != Protocol::kHttp) {
          return where + ": an " + std::string(ProtocolName(l.protocol)) + " listener needs an http target group";
        }
      }
      return "";
    };
    if (std::string e = check(l.default_action, "listener " + l.name); !e.empty()) return e;
    if (!IsTls(l.protocol) && !l.certificates.empty()) {
      return "listener " + l.name + ": only https and tls listeners take certificates";
    }
    for (const auto& name : l.certificates) {
      if (!c.FindCertificate(name)) return "listener " + l.name + ": unknown certificate " + name;
    }
    for (const auto& rule : l.rules) {
      if (stream) return "listener " + l.name + ": " + ProtocolName(l.protocol) + " listeners have no rules";
      std::string e = check(rule.action, "listener " + l.name + ": rule " + std::to_string(rule.priority));
      if (!e.empty()) return e;
    }
  }
  return "";
}

}  // namespace

const char* ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kHttp: return "http";
    case Protocol::kTcp: return "tcp";
    case Protocol::kHttps: return "https";
    case Protocol::kTls: return "tls";
  }
  return "http";
}

const char* ActionTypeName(ActionType t) {
  switch (t) {
    case ActionType::kForward: return "forward";
    case ActionType::kRedirect: return "redirect";
    case ActionType::kFixedResponse: return "fixed_response";
  }
  return "forward";
}

void AddForwardedGroups(const ListenerConfig& l, std::set<std::string>* out) {
  for (const auto& g : l.default_action.target_groups) out->insert(g.target_group);
  for (const auto& r : l.rules) {
    for (const auto& g : r.action.target_groups) out->insert(g.target_group);
  }
}

Status ParseCidr(const std::string& s, uint32_t* net, uint32_t* mask) {
  size_t slash = s.find('/');
  std::string ip = s.substr(0, slash);
  in_addr a;
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return InvalidArgument("\"" + s + "\" is not an IPv4 CIDR");
  int len = 32;
  if (slash != std::string::npos) {
    std::string l = s.substr(slash + 1);
    if (l.empty() || l.size() > 2 || l.find_first_not_of("0123456789") != std::string::npos || std::stoi(l) > 32) {
      return InvalidArgument("\"" + s + "\" is not an IPv4 CIDR");
    }
    len = std::stoi(l);
  }
  *mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  *net = ntohl(a.s_addr) & *mask;
  return Status::Ok();
}

const char* AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kRoundRobin: return "round_robin";
    case Algorithm::kLeastOutstandingRequests: return "least_outstanding_requests";
    case Algorithm::kWeightedRandom: return "weighted_random";
  }
  return "round_robin";
}

const TargetGroupConfig* LbConfig::FindTargetGroup(const std::string& name) const {
  for (const auto& tg : target_groups) {
    if (tg.name == name) return &tg;
  }
  return nullptr;
}

const CertificateConfig* LbConfig::FindCertificate(const std::string& name) const {
  for (const auto& c : certificates) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Status ParseHostPort(const std::string& s, std::string* ip, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("\"" + s + "\" is not address:port");
  *ip = s.substr(0, colon);
  if (ip->empty() || *ip == "*") *ip = "0.0.0.0";
  if (!IsValidIpv4(*ip)) return InvalidArgument("\"" + *ip + "\" is not an IPv4 address");
  std::string p = s.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("\"" + p + "\" is not a port");
  }
  *port = std::stoi(p);
  if (*port < 1 || *port > 65535) return InvalidArgument("port " + p + " is out of range");
  return Status::Ok();
}

bool MatchesStatus(const std::string& matcher, int status) {
  size_t pos = 0;
  bool any = false;
  while (pos <= matcher.size()) {
    size_t comma = matcher.find(',', pos);
    std::string part = matcher.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? matcher.size() + 1 : comma + 1;
    size_t dash = part.find('-');
    std::string lo = part.substr(0, dash), hi = dash == std::string::npos ? lo : part.substr(dash + 1);
    if (lo.empty() || hi.empty() || lo.size() > 3 || hi.size() > 3 ||
        lo.find_first_not_of("0123456789") != std::string::npos ||
        hi.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    any = true;
    if (status >= std::stoi(lo) && status <= std::stoi(hi)) return true;
  }
  return status < 0 && any;
}

Result<LbConfig> ParseConfig(const nlohmann::json& j) {
  LbConfig c;
  std::string err;
  try {
    FieldReader r(j, "config");
    r.U64("version", &c.version);
    if (r.Has("settings")) r.Merge(ParseSettings(r.Get("settings"), &c.settings));
    if (r.Has("target_groups")) {
      if (!r.Get("target_groups").is_array()) r.Fail("config.target_groups: must be a list");
      size_t i = 0;
      for (const auto& tj : r.Get("target_groups")) {
        TargetGroupConfig tg;
        r.Merge(ParseTargetGroup(tj, "target_groups[" + std::to_string(i++) + "]", &tg));
        c.target_groups.push_back(std::move(tg));
      }
    }
    if (r.Has("certificates")) {
      if (!r.Get("certificates").is_array()) r.Fail("config.certificates: must be a list");
      size_t i = 0;
      for (const auto& cj : r.Get("certificates")) {
        CertificateConfig cert;
        r.Merge(ParseCertificate(cj, "certificates[" + std::to_string(i++) + "]", &cert));
        c.certificates.push_back(std::move(cert));
      }
    }
    if (r.Has("listeners")) {
      if (!r.Get("listeners").is_array()) r.Fail("config.listeners: must be a list");
      size_t i = 0;
      for (const auto& lj : r.Get("listeners")) {
        ListenerConfig l;
        r.Merge(ParseListener(lj, "listeners[" + std::to_string(i++) + "]", &l));
        c.listeners.push_back(std::move(l));
      }
    }
    err = r.error();
    if (err.empty()) err = CrossCheck(c);
  } catch (const std::exception& e) {
    err = std::string("config: ") + e.what();
  }
  if (!err.empty()) return InvalidArgument(err);
  return c;
}

Result<LbConfig> ParseConfigText(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("config is not valid JSON");
  return ParseConfig(j);
}

namespace {

// A forward action not filled in yet (a configuration built in code with only `target_group` set): the
// shorthand alone is serialized and parsing fills the action in.
bool IsShorthand(const ActionConfig& a) { return a.type == ActionType::kForward && a.target_groups.empty(); }

json ActionToJson(const ActionConfig& a) {
  json j = {{"type", ActionTypeName(a.type)}};
  switch (a.type) {
    case ActionType::kForward:
      j["target_groups"] = json::array();
      for (const auto& g : a.target_groups) j["target_groups"].push_back({{"name", g.target_group}, {"weight", g.weight}});
      break;
    case ActionType::kRedirect:
      j.update({{"protocol", a.protocol}, {"host", a.host}, {"port", a.port}, {"path", a.path}, {"query", a.query},
                {"status_code", a.status_code}});
      break;
    case ActionType::kFixedResponse:
      j.update({{"status_code", a.status_code}, {"content_type", a.content_type}, {"message_body", a.message_body}});
      break;
  }
  return j;
}

}  // namespace

nlohmann::json ConfigToJson(const LbConfig& c) {
  json j;
  j["version"] = c.version;
  const Settings& s = c.settings;
  j["settings"] = {{"header_timeout_ms", s.header_timeout_ms},   {"idle_timeout_ms", s.idle_timeout_ms},
                   {"request_timeout_ms", s.request_timeout_ms}, {"connect_timeout_ms", s.connect_timeout_ms},
                   {"upstream_idle_ms", s.upstream_idle_ms},     {"max_retries", s.max_retries},
                   {"outlier_consecutive_failures", s.outlier_consecutive_failures},
                   {"outlier_base_ejection_ms", s.outlier_base_ejection_ms},
                   {"handshake_timeout_ms", s.handshake_timeout_ms},
                   {"ticket_key_rotation_ms", s.ticket_key_rotation_ms}};
  j["listeners"] = json::array();
  for (const auto& l : c.listeners) {
    json lj = {{"name", l.name},
               {"bind", l.bind},
               {"protocol", ProtocolName(l.protocol)},
               {"rules", json::array()}};
    if (!IsShorthand(l.default_action)) lj["default_action"] = ActionToJson(l.default_action);
    if (!l.default_target_group.empty()) lj["default_target_group"] = l.default_target_group;
    if (IsTls(l.protocol)) {
      lj["certificates"] = l.certificates;
      lj["ssl_policy"] = l.ssl_policy;
      lj["alpn_policy"] = l.alpn_policy;
    }
    for (const auto& r : l.rules) {
      json rj = {{"priority", r.priority}, {"hosts", r.hosts}, {"paths", r.paths}, {"source_ips", r.source_ips},
                 {"methods", r.methods}, {"http_headers", json::array()}, {"query_strings", json::array()}};
      if (!IsShorthand(r.action)) rj["action"] = ActionToJson(r.action);
      if (!r.target_group.empty()) rj["target_group"] = r.target_group;
      for (const auto& h : r.http_headers) rj["http_headers"].push_back({{"name", h.name}, {"values", h.values}});
      for (const auto& q : r.query_strings) rj["query_strings"].push_back({{"key", q.key}, {"value", q.value}});
      lj["rules"].push_back(std::move(rj));
    }
    j["listeners"].push_back(std::move(lj));
  }
  j["target_groups"] = json::array();
  for (const auto& tg : c.target_groups) {
    const HealthCheckConfig& hc = tg.health_check;
    json tj = {{"name", tg.name},
               {"protocol", ProtocolName(tg.protocol)},
               {"port", tg.port},
               {"algorithm", AlgorithmName(tg.algorithm)},
               {"health_check",
                {{"enabled", hc.enabled},
                 {"protocol", ProtocolName(hc.protocol)},
                 {"path", hc.path},
                 {"port", hc.port},
                 {"interval_ms", hc.interval_ms},
                 {"timeout_ms", hc.timeout_ms},
                 {"healthy_threshold", hc.healthy_threshold},
                 {"unhealthy_threshold", hc.unhealthy_threshold},
                 {"matcher", hc.matcher}}},
               {"stickiness",
                {{"enabled", tg.stickiness.enabled}, {"type", "lb_cookie"}, {"duration_s", tg.stickiness.duration_s}}},
               {"deregistration_delay_ms", tg.deregistration_delay_ms},
               {"slow_start_ms", tg.slow_start_ms},
               {"targets", json::array()}};
    for (const auto& t : tg.targets) {
      tj["targets"].push_back(
          {{"id", t.id}, {"ip", t.ip}, {"port", t.port}, {"weight", t.weight}, {"draining", t.draining}});
    }
    j["target_groups"].push_back(std::move(tj));
  }
  if (!c.certificates.empty()) {
    j["certificates"] = json::array();
    for (const auto& cert : c.certificates) {
      j["certificates"].push_back({{"name", cert.name},
                                   {"certificate", cert.certificate},
                                   {"private_key", cert.private_key},
                                   {"chain", cert.chain}});
    }
  }
  return j;
}

}  // namespace stratus::lb
