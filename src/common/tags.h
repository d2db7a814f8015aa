// Tag: a key/value label on any Stratus object (instances, images, launch templates, load balancers, groups),
// with the AWS JSON shape [{"Key": ..., "Value": ...}] every store record and front end uses.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus {

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

nlohmann::json TagsToJson(const std::vector<Tag>& tags);
// Parses [{"Key", "Value"}...]. A user's tags (`from_user`) may not use the reserved "aws:" prefix;
// Stratus's own records may (auto scaling tags its instances aws:autoscaling:groupName, as AWS does).
Result<std::vector<Tag>> TagsFromJson(const nlohmann::json& j, bool from_user = true);

}  // namespace stratus
