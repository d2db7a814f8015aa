// The rules that span two services, connected in one place: for stratusd (daemon.cc) and for the tests that
// assemble the services as stratusd does (tests/daemon). Each rule itself lives in its service; this file
// only says which service consults which.
#pragma once

#include <functional>

#include "compute/instance_service.h"
#include "elb/certificate_service.h"
#include "elb/load_balancer_service.h"
#include "image/image_service.h"
#include "scaling/auto_scaling_service.h"
#include "scaling/launch_template.h"
#include "vpc/vpc_service.h"

namespace stratus {

// InstanceServiceOptions::apply_launch_template over `templates` (which must outlive the instance service).
std::function<Status(RunRequest&)> LaunchFromTemplates(const scaling::LaunchTemplateService* templates);

// Deregistering an image that a launch template launches is refused (docs/images.md), and so is deleting a
// launch template that an auto scaling group launches from (docs/scaling.md). `images` may be null. Every
// pointer must outlive the checks' users.
void ConnectInUseChecks(ImageService* images, scaling::LaunchTemplateService* templates,
                        const scaling::AutoScalingService* groups);

// Listeners present the certificates of `certificates`; deleting a certificate a listener uses is refused
// (ResourceInUseException) and a re-imported certificate reaches the listeners using it (docs/lb.md). Call before
// both services start; both must outlive each other's use.
void ConnectCertificates(elb::CertificateService* certificates, elb::LoadBalancerService* load_balancers);

// InstanceServiceOptions::resolve_security_groups over `vpcs` (which must outlive the instance service).
std::function<Result<std::vector<std::string>>(const std::string&, const std::vector<std::string>&)> ResolveGroupsWith(
    const vpc::VpcService* vpcs);

// Deleting a subnet that an instance (not terminated) is in, or a security group one uses, is refused with
// DependencyViolation (docs/network.md).
// `instances` must outlive `vpcs`' users.
void ConnectNetworkInUseChecks(vpc::VpcService* vpcs, const InstanceService* instances);

}  // namespace stratus
