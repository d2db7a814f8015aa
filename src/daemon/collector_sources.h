// The CloudWatch collector's sources in stratusd (the daemon wires services together): running instances from the InstanceService, cgroup
// counters from the InstanceRuntime, interface counters from the HostNetwork, instance type sizes
// from the InstanceTypeTable and the data plane's metrics from the LoadBalancerService.
#pragma once

#include "cloudwatch/collector.h"
#include "compute/instance_runtime.h"
#include "compute/instance_service.h"
#include "compute/instance_types.h"
#include "elb/load_balancer_service.h"
#include "net/host_network.h"

namespace stratus::cloudwatch {

// Every pointer must outlive the collector; `network` and `elb` may be null (no network or load
// balancer metrics then).
CollectorSources MakeDaemonCollectorSources(InstanceService* instances, const InstanceRuntime* runtime,
                                            const net::HostNetwork* network, const InstanceTypeTable* types,
                                            elb::LoadBalancerService* elb);

// "app/web/0123" from "arn:aws:elasticloadbalancing:...:loadbalancer/app/web/0123", "targetgroup/tg/4567"
// from "...:targetgroup/tg/4567": the dimension values CloudWatch uses.
std::string ElbDimensionFromArn(const std::string& arn);

}  // namespace stratus::cloudwatch
