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
// check); a failing one is not counted (a server still starting is not failing). A server that starts listening 0.2 s after registration is
// thus in service 0.2 s later instead of one interval (30 s on AWS's default) later.
//
// A target in transition is checked every kFastInterMs instead of every interval, as HAProxy does
// with `fastinter`: a healthy target after a failed check (until it passes again or reaches
// `unhealthy_threshold`), an unhealthy one after a passing check (until `healthy_threshold`). These
// checks count. A target that dies thus leaves service within interval + (unhealthy_threshold - 1) x
// kFastInterMs plus the checks' own time (1.2 s with a 1 s interval and a threshold of 2 when its
// port refuses connections) instead of unhealthy_threshold x interval, while one failed check still
// does not take a target out.
#pragma once

#include <atomic>
#include <thread>

#include "lb/worker.h"

namespace stratus::lb {

inline constexpr int64_t kInitialProbeMs = 100;
inline constexpr int64_t kFastInterMs = 200;

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

// How long after a counted check the next one is due: kFastInterMs while the target is in transition
// (see above), else the interval.
int64_t NextCheckDelayMs(const TargetRuntime& t, const HealthCheckConfig& hc);

}  // namespace stratus::lb
