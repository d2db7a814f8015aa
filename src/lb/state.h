// The load balancer's runtime state: targets (which outlive config snapshots so their health, counters and pooled
// connections survive a re-apply), and immutable snapshots (listeners, routing, target groups) that workers adopt
// between events.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "common/status.h"
#include "lb/config.h"
#include "lb/http_parser.h"
#include "lb/metrics.h"

namespace stratus::lb {

struct Upstream;

enum class HealthState : uint8_t { kInitial, kHealthy, kUnhealthy, kDraining, kUnused };
const char* HealthStateName(HealthState s);

// Per-worker, per-target state: written only by its worker.
struct alignas(64) TargetWorkerState {
  int64_t outstanding = 0;     // requests in flight from this worker
  int64_t current_weight = 0;  // smooth weighted round robin
  Upstream* idle_head = nullptr;  // this worker's idle pooled connections to the target
  Counter open_conns;          // upstream connections (busy + idle), read by the drain logic
};

// One registered target of one target group.
class TargetRuntime {
 public:
  TargetRuntime(std::string key, std::string group, const TargetConfig& cfg, int workers);

  const std::string key;    // group|id|ip:port
  const std::string group;  // target group name
  const std::string id;
  const std::string ip;
  const int port;
  sockaddr_in addr{};

  std::atomic<int> weight{1};
  std::atomic<HealthState> health{HealthState::kInitial};
  std::atomic<bool> draining{false};  // no new requests
  std::atomic<bool> removed{false};   // gone from the configuration: close every connection
  std::atomic<int64_t> healthy_since_ms{0};
  std::atomic<int> consecutive_failures{0};
  std::atomic<int64_t> ejected_until_ms{0};
  std::atomic<int> ejections{0};
  MetricSet metrics;

  TargetWorkerState& worker(int w) { return per_worker_[w]; }

  // Healthy, not ejected, not draining.
  bool InService(int64_t now_ms) const {
    return health.load(std::memory_order_relaxed) == HealthState::kHealthy &&
           ejected_until_ms.load(std::memory_order_relaxed) <= now_ms && !draining.load(std::memory_order_relaxed);
  }

  // Upstream connections open across workers.
  int64_t OpenConnections() const;

  // Passive outlier detection: a 5xx / connect failure / reset, or a success.
  void RecordFailure(int64_t now_ms, const Settings& s);
  void RecordSuccess() {
    if (consecutive_failures.load(std::memory_order_relaxed) != 0) {
      consecutive_failures.store(0, std::memory_order_relaxed);
    }
  }

  // Health reason (slow path, from the health checker and the status request).
  void SetReason(std::string r);
  std::string reason() const;

  // Owned by the health checker thread.
  int hc_passes = 0;
  int hc_failures = 0;
  int64_t hc_next_ms = 0;
  int64_t hc_probe_next_ms = 0;  // next uncounted probe while the target is still initial (health.h)

 private:
  int workers_;
  std::unique_ptr<TargetWorkerState[]> per_worker_;
  mutable std::mutex mu_;
  std::string reason_;
};
using TargetPtr = std::shared_ptr<TargetRuntime>;

// N listening sockets (one per worker) bound to the same address with SO_REUSEPORT.
class ListenerSockets {
 public:
  // Binds `bind` ("ip:port") once per worker. Fails with a clear message when the address is in use.
  static Result<std::shared_ptr<ListenerSockets>> Open(const std::string& bind, int workers);
  // Sockets handed over by the stratus-lb this process replaces (lb/handover.h). With fewer than `workers`, more
  // are bound beside them (SO_REUSEPORT); extra ones are closed, which resets the connections queued on them: keep
  // the worker count across a replacement.
  static Result<std::shared_ptr<ListenerSockets>> Adopt(const std::string& bind, std::vector<UniqueFd> fds, int workers);
  int fd(int w) const { return fds_[w].get(); }
  // Closes every socket (after all workers stopped polling them).
  void CloseAll() { fds_.clear(); }
  std::vector<int> fds() const;
  const std::string& bind() const { return bind_; }

 private:
  std::string bind_;
  std::vector<UniqueFd> fds_;
};

struct alignas(64) GroupWorkerState {
  uint64_t rr = 0;
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
};

// A target group inside one snapshot.
class TargetGroupRuntime {
 public:
  TargetGroupRuntime(TargetGroupConfig cfg, std::shared_ptr<MetricSet> metrics, int workers);

  TargetGroupConfig cfg;  // without targets
  std::vector<TargetPtr> targets;   // registered, in service order
  std::vector<TargetPtr> draining;  // deregistered, finishing their connections
  std::shared_ptr<MetricSet> metrics;

  // Call once `targets` is filled: chooses the plain or the weighted round robin.
  void Finalize();

  // Picks a target for a new request on worker `w`. Healthy ones first; when none is healthy, every registered
  // target (fail open). `exclude` is skipped when another choice exists; `sticky` (from the cookie) is preferred
  // when it is in service. Returns nullptr when the group has no registered target.
  TargetRuntime* Select(int w, int64_t now_ms, const TargetRuntime* exclude, std::string_view sticky);

 private:
  int64_t EffectiveWeight(const TargetRuntime& t, int64_t now_ms) const;
  TargetRuntime* SelectRoundRobin(int w, int64_t now_ms, const TargetRuntime* exclude, bool any);
  TargetRuntime* SelectWeighted(int w, int64_t now_ms, const TargetRuntime* exclude, bool any);
  TargetRuntime* SelectLeastOutstanding(int w, int64_t now_ms, const TargetRuntime* exclude, bool any);
  bool Eligible(const TargetRuntime& t, int64_t now_ms, const TargetRuntime* exclude, bool any) const;

  bool weighted_ = false;  // non-uniform weights or slow start: smooth WRR
  std::unique_ptr<GroupWorkerState[]> per_worker_;
};

// A listener inside one snapshot.
class TlsContext;
struct Snapshot;

// A listener action inside one snapshot.
struct ActionRuntime {
  const ActionConfig* cfg = nullptr;
  std::vector<std::pair<TargetGroupRuntime*, int>> groups;  // forward: groups and weights
  int total_weight = 0;

  static ActionRuntime Make(const ActionConfig& cfg, const Snapshot& snap);
  // The group for one request (weighted by `random` when there are several); nullptr when all weights are 0.
  TargetGroupRuntime* PickGroup(uint64_t random) const;
};

struct RuleRuntime {
  const RuleConfig* cfg = nullptr;
  ActionRuntime action;
  std::vector<std::pair<uint32_t, uint32_t>> cidrs;  // source_ips as network, mask (host order)

  static RuleRuntime Make(const RuleConfig& cfg, const Snapshot& snap);
  // All conditions hold for this request from `client_ip` (host order).
  bool Matches(const RequestHead& h, uint32_t client_ip) const;
};

struct ListenerRuntime {
  ListenerConfig cfg;
  std::shared_ptr<TlsContext> tls;  // https / tls listeners
  std::shared_ptr<ListenerSockets> sockets;
  std::shared_ptr<MetricSet> metrics;
  ActionRuntime default_action;
  TargetGroupRuntime* default_group = nullptr;  // tcp / tls listeners: the one group they forward to
  std::vector<RuleRuntime> rules;               // by priority

  // The action for a request: the first rule (by priority) whose conditions all hold, else the default.
  const ActionRuntime& Route(const RequestHead& h, uint32_t client_ip) const;
};

// An immutable configuration as the workers see it.
struct Snapshot {
  uint64_t version = 0;
  uint64_t generation = 0;
  // False once this process handed its listeners over (lb/handover.h): workers stop polling the listening sockets
  // and close each keep-alive client connection after its current response.
  bool accepting = true;
  Settings settings;
  std::vector<std::unique_ptr<TargetGroupRuntime>> groups;
  std::vector<std::unique_ptr<ListenerRuntime>> listeners;

  TargetGroupRuntime* FindGroup(const std::string& name) const;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

// Glob match with * and ? (paths), and host match ("*.example.com", case-insensitive, port ignored).
bool GlobMatch(std::string_view pattern, std::string_view s);
bool GlobMatchIgnoreCase(std::string_view pattern, std::string_view s);
bool HostMatch(std::string_view pattern, std::string_view host);

// Milliseconds on the monotonic clock.
int64_t NowMs();

}  // namespace stratus::lb
