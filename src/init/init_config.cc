#include "init/init_config.h"

#include <nlohmann/json.hpp>

namespace stratus {
namespace {

using nlohmann::json;

Result<std::map<std::string, std::string>> ParseEnv(const json& j, const std::string& where) {
  std::map<std::string, std::string> env;
  if (j.is_null()) return env;
  if (!j.is_object()) return InvalidArgument(where + " must be an object of strings");
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string() || k.empty() || k.find('=') != std::string::npos) {
      return InvalidArgument(where + "." + k + " must be a string (and the name must not contain '=')");
    }
    env[k] = v.get<std::string>();
  }
  return env;
}

// j[key], or null when j has no such key (never throws).
const json& Field(const json& j, const char* key) {
  static const json kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

Result<ServiceSpec> ParseService(const json& j, size_t index) {
  std::string where = "services[" + std::to_string(index) + "]";
  if (!j.is_object()) return InvalidArgument(where + " must be an object");
  ServiceSpec s;
  const json& name = Field(j, "name");
  if (!name.is_string() || name.get<std::string>().empty()) {
    return InvalidArgument(where + ".name must be a non-empty string");
  }
  s.name = name.get<std::string>();
  auto cmd = j.find("command");
  if (cmd == j.end() || !cmd->is_array() || cmd->empty()) {
    return InvalidArgument(where + ".command must be a non-empty array of strings");
  }
  for (const auto& a : *cmd) {
    if (!a.is_string()) return InvalidArgument(where + ".command must be an array of strings");
    s.command.push_back(a.get<std::string>());
  }
  STRATUS_ASSIGN_OR_RETURN(s.env, ParseEnv(Field(j, "env"), where + ".env"));
  const json& restart = Field(j, "restart");
  if (!restart.is_null()) {
    if (!restart.is_string()) return InvalidArgument(where + ".restart must be a string");
    STRATUS_ASSIGN_OR_RETURN(s.restart, ParseRestartPolicy(restart.get<std::string>()));
  }
  return s;
}

}  // namespace

const char* RestartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways: return "always";
    case RestartPolicy::kOnFailure: return "on-failure";
    case RestartPolicy::kNever: return "never";
  }
  return "always";
}

Result<RestartPolicy> ParseRestartPolicy(const std::string& name) {
  if (name == "always") return RestartPolicy::kAlways;
  if (name == "on-failure") return RestartPolicy::kOnFailure;
  if (name == "never") return RestartPolicy::kNever;
  return InvalidArgument("restart policy \"" + name + "\" is not one of always, on-failure, never");
}

std::string InitConfigToJson(const InitConfig& c) {
  json services = json::array();
  for (const auto& s : c.services) {
    services.push_back({{"name", s.name}, {"command", s.command}, {"env", s.env},
                        {"restart", RestartPolicyName(s.restart)}});
  }
  json j = {{"instance_id", c.instance_id}, {"hostname", c.hostname}, {"user_data", c.user_data_path},
            {"env", c.env}, {"services", services}, {"stop_timeout_ms", c.stop_timeout_ms}};
  return j.dump();
}

Result<InitConfig> InitConfigFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("init.json is not a JSON object");
  InitConfig c;
  auto str = [&](const char* key, std::string& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return InvalidArgument(std::string("init.json: ") + key + " must be a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  STRATUS_RETURN_IF_ERROR(str("instance_id", c.instance_id));
  STRATUS_RETURN_IF_ERROR(str("hostname", c.hostname));
  STRATUS_RETURN_IF_ERROR(str("user_data", c.user_data_path));
  STRATUS_ASSIGN_OR_RETURN(c.env, ParseEnv(Field(j, "env"), "env"));
  if (auto it = j.find("stop_timeout_ms"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return InvalidArgument("init.json: stop_timeout_ms must be a non-negative integer");
    }
    c.stop_timeout_ms = it->get<int64_t>();
  }
  if (auto it = j.find("services"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgument("init.json: services must be an array");
    for (size_t i = 0; i < it->size(); i++) {
      STRATUS_ASSIGN_OR_RETURN(ServiceSpec s, ParseService((*it)[i], i));
      c.services.push_back(std::move(s));
    }
  }
  return c;
}

}  // namespace stratus
