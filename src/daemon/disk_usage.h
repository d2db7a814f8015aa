// `stratus admin df`: what uses the state dir's disk, by kind (docs/operations.md, "Disk use").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace stratus {

struct DiskUsage {
  struct Kind {
    std::string name;  // store, images, instances, metrics, logs, other
    std::string what;  // the paths it counts, for the reader
    int64_t bytes = 0;
  };
  std::vector<Kind> kinds;
  int64_t filesystem_size = 0;  // of the filesystem holding the state dir
  int64_t filesystem_free = 0;  // available to stratusd
};

// Walks `state_dir` without leaving its filesystem (an instance's mounted root counts as its upper layer only)
// and counting each inode once (layers share files by hard link). Sizes are allocated blocks, as du shows.
Result<DiskUsage> MeasureDiskUsage(const std::string& state_dir);

nlohmann::json ToJson(const DiskUsage& usage);

}  // namespace stratus
