// The health checker's state machine and its check schedule (HAProxy's fastinter), without sockets.
#include "lb/health.h"

#include <gtest/gtest.h>

namespace stratus::lb {
namespace {

HealthCheckConfig OneSecondTwoFailures() {
  HealthCheckConfig hc;
  hc.interval_ms = 1000;
  hc.unhealthy_threshold = 2;
  hc.healthy_threshold = 3;
  return hc;
}

TargetRuntime MakeTarget() {
  TargetConfig cfg;
  cfg.id = "t0";
  cfg.ip = "127.0.0.1";
  cfg.port = 80;
  return TargetRuntime("tg|t0|127.0.0.1:80", "tg", cfg, 1);
}

TEST(HealthCheckTest, AHealthyTargetIsRecheckedQuicklyAfterOneFailureAndLeavesAtTheThreshold) {
  HealthCheckConfig hc = OneSecondTwoFailures();
  TargetRuntime t = MakeTarget();
  ApplyHealthResult(&t, hc, true, "", 0);
  ASSERT_EQ(t.health.load(), HealthState::kHealthy);
  EXPECT_EQ(NextCheckDelayMs(t, hc), 1000);  // steady: the interval

  ApplyHealthResult(&t, hc, false, "Target.FailedHealthChecks: connect: Connection refused", 1000);
  EXPECT_EQ(t.health.load(), HealthState::kHealthy);  // one failure does not take it out
  EXPECT_EQ(NextCheckDelayMs(t, hc), kFastInterMs);   // going down: fastinter

  ApplyHealthResult(&t, hc, false, "Target.FailedHealthChecks: connect: Connection refused", 1200);
  EXPECT_EQ(t.health.load(), HealthState::kUnhealthy);
  EXPECT_EQ(NextCheckDelayMs(t, hc), 1000);  // settled down: the interval again
}

TEST(HealthCheckTest, APassAfterOneFailureEndsTheTransition) {
  HealthCheckConfig hc = OneSecondTwoFailures();
  TargetRuntime t = MakeTarget();
  ApplyHealthResult(&t, hc, true, "", 0);
  ApplyHealthResult(&t, hc, false, "x", 1000);
  ApplyHealthResult(&t, hc, true, "", 1200);
  EXPECT_EQ(t.health.load(), HealthState::kHealthy);
  EXPECT_EQ(NextCheckDelayMs(t, hc), 1000);
}

TEST(HealthCheckTest, AnUnhealthyTargetComingBackIsCheckedAtFastinterUntilTheHealthyThreshold) {
  HealthCheckConfig hc = OneSecondTwoFailures();
  TargetRuntime t = MakeTarget();
  ApplyHealthResult(&t, hc, true, "", 0);
  ApplyHealthResult(&t, hc, false, "x", 1000);
  ApplyHealthResult(&t, hc, false, "x", 1200);
  ASSERT_EQ(t.health.load(), HealthState::kUnhealthy);
  ApplyHealthResult(&t, hc, true, "", 2200);
  EXPECT_EQ(NextCheckDelayMs(t, hc), kFastInterMs);
  ApplyHealthResult(&t, hc, true, "", 2400);
  EXPECT_EQ(t.health.load(), HealthState::kUnhealthy);
  ApplyHealthResult(&t, hc, true, "", 2600);
  EXPECT_EQ(t.health.load(), HealthState::kHealthy);
  EXPECT_EQ(NextCheckDelayMs(t, hc), 1000);
}

TEST(HealthCheckTest, FastinterIsNeverLongerThanTheInterval) {
  HealthCheckConfig hc = OneSecondTwoFailures();
  hc.interval_ms = 100;
  TargetRuntime t = MakeTarget();
  ApplyHealthResult(&t, hc, true, "", 0);
  ApplyHealthResult(&t, hc, false, "x", 100);
  EXPECT_EQ(NextCheckDelayMs(t, hc), 100);
}

}  // namespace
}  // namespace stratus::lb
