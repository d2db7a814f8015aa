// REST routes for load balancers, listeners, rules and target groups (docs/api.md), over
// elb::LoadBalancerService.
#pragma once

#include <httplib.h>

#include "elb/load_balancer_service.h"

namespace stratus {

void MountLoadBalancerRoutes(httplib::Server& server, elb::LoadBalancerService* service);
}  // namespace stratus
