// Volumes (EC2 CreateVolume and friends): block storage that outlives an instance. This header holds the
// record, its EC2 types' limits and the API forms; VolumeService (volume_service.h) holds the rules and
// VolumeHost (volume_host.h) the machinery. docs/volumes.md describes the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tags.h"

namespace stratus {

// EC2's volume states. A volume is `creating` only while its backing file is being made (and after a
// crash in between, until the daemon's recovery settles it), `deleting` while its file is removed.
enum class VolumeState { kCreating, kAvailable, kInUse, kDeleting, kError };
const char* VolumeStateName(VolumeState state);

inline constexpr uint64_t kGiB = 1024ull * 1024 * 1024;

// One attachment (Stratus volumes have at most one, as EBS volumes without Multi-Attach).
struct VolumeAttachment {
  std::string instance_id;
  std::string device;  // "/dev/sdf"
  std::string state;   // "attaching" | "attached" | "detaching"
  std::string attach_time;
  bool delete_on_termination = false;
};

// The last ModifyVolume of a volume (EC2's VolumeModification).
struct VolumeModification {
  std::string state;  // "modifying" | "optimizing" | "completed" | "failed"
  std::string status_message;
  int64_t original_size = 0, target_size = 0;
  std::string original_type, target_type;
  int64_t original_iops = 0, target_iops = 0;
  int64_t original_throughput = 0, target_throughput = 0;
  std::string start_time, end_time;
};

struct Volume {
  std::string volume_id;  // vol-...
  int64_t size_gib = 0;
  std::string volume_type;   // gp3 | io2 | st1
  int64_t iops = 0;          // provisioned (gp3, io2) or the baseline st1 gets; 0 = none
  int64_t throughput = 0;    // MiB/s (gp3 provisioned, st1 baseline; io2 derived from IOPS)
  std::string availability_zone;
  bool encrypted = false;    // stored and reported; see docs/volumes.md
  std::string snapshot_id;   // the snapshot it was created from, "" for an empty volume
  std::string create_time;
  VolumeState state = VolumeState::kCreating;
  std::string client_token;
  std::vector<Tag> tags;
  std::optional<VolumeAttachment> attachment;
  std::optional<VolumeModification> modification;
};

// What CreateVolume asks for. Unset numbers are 0 (the type's defaults apply).
struct CreateVolumeRequest {
  int64_t size_gib = 0;
  std::string volume_type;  // "" = gp3
  int64_t iops = 0;
  int64_t throughput = 0;
  std::string availability_zone;
  bool encrypted = false;
  std::string snapshot_id;
  std::string client_token;
  std::vector<Tag> tags;
};

// What ModifyVolume asks for: the fields to change (unset ones stay).
struct ModifyVolumeRequest {
  std::optional<int64_t> size_gib;
  std::optional<std::string> volume_type;
  std::optional<int64_t> iops;
  std::optional<int64_t> throughput;
};

// The performance a volume of `type` and `size_gib` gets with the requested `iops` and `throughput` (0 =
// the type's default), checked against EC2's limits for that type: InvalidParameterValue (or
// InvalidParameterCombination for a setting the type does not take) with EC2's wording.
struct VolumePerformance {
  int64_t iops = 0;
  int64_t throughput = 0;  // MiB/s
};
Result<VolumePerformance> ResolvePerformance(const std::string& type, int64_t size_gib, int64_t iops,
                                             int64_t throughput);

// The API form of a volume: EC2's Volume shape (VolumeId, Size, VolumeType, Iops, Throughput, State,
// AvailabilityZone, Encrypted, SnapshotId, CreateTime, Attachments, Tags), used by both front ends.
nlohmann::json ToJson(const Volume& v);
// EC2's VolumeModification shape.
nlohmann::json ModificationJson(const Volume& v);

// The store's form (every field, attachment and modification included) and back.
nlohmann::json ToStoreJson(const Volume& v);
Result<Volume> VolumeFromStoreJson(const nlohmann::json& j);

// Parses a create request from EC2's member names (Size, VolumeType, Iops, Throughput, AvailabilityZone,
// Encrypted, SnapshotId, ClientToken, and tags as TagSpecifications with ResourceType volume or as Tags).
// InvalidArgument with InvalidParameterValue for a member of the wrong type.
Result<CreateVolumeRequest> CreateVolumeRequestFromJson(const nlohmann::json& j);
// Parses a modify request (Size, VolumeType, Iops, Throughput).
Result<ModifyVolumeRequest> ModifyVolumeRequestFromJson(const nlohmann::json& j);

// The tags of a create request: TagSpecifications with ResourceType `resource_type` ("volume", "snapshot"), or Tags.
Result<std::vector<Tag>> TagsOfRequest(const nlohmann::json& j, const std::string& resource_type);

// Adds or replaces `add` (by key) in `tags`, then removes the `remove` keys.
void ApplyTagChange(std::vector<Tag>& tags, const std::vector<Tag>& add, const std::vector<std::string>& remove);

// "/dev/sdf" and "/dev/xvdf" (and "sdf", "xvdf") name a data volume's device; returns the name under /dev
// ("sdf", "xvdf") or InvalidParameterValue. Root device names (sda, xvda) are refused.
Result<std::string> DeviceShortName(const std::string& device);

}  // namespace stratus
