#include "image/image.h"

namespace stratus {

using nlohmann::json;

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
