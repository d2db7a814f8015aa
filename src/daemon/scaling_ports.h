// Adapters from stratusd's services to the scaling service's ports (scaling/ports.h): the daemon is the one
// place that wires services together.
#pragma once

#include <algorithm>
#include <chrono>

#include "compute/instance_service.h"
#include "elb/load_balancer_service.h"
#include "metrics/metric_store.h"
#include "scaling/ports.h"

namespace stratus::scaling {

// InstancePort over the InstanceService.
class InstanceServicePort : public InstancePort {
 public:
  explicit InstanceServicePort(InstanceService* instances) : instances_(instances) {}
  Result<std::string> Launch(const LaunchSpec& spec) override;
  Result<InstanceView> Get(const std::string& id) override;
  Status Terminate(const std::string& id) override;
  Result<std::vector<InstanceView>> ListTagged(const std::string& key, const std::string& value) override;

 private:
  InstanceService* instances_;
};

// MetricReader over the metric store: the 1-second datapoints of the last `window` seconds, the
// current one included, combined (Average: mean of the per-second averages; Sum, Minimum, Maximum,
// SampleCount as named). The collector takes its sample just after each whole second T and stamps
// it T (it covers T-1..T), so [T+1-window, T+1) holds the `window` freshest samples: excluding the
// current second would read every sample a second late (docs/scaling.md, "Reaction time").
class MetricStoreReader : public MetricReader {
 public:
  explicit MetricStoreReader(MetricStore* store) : store_(store) {}
  std::optional<double> Read(const MetricQuery& q) override {
    StatisticsQuery sq;
    sq.namespace_ = q.namespace_;
    sq.name = q.metric_name;
    for (const auto& d : q.dimensions) sq.dimensions.push_back({d.name, d.value});
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    sq.end_ms = now / 1000 * 1000 + 1000;
    sq.start_ms = sq.end_ms - std::max(1, q.window_seconds) * 1000LL;
    sq.period_s = 1;
    sq.statistics = {q.statistic};
    auto points = store_->GetMetricStatistics(sq);
    if (!points.ok() || points->empty()) return std::nullopt;
    double acc = q.statistic == "Minimum" ? 1e300 : (q.statistic == "Maximum" ? -1e300 : 0);
    int n = 0;
    for (const auto& p : *points) {
      auto it = p.values.find(q.statistic);
      if (it == p.values.end()) continue;
      if (q.statistic == "Minimum") acc = std::min(acc, it->second);
      else if (q.statistic == "Maximum") acc = std::max(acc, it->second);
      else acc += it->second;
      ++n;
    }
    if (n == 0) return std::nullopt;
    return q.statistic == "Average" ? acc / n : acc;
  }

 private:
  MetricStore* store_;
};

// TargetGroupPort over the ELBv2 LoadBalancerService.
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
