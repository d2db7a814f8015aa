// Active health checks (HTTP and TCP) of every registered target, on one background thread.
//
// A new target is checked at once and put in service after its first passing check; a healthy one
// leaves service after `unhealthy_threshold` consecutive failures and comes back after
// `healthy_threshold` consecutive passes. A passing check also ends a passive outlier ejection (as
// Envoy does by default).
//
// While a target is still `initial` (no check has passed yet: an instance whose server is still
// starting), it is also probed every kInitialProbeMs between the checks of the interval, like
// HAProxy's `fastinter` during a transition. Only a passing probe counts (it is that first passing
// check); a failing one is not counted, so `unhealthy_threshold` keeps its meaning of consecutive
// failures of checks `interval` apart. A server that starts listening 0.2 s after registration is
// thus in service 0.2 s later instead of one interval (30 s on AWS's default) later.
#pragma once

#include <atomic>
#include <thread>

#include "lb/worker.h"

namespace stratus::lb {

inline constexpr int64_t kInitialProbeMs = 100;

class HealthChecker {
 public:
  explicit HealthChecker(SnapshotSource* source) : source_(source) {}
  ~HealthChecker() { Stop(); }
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Starts the checking thread.
  void Start();
  // Stops and joins it.
  void Stop();

 private:
  void Run();
  std::atomic<bool> stop_{false};
  std::thread thread_;
  SnapshotSource* source_;
};

// Applies one check result to a target's state machine (exposed for tests).
void ApplyHealthResult(TargetRuntime* t, const HealthCheckConfig& hc, bool pass, const std::string& reason,
                       int64_t now_ms);

}  // namespace stratus::lb
