// Snapshots (EC2 CreateSnapshot and friends): a point-in-time copy of a volume that new volumes are made from.
// This header holds the record and its API forms; VolumeService holds the rules, VolumeHost the data (a
// reflink clone of the volume's file in the volume pool, volume_pool.h). docs/volumes.md describes the model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"

namespace stratus {

// EC2's snapshot states. `pending` only while the clone is being made (and after a crash in between, until
// the daemon's recovery settles it): a reflink clone completes within the call.
enum class SnapshotState { kPending, kCompleted, kError };
const char* SnapshotStateName(SnapshotState state);

struct Snapshot {
  std::string snapshot_id;  // snap-...
  std::string volume_id;    // the volume it was taken of ("vol-ffffffff" for a copy, as EC2 shows it)
  int64_t volume_size = 0;  // GiB
  std::string description;
  std::string start_time;
  SnapshotState state = SnapshotState::kPending;
  bool encrypted = false;
  std::string source_snapshot_id;  // a CopySnapshot's source
  std::string owner_id;            // the account (EC2's OwnerId)
  std::vector<Tag> tags;
};

struct CreateSnapshotRequest {
  std::string volume_id;
  std::string description;
  std::vector<Tag> tags;
};

struct CopySnapshotRequest {
  std::string source_snapshot_id;
  std::string source_region;  // must be this region when given
  std::string description;
  std::vector<Tag> tags;
};

// EC2's Snapshot shape (SnapshotId, VolumeId, VolumeSize, State, Progress, StartTime, Description, Encrypted,
// OwnerId, StorageTier, Tags), used by both front ends.
nlohmann::json ToJson(const Snapshot& s);
nlohmann::json ToStoreJson(const Snapshot& s);
Result<Snapshot> SnapshotFromStoreJson(const nlohmann::json& j);

// Parse requests from EC2's member names (VolumeId, Description, tags as TagSpecifications with ResourceType
// snapshot or as Tags; SourceSnapshotId, SourceRegion). InvalidParameterValue for a member of the wrong type.
Result<CreateSnapshotRequest> CreateSnapshotRequestFromJson(const nlohmann::json& j);
Result<CopySnapshotRequest> CopySnapshotRequestFromJson(const nlohmann::json& j);

}  // namespace stratus
