// Instance: the EC2-shaped record of one instance, as the store keeps it and the APIs show it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base64.h"  // user data is base64 in the store form
#include "common/status.h"
#include "common/tags.h"

namespace stratus {

// EC2's instance states; the numeric values are EC2's state codes.
enum class InstanceState {
  kPending = 0,
  kRunning = 16,
  kShuttingDown = 32,
  kTerminated = 48,
  kStopping = 64,
  kStopped = 80,
};

const char* StateName(InstanceState state);
Result<InstanceState> StateFromName(std::string_view name);

struct Instance {
  std::string instance_id;
  std::string image_id;
  std::string instance_type;
  std::string host;          // the stratusd host running it (multi-host later)
  std::string vpc_id;
  std::string subnet_id;
  std::vector<std::string> security_group_ids;  // 1..5 groups of the instance's VPC
  std::string private_ip;    // kept from launch to terminate, across stop/start
  std::string mac;
  InstanceState state = InstanceState::kPending;
  std::string state_reason;  // why the last transition happened, e.g. "User initiated"
  std::string launch_time;   // ISO 8601, reset by start as on EC2
  std::string state_time;    // when the current state began (terminated ones expire an hour after)
  std::vector<Tag> tags;
  std::map<std::string, std::string> sysctls;
  std::string user_data;     // raw bytes
  std::string client_token;  // RunInstances idempotency

  // "ip-172-31-0-5", EC2's private DNS name for the address.
  std::string PrivateDnsName() const;
  const std::string* FindTag(std::string_view key) const;
};

// The API form (AWS field names). User data is not included: it is served by the metadata service.
nlohmann::json ToJson(const Instance& instance);
// The store form: ToJson plus user data (base64) and the client token.
nlohmann::json ToStoreJson(const Instance& instance);
Result<Instance> InstanceFromStoreJson(const nlohmann::json& j);

}  // namespace stratus
