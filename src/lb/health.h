// Active health checks (HTTP and TCP) of every registered target, on one background thread.
//
// A new target is put in service after its first passing check; a healthy one leaves service after
// `unhealthy_threshold` consecutive failures and comes back after `healthy_threshold` consecutive passes.
// A passing check also ends a passive outlier ejection (as Envoy does by default).
#pragma once

#include <atomic>
#include <thread>

#include "lb/worker.h"

namespace stratus::lb {

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
