// The AWS-named JSON forms of the Auto Scaling requests that carry a whole object (a group's spec, a scaling
// policy), read the same way by the REST API and by the EC2 Auto Scaling protocol handler.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "scaling/auto_scaling.h"
#include "scaling/auto_scaling_service.h"

namespace stratus::scaling {

// Parses CreateAutoScalingGroup / UpdateAutoScalingGroup fields (AWS names) into a GroupSpec. ValidationError
// naming a member of the wrong type.
Result<GroupSpec> ParseGroupSpec(const nlohmann::json& body);
// Parses PutScalingPolicy fields (AWS names). ValidationError naming a member of the wrong type.
Result<ScalingPolicy> ParseScalingPolicy(const nlohmann::json& body);
// "a,b,,c" -> {"a", "b", "c"} (VPCZoneIdentifier, list query parameters).
std::vector<std::string> SplitCommas(const std::string& s);

}  // namespace stratus::scaling
