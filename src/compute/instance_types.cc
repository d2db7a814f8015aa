#include "compute/instance_types.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace stratus {
namespace {

struct BuiltinType {
  const char* name;
  double vcpus;
  int64_t memory_mib;
};

// AWS DescribeInstanceTypes values (DefaultVCpus, MemoryInfo.SizeInMiB).
constexpr BuiltinType kBuiltinTypes[] = {
    {"t1.micro", 1, 627},
    {"t2.nano", 1, 512},       {"t2.micro", 1, 1024},     {"t2.small", 1, 2048},
    {"t2.medium", 2, 4096},    {"t2.large", 2, 8192},     {"t2.xlarge", 4, 16384},
    {"t2.2xlarge", 8, 32768},
    {"t3.nano", 2, 512},       {"t3.micro", 2, 1024},     {"t3.small", 2, 2048},
    {"t3.medium", 2, 4096},    {"t3.large", 2, 8192},     {"t3.xlarge", 4, 16384},
    {"t3.2xlarge", 8, 32768},
    {"t3a.nano", 2, 512},      {"t3a.micro", 2, 1024},    {"t3a.small", 2, 2048},
    {"t3a.medium", 2, 4096},   {"t3a.large", 2, 8192},
    {"m1.small", 1, 1740},     {"m1.medium", 1, 3840},    {"m1.large", 2, 7680},
    {"m1.xlarge", 4, 15360},
    {"m5.large", 2, 8192},     {"m5.xlarge", 4, 16384},   {"m5.2xlarge", 8, 32768},
    {"m6i.large", 2, 8192},    {"m6i.xlarge", 4, 16384},
    {"c5.large", 2, 4096},     {"c5.xlarge", 4, 8192},    {"c5.2xlarge", 8, 16384},
    {"c6i.large", 2, 4096},    {"c6i.xlarge", 4, 8192},
    {"r5.large", 2, 16384},    {"r5.xlarge", 4, 32768},
};

Result<InstanceType> ParseType(const nlohmann::json& j, size_t index) {
  std::string where = "instance_types[" + std::to_string(index) + "]";
  if (!j.is_object()) return InvalidArgument(where + " is not an object");
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
    return InvalidArgument(where + ": \"name\" must be a non-empty string");
  }
  InstanceType t;
  t.name = name->get<std::string>();
  where = "instance type " + t.name;
  auto vcpus = j.find("vcpus");
  auto mem = j.find("memory_mib");
  if (vcpus == j.end() || !vcpus->is_number() || vcpus->get<double>() <= 0 || vcpus->get<double>() > 1024) {
    return InvalidArgument(where + ": \"vcpus\" must be a number in (0, 1024]");
  }
  if (mem == j.end() || !mem->is_number_integer() || mem->get<int64_t>() < 16) {
    return InvalidArgument(where + ": \"memory_mib\" must be an integer >= 16");
  }
  t.vcpus = vcpus->get<double>();
  t.memory_mib = mem->get<int64_t>();
  t.pids_limit = InstanceTypeTable::DefaultPidsLimit(t.memory_mib);
  if (auto pids = j.find("pids_limit"); pids != j.end()) {
    if (!pids->is_number_integer() || pids->get<int64_t>() < 16) {
      return InvalidArgument(where + ": \"pids_limit\" must be an integer >= 16");
    }
    t.pids_limit = pids->get<int64_t>();
  }
  return t;
}

}  // namespace

InstanceTypeTable::InstanceTypeTable() {
  for (const auto& b : kBuiltinTypes) {
    types_[b.name] = InstanceType{b.name, b.vcpus, b.memory_mib, DefaultPidsLimit(b.memory_mib)};
  }
}

const InstanceTypeTable& InstanceTypeTable::Default() {
  static const InstanceTypeTable* table = new InstanceTypeTable();
  return *table;
}

int64_t InstanceTypeTable::DefaultPidsLimit(int64_t memory_mib) {
  return std::clamp<int64_t>(memory_mib, 1024, 32768);
}

Status InstanceTypeTable::AddFromJson(const std::string& json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("instance type config is not valid JSON");
  if (j.is_object()) {
    auto it = j.find("instance_types");
    if (it == j.end()) return InvalidArgument("instance type config has no \"instance_types\" array");
    j = *it;
  }
  if (!j.is_array()) return InvalidArgument("\"instance_types\" must be an array");
  std::vector<InstanceType> parsed;
  for (size_t i = 0; i < j.size(); i++) {
    STRATUS_ASSIGN_OR_RETURN(InstanceType t, ParseType(j[i], i));
    parsed.push_back(std::move(t));
  }
  for (auto& t : parsed) types_[t.name] = std::move(t);
  return Status::Ok();
}

Status InstanceTypeTable::LoadFile(const std::string& path) {
  STRATUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return AddFromJson(text).WithContext(path);
}

Result<InstanceType> InstanceTypeTable::Find(const std::string& name) const {
  auto it = types_.find(name);
  if (it != types_.end()) return it->second;
  std::string known;
  for (const auto& [n, t] : types_) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("instance type " + name + " is not known; known types: " + known);
}

std::vector<InstanceType> InstanceTypeTable::List() const {
  std::vector<InstanceType> out;
  for (const auto& [n, t] : types_) out.push_back(t);
  return out;
}

}  // namespace stratus
