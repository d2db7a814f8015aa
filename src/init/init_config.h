// init.json: what the host tells stratus-init (PID 1 of an instance) to do.
//
// The host writes it into the instance's run dir, which is bind-mounted read-write at /run/stratus
// inside the instance; stratus-init reads it at boot. Shape:
//   {"instance_id": "i-0123...", "hostname": "ip-172-31-0-5",
//    "user_data": "/run/stratus/user-data",            // "" when the instance has none
//    "env": {"K": "V"},                                 // for user data and every service
//    "services": [{"name": "web", "command": ["/usr/bin/demo-web", "--port", "80"],
//                  "env": {"K": "V"}, "restart": "always"}],   // always | on-failure | never
//    "stop_timeout_ms": 10000}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

// Where things live inside an instance.
inline constexpr char kInstanceRunDir[] = "/run/stratus";
inline constexpr char kInitConfigFile[] = "init.json";
inline constexpr char kUserDataFile[] = "user-data";
inline constexpr char kReadyFile[] = "ready";
// In the root volume: present once user data has been started, so a stop/start does not re-run it.
inline constexpr char kUserDataMarker[] = "/var/lib/stratus/user-data.done";

enum class RestartPolicy { kAlways, kOnFailure, kNever };

// "always" | "on-failure" | "never".
const char* RestartPolicyName(RestartPolicy policy);
// Parses RestartPolicyName's output; InvalidArgument otherwise.
Result<RestartPolicy> ParseRestartPolicy(const std::string& name);

// A long-running program of the image that init starts and supervises.
struct ServiceSpec {
  std::string name;
  std::vector<std::string> command;  // argv; argv[0] is looked up in PATH
  std::map<std::string, std::string> env;
  RestartPolicy restart = RestartPolicy::kAlways;
};

struct InitConfig {
  std::string instance_id;
  std::string hostname;
  std::string user_data_path;  // path inside the instance, or empty
  std::map<std::string, std::string> env;
  std::vector<ServiceSpec> services;
  int64_t stop_timeout_ms = 10000;
};

// Serializes `config` as init.json text.
std::string InitConfigToJson(const InitConfig& config);

// Parses init.json text; InvalidArgument naming the bad field.
Result<InitConfig> InitConfigFromJson(const std::string& text);

}  // namespace stratus
