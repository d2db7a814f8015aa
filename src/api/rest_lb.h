// REST routes for load balancers, listeners, rules and target groups (docs/api.md), over
// elb::LoadBalancerService.
#pragma once

#include <httplib.h>

#include "elb/load_balancer_service.h"

namespace stratus {

void MountLoadBalancerRoutes(httplib::Server& server, elb::LoadBalancerService* service);

// The "Targets" member of a register, deregister or target health body: a list of {"Id": string, "Port": int},
// Port 0 (the group's port) when absent. ValidationError when the member is missing or malformed.
Result<std::vector<elb::Target>> ParseTargets(const nlohmann::json& body);

// Reads the health check members of a create or modify target group body into `hc`, leaving absent (or null) ones
// as they are: HealthCheckProtocol, HealthCheckPort, HealthCheckPath, HealthCheckIntervalSeconds,
// HealthCheckTimeoutSeconds, HealthyThresholdCount, UnhealthyThresholdCount — AWS's member names, so the REST
// routes and the ELBv2 handler read them the same way. ValidationError naming a member of another JSON type.
// Matcher is left to the caller: the REST API takes it as a string, ELBv2 as {"HttpCode": ...}.
Status ReadHealthCheckMembers(const nlohmann::json& body, elb::TargetGroupHealthCheck& hc);

}  // namespace stratus
