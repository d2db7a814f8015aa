// LoadBalancer: the whole data plane of one stratus-lb process. It owns the workers, the health checker, the
// targets (which outlive snapshots), the listening sockets and the draining bookkeeping. Apply/Tick/Status are
// called from the control thread; workers only ever see immutable snapshots.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fd.h"
#include "common/status.h"
#include "lb/access_log.h"
#include "lb/config.h"
#include "lb/health.h"
#include "lb/tls.h"
#include "lb/worker.h"

namespace stratus::lb {

class LoadBalancer {
 public:
  // `access_log`: a file path for the access log, or empty for none; it rotates to keep at most
  // `access_log_max` bytes on disk (0: no limit).
  LoadBalancer(int workers, std::string access_log, int64_t access_log_max = 0);
  ~LoadBalancer();
  LoadBalancer(const LoadBalancer&) = delete;
  LoadBalancer& operator=(const LoadBalancer&) = delete;

  // Starts the workers and the health checker with an empty configuration.
  Status Start();

  // Applies a full configuration snapshot without dropping connections: new listeners are bound (an error such as
  // "address already in use" leaves the previous configuration in force), removed targets start draining, and the
  // call returns once every worker runs the new configuration.
  Status Apply(const LbConfig& config);

  // Draining bookkeeping; call every ~100 ms. Removes draining targets whose delay is over or that have no
  // connection left.
  void Tick();

  // {"version", "generation", "targets": [{target_group, id, ip, port, weight, state, reason}], "metrics": {...}}
  nlohmann::json StatusJson() const;

  // Every metric in Prometheus text exposition format.
  std::string PrometheusText() const;

  // The version of the configuration in force (0 before the first Apply).
  uint64_t version() const;

  // Replacing a running stratus-lb (lb/handover.h). New side: Inherit() before the first Apply(), whose listeners
  // then use these sockets instead of binding; SeedHealth() after it, with the old process's "targets".
  void Inherit(std::map<std::string, std::vector<UniqueFd>> sockets);
  void SeedHealth(const nlohmann::json& targets);
  // Old side: the configuration and listening sockets to hand over; then StopAccepting() once the new process
  // serves, and exit when OpenConnections() reaches 0.
  LbConfig config() const;
  std::map<std::string, std::vector<int>> ListeningFds() const;
  Status StopAccepting();
  int64_t OpenConnections() const;

 private:
  struct Draining {
    TargetPtr target;
    int64_t deadline_ms;
  };
  Status PublishLocked();
  Status BuildTlsLocked(const LbConfig& config, std::map<std::string, std::pair<std::string, std::shared_ptr<TlsContext>>>* out);
  void ApplyTargetsLocked(const LbConfig& config, int64_t now);
  std::string TargetState(const TargetRuntime& t, const std::set<std::string>& used, std::string* reason) const;

  const int num_workers_;
  const std::string access_log_path_;
  const int64_t access_log_max_;
  mutable std::mutex mu_;
  LbConfig config_;
  std::map<std::string, TargetPtr> targets_;
  std::map<std::string, Draining> draining_;
  std::map<std::string, std::shared_ptr<MetricSet>> listener_metrics_;
  std::map<std::string, std::shared_ptr<MetricSet>> group_metrics_;
  std::map<std::string, std::shared_ptr<ListenerSockets>> sockets_;
  std::map<std::string, std::vector<UniqueFd>> inherited_;  // handed-over sockets not yet used by a listener
  bool accepting_ = true;
  // TLS contexts by listener name, with the fingerprint of the settings they were built from.
  std::map<std::string, std::pair<std::string, std::shared_ptr<TlsContext>>> tls_;
  std::shared_ptr<TicketKeys> ticket_keys_ = std::make_shared<TicketKeys>();
  uint64_t generation_ = 0;
  SnapshotSource source_;
  std::unique_ptr<AccessLog> access_log_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HealthChecker> health_;
};

}  // namespace stratus::lb
