// The instance type table: what "t3.micro" means in vCPUs, memory and processes.
//
// Built-in values follow AWS (DescribeInstanceTypes: DefaultVCpus, MemoryInfo.SizeInMiB); the pids
// limit is ours (AWS has none) and scales with memory. Operators extend or override the table with
// a JSON file:
//   {"instance_types": [{"name": "x1.tiny", "vcpus": 1, "memory_mib": 256, "pids_limit": 256}]}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratus {

struct InstanceType {
  std::string name;         // "t3.micro"
  double vcpus = 1;         // CPU quota in cores (cpu.cfs_quota_us = vcpus * period)
  int64_t memory_mib = 0;   // memory limit
  int64_t pids_limit = 0;   // maximum number of tasks in the instance
};

class InstanceTypeTable {
 public:
  // A table holding the built-in AWS types.
  InstanceTypeTable();

  // Returns the built-in table shared by callers that need no configuration (tests, tools).
  static const InstanceTypeTable& Default();

  // Adds or replaces types from JSON text ({"instance_types": [...]} or a bare array). A type
  // without pids_limit gets the default for its memory. InvalidArgument names the bad entry;
  // on error the table is unchanged.
  Status AddFromJson(const std::string& json_text);

  // AddFromJson on the contents of `path`; NotFound when the file does not exist.
  Status LoadFile(const std::string& path);

  // The type named `name`, or InvalidArgument "instance type x.y is not known; known types: ...".
  Result<InstanceType> Find(const std::string& name) const;

  // All types, sorted by name.
  std::vector<InstanceType> List() const;

  // The pids limit given to a type whose config does not set one: memory_mib clamped to [1024, 32768].
  static int64_t DefaultPidsLimit(int64_t memory_mib);

 private:
  std::map<std::string, InstanceType> types_;
};

}  // namespace stratus
