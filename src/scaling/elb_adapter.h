// TargetGroupPort over the ELBv2 LoadBalancerService (header-only: src/scaling does not link the
// load balancer; stratusd, which does, includes this).
#pragma once

#include "elb/load_balancer_service.h"
#include "scaling/ports.h"

namespace stratus::scaling {

class LoadBalancerTargetGroups : public TargetGroupPort {
 public:
  explicit LoadBalancerTargetGroups(elb::LoadBalancerService* lbs) : lbs_(lbs) {}
  Result<std::string> Resolve(const std::string& name_or_arn) override {
    STRATUS_ASSIGN_OR_RETURN(auto tg, lbs_->FindTargetGroup(name_or_arn));
    return tg.arn;
  }
  Status Register(const std::string& tg, const std::string& id) override { return lbs_->RegisterTargets(tg, {{id, 0}}); }
  Status Deregister(const std::string& tg, const std::string& id) override {
    return lbs_->DeregisterTargets(tg, {{id, 0}});
  }
  Result<std::vector<TargetState>> Health(const std::string& tg) override {
    STRATUS_ASSIGN_OR_RETURN(auto list, lbs_->DescribeTargetHealth(tg, {}));
    std::vector<TargetState> out;
    for (const auto& t : list) out.push_back({t.target.id, t.state});
    return out;
  }

 private:
  elb::LoadBalancerService* lbs_;
};

}  // namespace stratus::scaling
