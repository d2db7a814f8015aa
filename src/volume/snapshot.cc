#include "volume/snapshot.h"

#include "common/json_field.h"
#include "volume/volume.h"

namespace stratus {

using nlohmann::json;

namespace {

constexpr char kBadValue[] = "InvalidParameterValue";

SnapshotState SnapshotStateFromName(const std::string& name) {
  if (name == "pending") return SnapshotState::kPending;
  if (name == "completed") return SnapshotState::kCompleted;
  return SnapshotState::kError;
}

}  // namespace

const char* SnapshotStateName(SnapshotState state) {
  switch (state) {
    case SnapshotState::kPending: return "pending";
    case SnapshotState::kCompleted: return "completed";
    case SnapshotState::kError: return "error";
  }
  return "error";
}

json ToJson(const Snapshot& s) {
  json j = {{"SnapshotId", s.snapshot_id},
            {"VolumeId", s.volume_id},
            {"VolumeSize", s.volume_size},
            {"State", SnapshotStateName(s.state)},
            {"Progress", s.state == SnapshotState::kCompleted ? "100%" : "0%"},
            {"StartTime", s.start_time},
            {"Description", s.description},
            {"Encrypted", s.encrypted},
            {"OwnerId", s.owner_id},
            {"StorageTier", "standard"},
            {"Tags", TagsToJson(s.tags)}};
  return j;
}

json ToStoreJson(const Snapshot& s) {
  json j = ToJson(s);
  j["SourceSnapshotId"] = s.source_snapshot_id;
  return j;
}

Result<Snapshot> SnapshotFromStoreJson(const json& j) {
  Snapshot s;
  try {
    s.snapshot_id = j.at("SnapshotId").get<std::string>();
    s.volume_id = j.value("VolumeId", "");
    s.volume_size = j.at("VolumeSize").get<int64_t>();
    s.state = SnapshotStateFromName(j.value("State", ""));
    s.start_time = j.value("StartTime", "");
    s.description = j.value("Description", "");
    s.encrypted = j.value("Encrypted", false);
    s.source_snapshot_id = j.value("SourceSnapshotId", "");
    s.owner_id = j.value("OwnerId", "");
    auto tags = TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false);
    if (!tags.ok()) return tags.status();
    s.tags = *tags;
  } catch (const json::exception& e) {
    return Internal(std::string("snapshot record: ") + e.what());
  }
  return s;
}

Result<CreateSnapshotRequest> CreateSnapshotRequestFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("the request must be an object").WithErrorCode(kBadValue);
  CreateSnapshotRequest r;
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "VolumeId", r.volume_id, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Description", r.description, kBadValue));
  STRATUS_ASSIGN_OR_RETURN(r.tags, TagsOfRequest(j, "snapshot"));
  return r;
}

Result<CopySnapshotRequest> CopySnapshotRequestFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("the request must be an object").WithErrorCode(kBadValue);
  CopySnapshotRequest r;
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "SourceSnapshotId", r.source_snapshot_id, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "SourceRegion", r.source_region, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Description", r.description, kBadValue));
  STRATUS_ASSIGN_OR_RETURN(r.tags, TagsOfRequest(j, "snapshot"));
  return r;
}

}  // namespace stratus
