#include "image/image.h"

#include <sys/time.h>

#include <ctime>

namespace stratus {

using nlohmann::json;

std::string NowIso8601() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
           t.tm_min, t.tm_sec, static_cast<int>(tv.tv_usec / 1000));
  return buf;
}

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

json ToJson(const Image& image) {
  json services = json::array();
  for (const auto& s : image.config.services) {
    services.push_back({{"Name", s.name}, {"Command", s.command}, {"Env", s.env}, {"Restart", RestartPolicyName(s.restart)}});
  }
  json sysctls = json::object();
  for (const auto& [k, v] : image.config.sysctls) sysctls[k] = v;
  const auto& hc = image.config.health_check;
  return {
      {"ImageId", image.image_id},
      {"Name", image.name},
      {"State", image.state},
      {"CreationDate", image.creation_date},
      {"Description", image.description},
      {"Layers", image.layers},
      {"Env", image.config.env},
      {"Services", services},
      {"Ports", image.config.ports},
      {"HealthCheck", {{"Protocol", hc.protocol}, {"Port", hc.port}, {"Path", hc.path}, {"Matcher", hc.matcher}}},
      {"Sysctls", sysctls},
      {"Tags", TagsToJson(image.tags)},
      {"Builtin", image.builtin},
  };
}

Result<Image> ImageFromJson(const json& j) {
  try {
    Image image;
    image.image_id = j.at("ImageId").get<std::string>();
    image.name = j.value("Name", "");
    image.state = j.value("State", "available");
    image.creation_date = j.value("CreationDate", "");
    image.description = j.value("Description", "");
    image.layers = j.value("Layers", std::vector<std::string>{});
    image.config.env = j.value("Env", std::vector<std::string>{});
    for (const auto& s : j.value("Services", json::array())) {
      ServiceSpec service;
      service.name = s.value("Name", "");
      service.command = s.value("Command", std::vector<std::string>{});
      service.env = s.value("Env", std::map<std::string, std::string>{});
      STRATUS_ASSIGN_OR_RETURN(service.restart, ParseRestartPolicy(s.value("Restart", "always")));
      image.config.services.push_back(std::move(service));
    }
    image.config.ports = j.value("Ports", std::vector<int>{});
    if (j.contains("HealthCheck")) {
      const auto& hc = j["HealthCheck"];
      image.config.health_check = {hc.value("Protocol", "HTTP"), hc.value("Port", 0), hc.value("Path", "/"),
                                   hc.value("Matcher", "200-399")};
    }
    for (const auto& [k, v] : j.value("Sysctls", json::object()).items()) {
      image.config.sysctls.emplace_back(k, v.get<std::string>());
    }
    STRATUS_ASSIGN_OR_RETURN(image.tags, TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false));
    image.builtin = j.value("Builtin", false);
    return image;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad image record: ") + e.what());
  }
}

}  // namespace stratus
