// REST routes of launch templates and EC2 Auto Scaling (docs/api.md, "Launch templates and auto
// scaling"), over the scaling service layer. Bodies use the AWS APIs' field names.
#pragma once

#include <httplib.h>

#include "scaling/auto_scaling_service.h"
#include "scaling/launch_template.h"

namespace stratus {

class RestScaling {
 public:
  // Both services must outlive the routes.
  RestScaling(scaling::LaunchTemplateService* templates, scaling::AutoScalingService* groups)
      : templates_(templates), groups_(groups) {}

  // Registers /v1/launch-templates..., /v1/auto-scaling-groups... and /v1/auto-scaling-instances....
  void Mount(httplib::Server& server);

 private:
  void MountTemplates(httplib::Server& server);
  void MountGroups(httplib::Server& server);
  void MountGroupActions(httplib::Server& server);
  void MountPolicies(httplib::Server& server);
  void MountRefreshes(httplib::Server& server);

  scaling::LaunchTemplateService* templates_;
  scaling::AutoScalingService* groups_;
};
}  // namespace stratus
