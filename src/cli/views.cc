#include "cli/views.h"

namespace stratus::cli {

namespace {

// "running", or "stopped (User initiated)" when the instance carries a reason.
std::string StateWithReason(const Json& obj) {
  std::string state = Field("/State/Name")(obj);
  std::string reason = Field("/StateReason")(obj);
  return reason == kNone ? state : state + " (" + reason + ")";
}

// "2026-11-27T05:30:00.000Z (5m ago)".
std::function<std::string(const Json&)> TimeAndAge(std::string pointer, Clock::time_point now) {
  return [pointer, now](const Json& obj) -> std::string {
    std::string when = Field(pointer)(obj);
    std::string age = AgeOf(pointer, now)(obj);
    return age == kNone ? when : when + " (" + age + " ago)";
  };
}

}  // namespace

std::string FieldText(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string FieldText(const Json& j, const char* object, const char* key) {
  if (!j.is_object() || !j.contains(object)) return "";
  return FieldText(j[object], key);
}

std::string TagsText(const Json& j) {
  std::string out;
  for (const auto& t : j.value("Tags", Json::array())) {
    out += (out.empty() ? "" : ", ") + FieldText(t, "Key") + "=" + FieldText(t, "Value");
  }
  return out;
}

Columns InstanceColumns(Clock::time_point now) {
  return {
      {"ID", Field("/InstanceId")},
      {"NAME", TagValue("Name")},
      {"STATE", Field("/State/Name")},
      {"TYPE", Field("/InstanceType")},
      {"PRIVATE IP", Field("/PrivateIpAddress")},
      {"IMAGE", Field("/ImageId")},
      {"AGE", AgeOf("/LaunchTime", now)},
  };
}

Columns InstanceStateColumns() {
  return {
      {"ID", Field("/InstanceId")},
      {"STATE", Field("/State/Name")},
      {"TYPE", Field("/InstanceType")},
  };
}

Columns InstanceDetails(Clock::time_point now) {
  return {
      {"ID", Field("/InstanceId")},
      {"Name", TagValue("Name")},
      {"State", StateWithReason},
      {"Type", Field("/InstanceType")},
      {"Image", Field("/ImageId")},
      {"Private IP", Field("/PrivateIpAddress")},
      {"Private DNS", Field("/PrivateDnsName")},
      {"Subnet", Field("/SubnetId")},
      {"VPC", Field("/VpcId")},
      {"Host", Field("/Host")},
      {"Launched", TimeAndAge("/LaunchTime", now)},
      {"Tags", TagList()},
      {"Sysctls", MapList("/Sysctls")},
  };
}

Columns ImageColumns(Clock::time_point now) {
  return {
      {"ID", Field("/ImageId")},
      {"NAME", Field("/Name")},
      {"STATE", Field("/State")},
      {"PORTS", Field("/Ports")},
      {"AGE", AgeOf("/CreationDate", now)},
  };
}

Columns ImageDetails(Clock::time_point now) {
  return {
      {"ID", Field("/ImageId")},
      {"Name", Field("/Name")},
      {"State", Field("/State")},
      {"Created", TimeAndAge("/CreationDate", now)},
      {"Ports", Field("/Ports")},
      {"Services", Field("/Services")},
      {"Layers", Field("/Layers")},
      {"Tags", TagList()},
  };
}

Columns InstanceTypeColumns() {
  return {
      {"TYPE", Field("/InstanceType")},
      {"VCPUS", Field("/VCpus")},
      {"MEMORY (MIB)", Field("/MemoryMiB")},
      {"PIDS", Field("/Pids")},
  };
}

Columns VpcColumns() {
  return {
      {"ID", Field("/VpcId")},
      {"CIDR", Field("/CidrBlock")},
      {"DEFAULT", Field("/IsDefault")},
  };
}

Columns SubnetColumns() {
  return {
      {"ID", Field("/SubnetId")},
      {"VPC", Field("/VpcId")},
      {"CIDR", Field("/CidrBlock")},
      {"ZONE", Field("/AvailabilityZone")},
      {"PUBLIC IP", Field("/MapPublicIpOnLaunch")},
      {"DEFAULT", Field("/DefaultForAz")},
  };
}

Columns HealthDetails() {
  return {
      {"Status", Field("/Status")},
      {"Name", Field("/Name")},
      {"Version", Field("/Version")},
  };
}

}  // namespace stratus::cli
