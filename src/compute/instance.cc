#include "compute/instance.h"


namespace stratus {

using nlohmann::json;

const char* StateName(InstanceState state) {
  switch (state) {
    case InstanceState::kPending: return "pending";
    case InstanceState::kRunning: return "running";
    case InstanceState::kShuttingDown: return "shutting-down";
    case InstanceState::kTerminated: return "terminated";
    case InstanceState::kStopping: return "stopping";
    case InstanceState::kStopped: return "stopped";
  }
  return "pending";
}

Result<InstanceState> StateFromName(std::string_view name) {
  for (auto s : {InstanceState::kPending, InstanceState::kRunning, InstanceState::kShuttingDown,
                 InstanceState::kTerminated, InstanceState::kStopping, InstanceState::kStopped}) {
    if (name == StateName(s)) return s;
  }
  return InvalidArgument("unknown instance state " + std::string(name) +
                         " (pending, running, shutting-down, terminated, stopping, stopped)");
}

std::string Instance::PrivateDnsName() const {
  if (private_ip.empty()) return "";
  std::string name = "ip-" + private_ip;
  for (char& c : name) {
    if (c == '.') c = '-';
  }
  return name;
}

const std::string* Instance::FindTag(std::string_view key) const {
  for (const auto& t : tags) {
    if (t.key == key) return &t.value;
  }
  return nullptr;
}

json ToJson(const Instance& i) {
  json groups = json::array();
  for (const auto& g : i.security_group_ids) groups.push_back({{"GroupId", g}});
  return {
      {"InstanceId", i.instance_id},
      {"ImageId", i.image_id},
      {"InstanceType", i.instance_type},
      {"State", {{"Code", static_cast<int>(i.state)}, {"Name", StateName(i.state)}}},
      {"StateReason", i.state_reason},
      {"PrivateIpAddress", i.private_ip},
      {"PrivateDnsName", i.PrivateDnsName()},
      {"MacAddress", i.mac},
      {"SubnetId", i.subnet_id},
      {"VpcId", i.vpc_id},
      {"SecurityGroups", groups},
      {"LaunchTime", i.launch_time},
      {"StateTransitionTime", i.state_time},
      {"Host", i.host},
      {"Tags", TagsToJson(i.tags)},
      {"Sysctls", i.sysctls},
  };
}

json ToStoreJson(const Instance& i) {
  json j = ToJson(i);
  j["UserData"] = Base64Encode(i.user_data);
  j["ClientToken"] = i.client_token;
  return j;
}

Result<Instance> InstanceFromStoreJson(const json& j) {
  try {
    Instance i;
    i.instance_id = j.at("InstanceId").get<std::string>();
    i.image_id = j.value("ImageId", "");
    i.instance_type = j.value("InstanceType", "");
    i.host = j.value("Host", "");
    i.vpc_id = j.value("VpcId", "");
    i.subnet_id = j.value("SubnetId", "");
    for (const auto& g : j.value("SecurityGroups", json::array())) i.security_group_ids.push_back(g.value("GroupId", ""));
    i.private_ip = j.value("PrivateIpAddress", "");
    i.mac = j.value("MacAddress", "");
    STRATUS_ASSIGN_OR_RETURN(i.state, StateFromName(j.at("State").at("Name").get<std::string>()));
    i.state_reason = j.value("StateReason", "");
    i.launch_time = j.value("LaunchTime", "");
    i.state_time = j.value("StateTransitionTime", "");
    STRATUS_ASSIGN_OR_RETURN(i.tags, TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false));
    i.sysctls = j.value("Sysctls", std::map<std::string, std::string>{});
    STRATUS_ASSIGN_OR_RETURN(i.user_data, Base64Decode(j.value("UserData", "")));
    i.client_token = j.value("ClientToken", "");
    return i;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad instance record: ") + e.what());
  }
}

}  // namespace stratus
