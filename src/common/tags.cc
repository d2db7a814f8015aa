#include "common/tags.h"

namespace stratus {

using nlohmann::json;

json TagsToJson(const std::vector<Tag>& tags) {
  json a = json::array();
  for (const auto& t : tags) a.push_back({{"Key", t.key}, {"Value", t.value}});
  return a;
}

Result<std::vector<Tag>> TagsFromJson(const json& j, bool from_user) {
  std::vector<Tag> tags;
  if (j.is_null()) return tags;
  if (!j.is_array()) return InvalidArgument("Tags must be a list of {\"Key\": ..., \"Value\": ...}");
  for (const auto& t : j) {
    if (!t.is_object() || !t.contains("Key") || !t["Key"].is_string()) {
      return InvalidArgument("each tag needs a string Key");
    }
    Tag tag{t["Key"].get<std::string>(), t.value("Value", json("")).is_string() ? t.value("Value", "") : ""};
    if (tag.key.empty() || tag.key.size() > 128) return InvalidArgument("tag keys are 1 to 128 characters");
    if (tag.value.size() > 256) return InvalidArgument("tag values are at most 256 characters");
    if (from_user && tag.key.rfind("aws:", 0) == 0) return InvalidArgument("tag keys may not start with aws:");
    tags.push_back(std::move(tag));
  }
  return tags;
}

}  // namespace stratus
