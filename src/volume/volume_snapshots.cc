// VolumeService's snapshots: CreateSnapshot, DescribeSnapshots, DeleteSnapshot, CopySnapshot, their tags, and
// how Load() settles the ones a crash interrupted. CreateVolume from a snapshot is in volume_service.cc.
#include <algorithm>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_format.h"
#include "volume/volume_service.h"

namespace stratus {

namespace {

using nlohmann::json;

constexpr char kSnapshotPrefix[] = "snapshots/";

bool AnyOf(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Whether `s` passes one DescribeSnapshots filter; InvalidParameterValue for a name EC2 does not have.
Result<bool> SnapshotMatches(const Snapshot& s, const VolumeFilter& f) {
  const auto& in = f.values;
  if (f.name == "snapshot-id") return AnyOf(in, s.snapshot_id);
  if (f.name == "volume-id") return AnyOf(in, s.volume_id);
  if (f.name == "status") return AnyOf(in, SnapshotStateName(s.state));
  if (f.name == "volume-size") return AnyOf(in, std::to_string(s.volume_size));
  if (f.name == "description") return AnyOf(in, s.description);
  if (f.name == "owner-id") return AnyOf(in, s.owner_id);
  if (f.name == "encrypted") return AnyOf(in, s.encrypted ? "true" : "false");
  if (f.name == "start-time") return AnyOf(in, s.start_time);
  if (f.name == "progress") return AnyOf(in, s.state == SnapshotState::kCompleted ? "100%" : "0%");
  if (f.name == "storage-tier") return AnyOf(in, "standard");
  if (f.name == "tag-key") {
    return std::any_of(s.tags.begin(), s.tags.end(), [&](const Tag& t) { return AnyOf(in, t.key); });
  }
  if (f.name.rfind("tag:", 0) == 0) {
    std::string key = f.name.substr(4);
    return std::any_of(s.tags.begin(), s.tags.end(), [&](const Tag& t) { return t.key == key && AnyOf(in, t.value); });
  }
  return InvalidArgument("The filter '" + f.name + "' is invalid").WithErrorCode("InvalidParameterValue");
}

}  // namespace

Status SnapshotNotFound(const std::vector<std::string>& ids) {
  std::string list;
  bool malformed = false;
  for (const auto& id : ids) {
    list += (list.empty() ? "" : ", ") + id;
    if (!IsValidId(id, "snap")) malformed = true;
  }
  if (malformed) {
    return InvalidArgument("Invalid id: \"" + list + "\" (expecting \"snap-...\")").WithErrorCode("InvalidSnapshotID.Malformed");
  }
  return NotFound("The snapshot '" + list + "' does not exist.").WithErrorCode("InvalidSnapshot.NotFound");
}

Status VolumeService::PersistSnapshot(const Snapshot& s) {
  return store_->Put(kSnapshotPrefix + s.snapshot_id, ToStoreJson(s).dump()).status();
}

Status VolumeService::ForgetSnapshot(const std::string& id) {
  STRATUS_RETURN_IF_ERROR(store_->Delete(kSnapshotPrefix + id));
  snapshots_.erase(id);
  return Status::Ok();
}

Status VolumeService::LoadSnapshots() {
  STRATUS_ASSIGN_OR_RETURN(auto records, store_->List(kSnapshotPrefix));
  STRATUS_ASSIGN_OR_RETURN(auto on_host, host_->ListSnapshots());
  for (const auto& kv : records) {
    json j = json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
    auto s = SnapshotFromStoreJson(j);
    if (!s.ok()) return s.status().WithContext(kv.key);
    snapshots_[s->snapshot_id] = std::move(*s);
  }
  std::vector<std::string> ids;
  for (const auto& [id, s] : snapshots_) ids.push_back(id);
  for (const auto& id : ids) {
    Snapshot& s = snapshots_[id];
    bool has_data = on_host.count(id) > 0;
    if (s.state == SnapshotState::kPending) {
      // The clone is made under a temporary name and renamed when whole and durable: the file is either all
      // there or not at all. Its caller never heard back; a whole clone is kept, a missing one forgotten.
      LogInfo("volume: settling an interrupted snapshot", {{"snapshot", id}, {"kept", has_data ? "yes" : "no"}});
      if (!has_data) {
        STRATUS_RETURN_IF_ERROR(host_->RemoveSnapshot(id));
        STRATUS_RETURN_IF_ERROR(ForgetSnapshot(id));
        continue;
      }
      s.state = SnapshotState::kCompleted;
      STRATUS_RETURN_IF_ERROR(PersistSnapshot(s));
    }
    if (!has_data && s.state != SnapshotState::kError) {
      LogError("volume: snapshot data missing", {{"snapshot", id}});
      s.state = SnapshotState::kError;
      STRATUS_RETURN_IF_ERROR(PersistSnapshot(s));
    }
  }
  for (const auto& id : on_host) {
    if (!snapshots_.count(id)) {
      LogInfo("volume: removing snapshot data no record owns", {{"snapshot", id}});
      STRATUS_RETURN_IF_ERROR(host_->RemoveSnapshot(id));
    }
  }
  return Status::Ok();
}

// Records `s` as pending, has the host make its data with `make`, then records it completed. A failure leaves
// neither record nor data.
Result<Snapshot> VolumeService::MakeSnapshotLocked(Snapshot s, const std::function<Status(const std::string& snapshot_id)>& make) {
  s.snapshot_id = NewId("snap");
  s.start_time = NowIso8601();
  s.owner_id = options_.owner_id;
  s.state = SnapshotState::kPending;
  STRATUS_RETURN_IF_ERROR(PersistSnapshot(s));
  snapshots_[s.snapshot_id] = s;
  Status made = make(s.snapshot_id);
  if (!made.ok()) {
    (void)host_->RemoveSnapshot(s.snapshot_id);
    Status forgotten = ForgetSnapshot(s.snapshot_id);
    if (!forgotten.ok()) LogError("volume: cannot remove the record of a failed snapshot", {{"error", forgotten.ToString()}});
    return made;
  }
  s.state = SnapshotState::kCompleted;
  STRATUS_RETURN_IF_ERROR(PersistSnapshot(s));
  snapshots_[s.snapshot_id] = s;
  return s;
}

Result<Snapshot> VolumeService::CreateSnapshot(const CreateSnapshotRequest& request) {
  if (request.volume_id.empty()) {
    return InvalidArgument("The request must contain the parameter volumeId").WithErrorCode("MissingParameter");
  }
  std::lock_guard lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Volume * v, MustFindLocked(request.volume_id));
  if (v->state != VolumeState::kAvailable && v->state != VolumeState::kInUse) {
    return FailedPrecondition("The volume '" + v->volume_id + "' is " + VolumeStateName(v->state))
        .WithErrorCode("IncorrectState");
  }
  Snapshot s;
  s.volume_id = v->volume_id;
  s.volume_size = v->size_gib;
  s.description = request.description;
  s.encrypted = v->encrypted;
  s.tags = request.tags;
  // Crash-consistent: the clone holds what the volume's block device holds at this instant, as EBS's does
  // (data still cached inside the instance is not on the device yet; `sync` there first to include it).
  return MakeSnapshotLocked(s, [&](const std::string& id) { return host_->Snapshot(s.volume_id, id); });
}

Result<Snapshot> VolumeService::CopySnapshot(const CopySnapshotRequest& request) {
  if (request.source_snapshot_id.empty()) {
    return InvalidArgument("The request must contain the parameter SourceSnapshotId").WithErrorCode("MissingParameter");
  }
  if (!request.source_region.empty() && !options_.region.empty() && request.source_region != options_.region) {
    return InvalidArgument("Stratus copies snapshots within its region " + options_.region + " only, not from " +
                           request.source_region)
        .WithErrorCode("InvalidParameterValue");
  }
  std::lock_guard lock(mu_);
  auto it = snapshots_.find(request.source_snapshot_id);
  if (it == snapshots_.end()) return SnapshotNotFound({request.source_snapshot_id});
  const Snapshot& source = it->second;
  if (source.state != SnapshotState::kCompleted) {
    return FailedPrecondition("Snapshot " + source.snapshot_id + " is " + SnapshotStateName(source.state))
        .WithErrorCode("IncorrectState");
  }
  Snapshot s;
  s.volume_id = "vol-ffffffff";  // what EC2 shows for a copied snapshot
  s.volume_size = source.volume_size;
  s.description = request.description.empty() ? "Copied from " + source.snapshot_id : request.description;
  s.encrypted = source.encrypted;
  s.source_snapshot_id = source.snapshot_id;
  s.tags = request.tags;
  std::string from = source.snapshot_id;
  return MakeSnapshotLocked(s, [&](const std::string& id) { return host_->CopySnapshot(from, id); });
}

Status VolumeService::DeleteSnapshot(const std::string& snapshot_id) {
  if (snapshot_id.empty()) {
    return InvalidArgument("The request must contain the parameter SnapshotId").WithErrorCode("MissingParameter");
  }
  std::lock_guard lock(mu_);
  auto it = snapshots_.find(snapshot_id);
  if (it == snapshots_.end()) return SnapshotNotFound({snapshot_id});
  if (it->second.state == SnapshotState::kPending) {
    return FailedPrecondition("Snapshot " + snapshot_id + " is pending").WithErrorCode("IncorrectState");
  }
  // The record goes first: a crash before the data is removed leaves data no record owns, which Load() removes.
  // Volumes restored from it are clones that own their blocks as much as it does: they are not touched.
  STRATUS_RETURN_IF_ERROR(ForgetSnapshot(snapshot_id));
  return host_->RemoveSnapshot(snapshot_id);
}

Result<std::vector<Snapshot>> VolumeService::DescribeSnapshots(const std::vector<std::string>& ids,
                                                               const std::vector<std::string>& owner_ids,
                                                               const std::vector<VolumeFilter>& filters) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!snapshots_.count(id)) missing.push_back(id);
  }
  if (!missing.empty()) return SnapshotNotFound(missing);
  // Every snapshot here is the caller's own: OwnerIds "self" or this account keep them, any other owner none.
  bool others_only = !owner_ids.empty() && !AnyOf(owner_ids, "self") && !AnyOf(owner_ids, options_.owner_id);
  std::vector<Snapshot> out;
  if (others_only) return out;
  for (const auto& [id, s] : snapshots_) {
    if (!ids.empty() && !AnyOf(ids, id)) continue;
    bool keep = true;
    for (const auto& f : filters) {
      STRATUS_ASSIGN_OR_RETURN(bool m, SnapshotMatches(s, f));
      keep = keep && m;
    }
    if (keep) out.push_back(s);
  }
  return out;
}

Result<Snapshot> VolumeService::GetSnapshot(const std::string& snapshot_id) const {
  std::lock_guard lock(mu_);
  auto it = snapshots_.find(snapshot_id);
  if (it == snapshots_.end()) return SnapshotNotFound({snapshot_id});
  return it->second;
}

Result<Snapshot> VolumeService::ChangeSnapshotTags(const std::string& snapshot_id, const std::vector<Tag>& add,
                                                   const std::vector<std::string>& remove) {
  std::lock_guard lock(mu_);
  auto it = snapshots_.find(snapshot_id);
  if (it == snapshots_.end()) return SnapshotNotFound({snapshot_id});
  Snapshot s = it->second;
  ApplyTagChange(s.tags, add, remove);
  STRATUS_RETURN_IF_ERROR(PersistSnapshot(s));
  it->second = s;
  return s;
}

}  // namespace stratus
