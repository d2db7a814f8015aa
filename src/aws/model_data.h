// Access to the service-2.json documents embedded at build time (see model_data.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stratus::aws {

// Returns the embedded JSON documents of the EC2, ELBv2, Auto Scaling and CloudWatch models.
std::vector<std::string_view> EmbeddedModels();

}  // namespace stratus::aws
