// The GoogleTest fixture of the stratus-lb end-to-end tests: a stratus-lb child process in controlled mode, a
// control client connected to it and a free listener port; the process's log is printed when a test fails.
#pragma once

#include <gtest/gtest.h>

#include "lb_test_util.h"

namespace stratus::lb::testing {

class LbFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    lb_ = std::make_unique<LbProcess>();
    ctl_ = lb_->Connect();
    ASSERT_NE(ctl_, nullptr) << lb_->log();
    port_ = FreePort();
  }
  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "stratus-lb log:\n%s\n", lb_->log().c_str());
  }

  // Applies `c` and waits until every target that has a live backend is healthy.
  void ApplyAndWaitHealthy(const LbConfig& c, const std::vector<std::string>& healthy_ids = {"t0"}) {
    Status st = ctl_->Apply(c);
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (const auto& id : healthy_ids) {
      ASSERT_TRUE(WaitFor([&] { return TargetStateOf(ctl_.get(), id) == "healthy"; })) << id;
    }
  }

  // A metric of the listener named "web" (SimpleConfig's), or -1.
  int64_t ListenerMetric(const std::string& name) {
    auto st = ctl_->GetStatus();
    return st.ok() ? st->metrics["listeners"]["web"][name].get<int64_t>() : -1;
  }

  std::unique_ptr<LbProcess> lb_;
  std::unique_ptr<ControlClient> ctl_;
  int port_ = 0;
};

}  // namespace stratus::lb::testing
