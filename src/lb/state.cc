#include "lb/state.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace stratus::lb {

const char* HealthStateName(HealthState s) {
  switch (s) {
    case HealthState::kInitial: return "initial";
    case HealthState::kHealthy: return "healthy";
    case HealthState::kUnhealthy: return "unhealthy";
    case HealthState::kDraining: return "draining";
    case HealthState::kUnused: return "unused";
  }
  return "unused";
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

TargetRuntime::TargetRuntime(std::string k, std::string g, const TargetConfig& cfg, int workers)
    : key(std::move(k)),
      group(std::move(g)),
      id(cfg.id),
      ip(cfg.ip),
      port(cfg.port),
      metrics(workers),
      workers_(workers),
      per_worker_(new TargetWorkerState[static_cast<size_t>(workers)]) {
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  weight = cfg.weight;
  reason_ = "Elb.RegistrationInProgress";
}

int64_t TargetRuntime::OpenConnections() const {
  int64_t n = 0;
  for (int w = 0; w < workers_; ++w) n += per_worker_[w].open_conns.Get();
  return n;
}

void TargetRuntime::RecordFailure(int64_t now_ms, const Settings& s) {
  if (s.outlier_consecutive_failures <= 0) return;
  int f = consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (f < s.outlier_consecutive_failures) return;
  consecutive_failures.store(0, std::memory_order_relaxed);
  int n = ejections.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > 10) n = 10;
  ejected_until_ms.store(now_ms + static_cast<int64_t>(s.outlier_base_ejection_ms) * n, std::memory_order_relaxed);
}

void TargetRuntime::SetReason(std::string r) {
  std::lock_guard<std::mutex> l(mu_);
  reason_ = std::move(r);
}

std::string TargetRuntime::reason() const {
  std::lock_guard<std::mutex> l(mu_);
  return reason_;
}

Result<std::shared_ptr<ListenerSockets>> ListenerSockets::Open(const std::string& bind, int workers) {
  std::string ip;
  int port = 0;
  STRATUS_RETURN_IF_ERROR(ParseHostPort(bind, &ip, &port));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  auto s = std::make_shared<ListenerSockets>();
  s->bind_ = bind;
  // A probe without SO_REUSEPORT: fails when anyone (even another SO_REUSEPORT socket) holds the address.
  for (int i = -1; i < workers; ++i) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return Internal(std::string("socket: ") + strerror(errno));
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (i >= 0) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      int e = errno;
      if (e == EADDRINUSE) return Unavailable("listener " + bind + ": address already in use");
      return Unavailable("listener " + bind + ": bind: " + strerror(e));
    }
    if (i < 0) continue;
    if (listen(fd.get(), 4096) != 0) return Unavailable("listener " + bind + ": listen: " + strerror(errno));
    s->fds_.push_back(std::move(fd));
  }
  return s;
}

Result<std::shared_ptr<ListenerSockets>> ListenerSockets::Adopt(const std::string& bind, std::vector<UniqueFd> fds,
                                                                 int workers) {
  auto s = std::make_shared<ListenerSockets>();
  s->bind_ = bind;
  for (auto& fd : fds) {
    if (static_cast<int>(s->fds_.size()) < workers) s->fds_.push_back(std::move(fd));
  }
  if (static_cast<int>(s->fds_.size()) < workers) {
    std::string ip;
    int port = 0;
    STRATUS_RETURN_IF_ERROR(ParseHostPort(bind, &ip, &port));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    while (static_cast<int>(s->fds_.size()) < workers) {
      UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      int one = 1;
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd.get(), 4096) != 0) {
        return Unavailable("listener " + bind + ": adding a socket beside the handed-over ones: " + strerror(errno));
      }
      s->fds_.push_back(std::move(fd));
    }
  }
  // Handed-over sockets may have been blocking in the old process's eyes; the workers need them non-blocking.
  for (auto& fd : s->fds_) fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  return s;
}

std::vector<int> ListenerSockets::fds() const {
  std::vector<int> out;
  for (const auto& fd : fds_) out.push_back(fd.get());
  return out;
}

TargetGroupRuntime::TargetGroupRuntime(TargetGroupConfig c, std::shared_ptr<MetricSet> m, int workers)
    : cfg(std::move(c)), metrics(std::move(m)), per_worker_(new GroupWorkerState[static_cast<size_t>(workers)]) {
  cfg.targets.clear();
  for (int w = 0; w < workers; ++w) per_worker_[w].rng ^= static_cast<uint64_t>(w + 1) * 0x2545F4914F6CDD1DULL;
  weighted_ = cfg.slow_start_ms > 0 || cfg.algorithm == Algorithm::kWeightedRandom;
}

void TargetGroupRuntime::Finalize() {
  for (const auto& t : targets) {
    if (t->weight.load() != 1) weighted_ = true;
  }
}

int64_t TargetGroupRuntime::EffectiveWeight(const TargetRuntime& t, int64_t now_ms) const {
  int64_t w = t.weight.load(std::memory_order_relaxed);
  if (cfg.slow_start_ms > 0) {
    int64_t since = t.healthy_since_ms.load(std::memory_order_relaxed);
    int64_t age = now_ms - since;
    if (since > 0 && age < cfg.slow_start_ms) {
      // Linear ramp from 10% of the weight (scaled x100 to keep integer precision).
      return std::max<int64_t>(1, w * (10 + 90 * age / cfg.slow_start_ms));
    }
    return w * 100;
  }
  return w;
}

bool TargetGroupRuntime::Eligible(const TargetRuntime& t, int64_t now_ms, const TargetRuntime* exclude,
                                  bool any) const {
  if (&t == exclude) return false;
  return any ? !t.draining.load(std::memory_order_relaxed) : t.InService(now_ms);
}

TargetRuntime* TargetGroupRuntime::SelectRoundRobin(int w, int64_t now_ms, const TargetRuntime* exclude, bool any) {
  size_t n = targets.size();
  uint64_t start = per_worker_[w].rr++;
  for (size_t i = 0; i < n; ++i) {
    TargetRuntime* t = targets[(start + i) % n].get();
    if (Eligible(*t, now_ms, exclude, any)) return t;
  }
  return nullptr;
}

TargetRuntime* TargetGroupRuntime::SelectWeighted(int w, int64_t now_ms, const TargetRuntime* exclude, bool any) {
  int64_t total = 0;
  TargetRuntime* best = nullptr;
  if (cfg.algorithm == Algorithm::kWeightedRandom) {
    for (auto& t : targets) {
      if (Eligible(*t, now_ms, exclude, any)) total += EffectiveWeight(*t, now_ms);
    }
    if (total <= 0) return nullptr;
    uint64_t& x = per_worker_[w].rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t r = static_cast<int64_t>(x % static_cast<uint64_t>(total));
    for (auto& t : targets) {
      if (!Eligible(*t, now_ms, exclude, any)) continue;
      r -= EffectiveWeight(*t, now_ms);
      if (r < 0) return t.get();
    }
    return nullptr;
  }
  // Smooth weighted round robin (nginx): add weights, pick the largest, subtract the total from it.
  for (auto& t : targets) {
    if (!Eligible(*t, now_ms, exclude, any)) continue;
    int64_t ew = EffectiveWeight(*t, now_ms);
    TargetWorkerState& s = t->worker(w);
    s.current_weight += ew;
    total += ew;
    if (!best || s.current_weight > best->worker(w).current_weight) best = t.get();
  }
  if (best) best->worker(w).current_weight -= total;
  return best;
}

TargetRuntime* TargetGroupRuntime::SelectLeastOutstanding(int w, int64_t now_ms, const TargetRuntime* exclude,
                                                          bool any) {
  size_t n = targets.size();
  uint64_t start = per_worker_[w].rr++;
  TargetRuntime* best = nullptr;
  for (size_t i = 0; i < n; ++i) {
    TargetRuntime* t = targets[(start + i) % n].get();
    if (!Eligible(*t, now_ms, exclude, any)) continue;
    if (!best || t->worker(w).outstanding < best->worker(w).outstanding) best = t;
  }
  return best;
}

TargetRuntime* TargetGroupRuntime::Select(int w, int64_t now_ms, const TargetRuntime* exclude,
                                          std::string_view sticky) {
  if (targets.empty()) return nullptr;
  if (!sticky.empty()) {
    for (auto& t : targets) {
      if (t->id == sticky && t->InService(now_ms) && t.get() != exclude) return t.get();
    }
  }
  // Healthy targets without the excluded one, then healthy with it, then everyone (fail open).
  for (int pass = 0; pass < 4; ++pass) {
    bool any = pass >= 2;
    const TargetRuntime* ex = (pass % 2 == 0) ? exclude : nullptr;
    if (pass % 2 == 1 && !exclude) continue;
    TargetRuntime* t = nullptr;
    if (cfg.algorithm == Algorithm::kLeastOutstandingRequests) {
      t = SelectLeastOutstanding(w, now_ms, ex, any);
    } else if (weighted_) {
      t = SelectWeighted(w, now_ms, ex, any);
    } else {
      t = SelectRoundRobin(w, now_ms, ex, any);
    }
    if (t) return t;
  }
  return nullptr;
}

ActionRuntime ActionRuntime::Make(const ActionConfig& cfg, const Snapshot& snap) {
  ActionRuntime a;
  a.cfg = &cfg;
  for (const auto& wg : cfg.target_groups) {
    TargetGroupRuntime* g = snap.FindGroup(wg.target_group);
    if (!g) continue;  // cannot happen: the configuration was cross-checked
    a.groups.emplace_back(g, wg.weight);
    a.total_weight += wg.weight;
  }
  return a;
}

TargetGroupRuntime* ActionRuntime::PickGroup(uint64_t random) const {
  if (groups.size() == 1) return groups[0].second > 0 || total_weight == 0 ? groups[0].first : nullptr;
  if (total_weight <= 0) return nullptr;
  int64_t r = static_cast<int64_t>(random % static_cast<uint64_t>(total_weight));
  for (const auto& [g, w] : groups) {
    if (r < w) return g;
    r -= w;
  }
  return nullptr;
}

RuleRuntime RuleRuntime::Make(const RuleConfig& cfg, const Snapshot& snap) {
  RuleRuntime r;
  r.cfg = &cfg;
  r.action = ActionRuntime::Make(cfg.action, snap);
  for (const auto& c : cfg.source_ips) {
    uint32_t net = 0, mask = 0;
    if (ParseCidr(c, &net, &mask).ok()) r.cidrs.emplace_back(net, mask);
  }
  return r;
}

namespace {

// Does any key=value pair of the query string match `c`? (As ALB: case-insensitive globs, no percent-decoding.)
bool QueryMatches(std::string_view query, const QueryCondition& c) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq), value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if ((c.key.empty() || GlobMatchIgnoreCase(c.key, key)) && GlobMatchIgnoreCase(c.value, value)) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

bool RuleRuntime::Matches(const RequestHead& h, uint32_t client_ip) const {
  const RuleConfig& r = *cfg;
  auto any = [](const auto& list, auto&& pred) {
    for (const auto& v : list) {
      if (pred(v)) return true;
    }
    return false;
  };
  if (!r.hosts.empty() && !any(r.hosts, [&](const std::string& p) { return HostMatch(p, h.host); })) return false;
  if (!r.paths.empty() && !any(r.paths, [&](const std::string& p) { return GlobMatch(p, h.path); })) return false;
  if (!r.methods.empty() && !any(r.methods, [&](const std::string& m) { return m == h.method; })) return false;
  if (!cidrs.empty() &&
      !any(cidrs, [&](const std::pair<uint32_t, uint32_t>& c) { return (client_ip & c.second) == c.first; })) {
    return false;
  }
  for (const auto& hc : r.http_headers) {
    bool m = false;
    for (size_t i = 0; i < h.num_headers && !m; ++i) {
      if (!EqualsIgnoreCase(h.headers[i].name, hc.name)) continue;
      m = any(hc.values, [&](const std::string& v) { return GlobMatchIgnoreCase(v, h.headers[i].value); });
    }
    if (!m) return false;
  }
  if (!r.query_strings.empty()) {
    size_t q = h.target.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view() : h.target.substr(q + 1);
    if (!any(r.query_strings, [&](const QueryCondition& c) { return QueryMatches(query, c); })) return false;
  }
  return true;
}

const ActionRuntime& ListenerRuntime::Route(const RequestHead& h, uint32_t client_ip) const {
  for (const auto& rule : rules) {
    if (rule.Matches(h, client_ip)) return rule.action;
  }
  return default_action;
}

TargetGroupRuntime* Snapshot::FindGroup(const std::string& name) const {
  for (const auto& g : groups) {
    if (g->cfg.name == name) return g.get();
  }
  return nullptr;
}

namespace {

char Fold(char c, bool fold) { return fold ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c; }

bool Glob(std::string_view p, std::string_view s, bool fold) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || Fold(p[pi], fold) == Fold(s[si], fold))) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s) { return Glob(p, s, false); }
bool GlobMatchIgnoreCase(std::string_view p, std::string_view s) { return Glob(p, s, true); }

bool HostMatch(std::string_view pattern, std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']') == std::string_view::npos) host = host.substr(0, colon);
  return GlobMatchIgnoreCase(pattern, host);
}

}  // namespace stratus::lb
