#include "daemon/collector_sources.h"

namespace stratus::cloudwatch {

std::string ElbDimensionFromArn(const std::string& arn) {
  auto colon = arn.rfind(':');
  std::string resource = colon == std::string::npos ? arn : arn.substr(colon + 1);
  if (resource.rfind("loadbalancer/", 0) == 0) return resource.substr(strlen("loadbalancer/"));
  return resource;
}

namespace {

std::vector<CollectedInstance> RunningInstances(InstanceService* instances, const InstanceTypeTable* types) {
  std::vector<CollectedInstance> out;
  auto all = instances->Describe({});
  if (!all.ok()) return out;
  for (const auto& i : *all) {
    if (i.state != InstanceState::kRunning) continue;
    CollectedInstance c{i.instance_id, "", 1, 0};
    if (const std::string* g = i.FindTag("aws:autoscaling:groupName")) c.auto_scaling_group = *g;
    auto type = types->Find(i.instance_type);
    if (type.ok()) {
      c.vcpus = type->vcpus;
      c.memory_bytes = type->memory_mib * 1024 * 1024;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

CollectorSources MakeDaemonCollectorSources(InstanceService* instances, const InstanceRuntime* runtime,
                                            const net::HostNetwork* network, const InstanceTypeTable* types,
                                            elb::LoadBalancerService* elb) {
  CollectorSources s;
  s.running_instances = [instances, types] { return RunningInstances(instances, types); };
  s.instance_sample = [runtime](const std::string& id) -> Result<InstanceSample> {
    STRATUS_ASSIGN_OR_RETURN(CgroupStats st, runtime->Stats(id));
    return InstanceSample{st.cpu_usage_ns, st.memory_bytes};
  };
  if (network) {
    s.network_sample = [network](const std::string& id) -> Result<NetworkSample> {
      STRATUS_ASSIGN_OR_RETURN(net::InterfaceCounters c, network->Counters(id));
      return NetworkSample{c.network_in_bytes, c.network_out_bytes, c.network_in_packets, c.network_out_packets};
    };
    s.network_samples = [network](const std::vector<std::string>& ids) {
      std::map<std::string, NetworkSample> out;
      for (const auto& [id, c] : network->CountersOf(ids)) {
        out[id] = NetworkSample{c.network_in_bytes, c.network_out_bytes, c.network_in_packets, c.network_out_packets};
      }
      return out;
    };
  }
  if (!elb) return s;
  s.lb_metrics = [elb] { return elb->Metrics(); };
  s.load_balancers = [elb] {
    std::vector<ElbName> out;
    auto lbs = elb->DescribeLoadBalancers({});
    if (lbs.ok()) {
      for (const auto& lb : *lbs) out.push_back({lb.name, ElbDimensionFromArn(lb.arn)});
    }
    return out;
  };
  s.target_groups = [elb] {
    std::vector<ElbName> out;
    auto tgs = elb->DescribeTargetGroups({}, "");
    if (tgs.ok()) {
      for (const auto& tg : *tgs) out.push_back({tg.name, ElbDimensionFromArn(tg.arn)});
    }
    return out;
  };
  return s;
}

}  // namespace stratus::cloudwatch
