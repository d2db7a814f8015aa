#include "volume/volume_service.h"

#include <algorithm>
#include <optional>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_format.h"

namespace stratus {

namespace {

using nlohmann::json;

constexpr char kPrefix[] = "volumes/";

Status BadValue(const std::string& message) { return InvalidArgument(message).WithErrorCode("InvalidParameterValue"); }

bool AnyOf(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Whether `v` passes one filter; InvalidParameterValue for a filter name EC2 does not have for volumes.
Result<bool> Matches(const Volume& v, const VolumeFilter& f) {
  const auto& in = f.values;
  const VolumeAttachment* a = v.attachment ? &*v.attachment : nullptr;
  if (f.name == "volume-id") return AnyOf(in, v.volume_id);
  if (f.name == "status") return AnyOf(in, VolumeStateName(v.state));
  if (f.name == "size") return AnyOf(in, std::to_string(v.size_gib));
  if (f.name == "volume-type") return AnyOf(in, v.volume_type);
  if (f.name == "availability-zone") return AnyOf(in, v.availability_zone);
  if (f.name == "encrypted") return AnyOf(in, v.encrypted ? "true" : "false");
  if (f.name == "snapshot-id") return AnyOf(in, v.snapshot_id);
  if (f.name == "create-time") return AnyOf(in, v.create_time);
  if (f.name == "multi-attach-enabled") return AnyOf(in, "false");
  if (f.name == "attachment.instance-id") return a != nullptr && AnyOf(in, a->instance_id);
  if (f.name == "attachment.device") return a != nullptr && AnyOf(in, a->device);
  if (f.name == "attachment.status") return a != nullptr && AnyOf(in, a->state);
  if (f.name == "attachment.attach-time") return a != nullptr && AnyOf(in, a->attach_time);
  if (f.name == "attachment.delete-on-termination") {
    return a != nullptr && AnyOf(in, a->delete_on_termination ? "true" : "false");
  }
  if (f.name == "tag-key") {
    return std::any_of(v.tags.begin(), v.tags.end(), [&](const Tag& t) { return AnyOf(in, t.key); });
  }
  if (f.name.rfind("tag:", 0) == 0) {
    std::string key = f.name.substr(4);
    return std::any_of(v.tags.begin(), v.tags.end(), [&](const Tag& t) { return t.key == key && AnyOf(in, t.value); });
  }
  return BadValue("The filter '" + f.name + "' is invalid");
}

// The device's name under /dev ("sdf"), or the text itself when it is not a device name.
std::string ShortName(const std::string& device) {
  auto name = DeviceShortName(device);
  return name.ok() ? *name : device;
}

uint64_t Bytes(int64_t gib) { return static_cast<uint64_t>(gib) * kGiB; }

Status VolumeInUse(const Volume& v) {
  std::string where = v.attachment ? " to " + v.attachment->instance_id : "";
  return FailedPrecondition("Volume " + v.volume_id + " is already attached" + where + " (" +
                            (v.attachment ? v.attachment->state : std::string("in-use")) + ")")
      .WithErrorCode("VolumeInUse");
}

}  // namespace

Status VolumeNotFound(const std::vector<std::string>& ids) {
  std::string list;
  bool malformed = false;
  for (const auto& id : ids) {
    list += (list.empty() ? "" : ", ") + id;
    if (!IsValidId(id, "vol")) malformed = true;
  }
  if (malformed) return BadValue("Invalid id: \"" + list + "\"").WithErrorCode("InvalidVolumeID.Malformed");
  return NotFound("The volume '" + list + "' does not exist.").WithErrorCode("InvalidVolume.NotFound");
}

VolumeService::VolumeService(Store* store, VolumeHost* host, VolumeServiceOptions options)
    : store_(store), host_(host), options_(std::move(options)) {}

Status VolumeService::Persist(const Volume& v) {
  return store_->Put(kPrefix + v.volume_id, ToStoreJson(v).dump()).status();
}

Status VolumeService::Forget(const std::string& id) {
  STRATUS_RETURN_IF_ERROR(store_->Delete(kPrefix + id));
  volumes_.erase(id);
  return Status::Ok();
}

const Volume* VolumeService::FindLocked(const std::string& id) const {
  auto it = volumes_.find(id);
  return it == volumes_.end() ? nullptr : &it->second;
}

Result<Volume*> VolumeService::MustFindLocked(const std::string& id) {
  auto it = volumes_.find(id);
  if (it == volumes_.end()) return VolumeNotFound({id});
  return &it->second;
}

Status VolumeService::Load() {
  STRATUS_ASSIGN_OR_RETURN(auto records, store_->List(kPrefix));
  STRATUS_ASSIGN_OR_RETURN(auto on_host, host_->List());
  std::lock_guard lock(mu_);
  STRATUS_RETURN_IF_ERROR(LoadSnapshots());
  for (const auto& kv : records) {
    json j = json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
    auto v = VolumeFromStoreJson(j);
    if (!v.ok()) return v.status().WithContext(kv.key);
    volumes_[v->volume_id] = std::move(*v);
  }
  std::vector<std::string> ids;
  for (const auto& [id, v] : volumes_) ids.push_back(id);
  for (const auto& id : ids) {
    Volume& v = volumes_[id];
    bool has_data = on_host.count(id) > 0;
    // A create or delete the daemon did not finish: settle it one way, from what the host has.
    if (v.state == VolumeState::kDeleting || (v.state == VolumeState::kCreating && !has_data)) {
      LogInfo("volume: finishing an interrupted create or delete", {{"volume", id}, {"state", VolumeStateName(v.state)}});
      STRATUS_RETURN_IF_ERROR(host_->Remove(id));
      STRATUS_RETURN_IF_ERROR(Forget(id));
      continue;
    }
    if (v.state == VolumeState::kCreating) {
      v.state = VolumeState::kAvailable;
      STRATUS_RETURN_IF_ERROR(Persist(v));
    }
    if (!has_data && v.state != VolumeState::kError) {
      LogError("volume: backing store missing", {{"volume", id}});
      v.state = VolumeState::kError;
      STRATUS_RETURN_IF_ERROR(Persist(v));
    }
    if (has_data) STRATUS_RETURN_IF_ERROR(SettleAttachment(v));
  }
  for (const auto& id : on_host) {
    if (!volumes_.count(id)) {
      LogInfo("volume: removing a backing store no record owns", {{"volume", id}});
      STRATUS_RETURN_IF_ERROR(host_->Remove(id));
    }
  }
  return Status::Ok();
}

Result<Volume> VolumeService::Create(const CreateVolumeRequest& request) {
  Volume v;
  v.volume_type = request.volume_type.empty() ? "gp3" : request.volume_type;
  v.availability_zone = request.availability_zone;
  if (v.availability_zone.empty()) {
    if (options_.zones.empty()) return Internal("the volume service has no availability zone");
    v.availability_zone = options_.zones.front();
  } else if (!AnyOf(options_.zones, v.availability_zone)) {
    return InvalidArgument("The zone '" + v.availability_zone + "' does not exist.").WithErrorCode("InvalidZone.NotFound");
  }
  if (request.size_gib == 0 && request.snapshot_id.empty()) {
    return InvalidArgument("The request must contain the parameter size or snapshotId").WithErrorCode("MissingParameter");
  }
  v.size_gib = request.size_gib;
  v.encrypted = request.encrypted;
  v.client_token = request.client_token;
  v.tags = request.tags;

  std::lock_guard lock(mu_);
  if (!request.snapshot_id.empty()) {
    // From a snapshot: its size unless a larger one is asked for; encrypted when it is.
    auto it = snapshots_.find(request.snapshot_id);
    if (it == snapshots_.end()) return SnapshotNotFound({request.snapshot_id});
    const Snapshot& snap = it->second;
    if (snap.state != SnapshotState::kCompleted) {
      return FailedPrecondition("Snapshot " + snap.snapshot_id + " is " + SnapshotStateName(snap.state))
          .WithErrorCode("IncorrectState");
    }
    if (v.size_gib == 0) v.size_gib = snap.volume_size;
    if (v.size_gib < snap.volume_size) {
      return BadValue("Volume of " + std::to_string(v.size_gib) + "GiB is smaller than snapshot '" + snap.snapshot_id +
                      "', expect size >= " + std::to_string(snap.volume_size) + "GiB");
    }
    v.snapshot_id = snap.snapshot_id;
    v.encrypted = v.encrypted || snap.encrypted;
  }
  STRATUS_ASSIGN_OR_RETURN(VolumePerformance perf,
                           ResolvePerformance(v.volume_type, v.size_gib, request.iops, request.throughput));
  v.iops = perf.iops;
  v.throughput = perf.throughput;
  if (!v.client_token.empty()) {
    for (const auto& [id, existing] : volumes_) {
      if (existing.client_token != v.client_token) continue;
      bool same = existing.size_gib == v.size_gib && existing.volume_type == v.volume_type &&
                  existing.availability_zone == v.availability_zone && existing.encrypted == v.encrypted &&
                  existing.snapshot_id == v.snapshot_id;
      if (!same) {
        return InvalidArgument("Client token " + v.client_token + " was used for a different CreateVolume request")
            .WithErrorCode("IdempotentParameterMismatch");
      }
      return existing;
    }
  }
  v.volume_id = NewId("vol");
  v.create_time = NowIso8601();
  v.state = VolumeState::kCreating;
  // The record first: a crash before the host finishes leaves a `creating` record Load() settles, never an
  // unowned file that holds data.
  STRATUS_RETURN_IF_ERROR(Persist(v));
  volumes_[v.volume_id] = v;
  Status made = v.snapshot_id.empty() ? host_->Create(v.volume_id, Bytes(v.size_gib))
                                      : host_->CreateFromSnapshot(v.volume_id, v.snapshot_id, Bytes(v.size_gib));
  if (!made.ok()) {
    (void)host_->Remove(v.volume_id);
    Status forgotten = Forget(v.volume_id);
    if (!forgotten.ok()) LogError("volume: cannot remove the record of a failed create", {{"error", forgotten.ToString()}});
    return made;
  }
  v.state = VolumeState::kAvailable;
  STRATUS_RETURN_IF_ERROR(Persist(v));
  volumes_[v.volume_id] = v;
  return v;
}

Status VolumeService::Delete(const std::string& volume_id) {
  std::lock_guard lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Volume * v, MustFindLocked(volume_id));
  if (v->attachment || v->state == VolumeState::kInUse) {
    return FailedPrecondition("Volume " + volume_id + " is currently attached to " +
                              (v->attachment ? v->attachment->instance_id : std::string("an instance")))
        .WithErrorCode("VolumeInUse");
  }
  if (v->state == VolumeState::kCreating) {
    return FailedPrecondition("The volume '" + volume_id + "' is still being created").WithErrorCode("IncorrectState");
  }
  v->state = VolumeState::kDeleting;
  STRATUS_RETURN_IF_ERROR(Persist(*v));
  STRATUS_RETURN_IF_ERROR(host_->Remove(volume_id));
  return Forget(volume_id);
}

Result<std::vector<Volume>> VolumeService::Describe(const std::vector<std::string>& ids,
                                                    const std::vector<VolumeFilter>& filters) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!FindLocked(id)) missing.push_back(id);
  }
  if (!missing.empty()) return VolumeNotFound(missing);
  std::vector<Volume> out;
  for (const auto& [id, v] : volumes_) {
    if (!ids.empty() && !AnyOf(ids, id)) continue;
    bool keep = true;
    for (const auto& f : filters) {
      STRATUS_ASSIGN_OR_RETURN(bool m, Matches(v, f));
      keep = keep && m;
    }
    if (keep) out.push_back(v);
  }
  return out;
}

Result<Volume> VolumeService::Get(const std::string& volume_id) const {
  std::lock_guard lock(mu_);
  const Volume* v = FindLocked(volume_id);
  if (!v) return VolumeNotFound({volume_id});
  return *v;
}

Result<Volume> VolumeService::Modify(const std::string& volume_id, const ModifyVolumeRequest& request) {
  std::lock_guard lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Volume * found, MustFindLocked(volume_id));
  if (found->state != VolumeState::kAvailable && found->state != VolumeState::kInUse) {
    return FailedPrecondition("The volume '" + volume_id + "' is " + VolumeStateName(found->state))
        .WithErrorCode("IncorrectState");
  }
  if (!request.size_gib && !request.volume_type && !request.iops && !request.throughput) {
    return InvalidArgument("The request must change at least one of size, volumeType, iops or throughput")
        .WithErrorCode("MissingParameter");
  }
  Volume v = *found;
  int64_t size = request.size_gib.value_or(v.size_gib);
  if (size < v.size_gib) {
    return BadValue("New size cannot be smaller than existing size of " + std::to_string(v.size_gib) + "GiB.");
  }
  std::string type = request.volume_type.value_or(v.volume_type);
  // A type change starts from the new type's defaults unless the request sets the figures too.
  bool same_type = type == v.volume_type;
  int64_t iops = request.iops.value_or(same_type && type != "st1" ? v.iops : 0);
  int64_t throughput = request.throughput.value_or(same_type && type == "gp3" ? v.throughput : 0);
  STRATUS_ASSIGN_OR_RETURN(VolumePerformance perf, ResolvePerformance(type, size, iops, throughput));
  if (size > v.size_gib) {
    // Mounted in a running instance, the filesystem grows there at once; otherwise the host grows it when it
    // next mounts the volume.
    std::optional<VolumeMount> mounted;
    if (v.attachment && v.attachment->state == "attached" && InstanceRunning(v.attachment->instance_id)) {
      mounted = MountOf(v);
    }
    STRATUS_RETURN_IF_ERROR(host_->Grow(volume_id, Bytes(size), mounted ? &*mounted : nullptr));
  }
  VolumeModification m{"completed", "", v.size_gib, size, v.volume_type, type, v.iops, perf.iops,
                       v.throughput, perf.throughput, NowIso8601(), NowIso8601()};
  v.size_gib = size;
  v.volume_type = type;
  v.iops = perf.iops;
  v.throughput = perf.throughput;
  v.modification = m;
  STRATUS_RETURN_IF_ERROR(Persist(v));
  *found = v;
  return v;
}

VolumeMount VolumeService::MountOf(const Volume& v) {
  VolumeMount m;
  m.volume_id = v.volume_id;
  if (v.attachment) {
    m.instance_id = v.attachment->instance_id;
    m.device = ShortName(v.attachment->device);
  }
  m.iops = v.iops;
  m.throughput_mib = v.throughput;
  return m;
}

bool VolumeService::InstanceRunning(const std::string& instance_id) const {
  if (!options_.find_instance) return false;
  auto inst = options_.find_instance(instance_id);
  return inst.ok() && inst->state == "running";
}

Status VolumeService::SetAttachment(Volume& v, const std::string& state) {
  Volume next = v;
  if (state.empty()) {
    next.attachment.reset();
    next.state = VolumeState::kAvailable;
  } else {
    next.attachment->state = state;
    next.state = VolumeState::kInUse;
  }
  STRATUS_RETURN_IF_ERROR(Persist(next));
  v = next;
  return Status::Ok();
}

Result<Volume> VolumeService::Attach(const std::string& volume_id, const std::string& instance_id,
                                     const std::string& device) {
  STRATUS_ASSIGN_OR_RETURN(std::string short_name, DeviceShortName(device));
  if (!options_.find_instance) return FailedPrecondition("this volume service cannot attach volumes");
  if (instance_id.empty()) {
    return InvalidArgument("The request must contain the parameter InstanceId").WithErrorCode("MissingParameter");
  }
  STRATUS_ASSIGN_OR_RETURN(VolumeInstance inst, options_.find_instance(instance_id));
  VolumeMount mount;
  {
    std::lock_guard lock(mu_);
    STRATUS_ASSIGN_OR_RETURN(Volume * v, MustFindLocked(volume_id));
    if (v->attachment || v->state == VolumeState::kInUse) return VolumeInUse(*v);
    if (v->state != VolumeState::kAvailable) {
      return FailedPrecondition("The volume '" + volume_id + "' is " + VolumeStateName(v->state))
          .WithErrorCode("IncorrectState");
    }
    if (v->availability_zone != inst.availability_zone) {
      return InvalidArgument("The volume '" + volume_id + "' is not in the same availability zone as instance '" +
                             instance_id + "' (" + v->availability_zone + " and " + inst.availability_zone + ")")
          .WithErrorCode("InvalidVolume.ZoneMismatch");
    }
    if (inst.state != "running" && inst.state != "stopped") {
      return FailedPrecondition("The instance '" + instance_id + "' is not 'running' or 'stopped' (it is " +
                                inst.state + ")")
          .WithErrorCode("IncorrectInstanceState");
    }
    for (const auto& [id, other] : volumes_) {
      if (other.attachment && other.attachment->instance_id == instance_id &&
          ShortName(other.attachment->device) == short_name) {
        return BadValue("Invalid value '" + device + "' for unixDevice. Attachment point /dev/" + short_name +
                        " is already in use by " + id);
      }
    }
    Volume next = *v;
    next.attachment = VolumeAttachment{instance_id, "/dev/" + short_name, "attaching", NowIso8601(), false};
    next.state = VolumeState::kInUse;
    STRATUS_RETURN_IF_ERROR(Persist(next));
    *v = next;
    mount = MountOf(next);
  }
  // The mount runs without the service's lock: formatting a new volume takes a moment. The record says
  // attaching meanwhile, which every other call respects.
  Status mounted = inst.state == "running" ? host_->Attach(mount) : Status::Ok();
  std::lock_guard lock(mu_);
  Volume& v = volumes_[volume_id];
  if (!mounted.ok()) {
    Status undone = SetAttachment(v, "");
    if (!undone.ok()) LogError("volume: cannot record an undone attach", {{"volume", volume_id}, {"error", undone.ToString()}});
    return mounted;
  }
  STRATUS_RETURN_IF_ERROR(SetAttachment(v, "attached"));
  return v;
}

Result<Volume> VolumeService::Detach(const std::string& volume_id, const std::string& instance_id,
                                     const std::string& device, bool force) {
  VolumeMount mount;
  {
    std::lock_guard lock(mu_);
    STRATUS_ASSIGN_OR_RETURN(Volume * v, MustFindLocked(volume_id));
    if (!v->attachment) {
      return FailedPrecondition("Volume '" + volume_id + "' is in the '" + VolumeStateName(v->state) + "' state.")
          .WithErrorCode("IncorrectState");
    }
    bool other_instance = !instance_id.empty() && instance_id != v->attachment->instance_id;
    bool other_device = !device.empty() && ShortName(device) !=
                                               ShortName(v->attachment->device);
    if (other_instance || other_device) {
      return NotFound("No attachment of volume " + volume_id + (instance_id.empty() ? "" : " to " + instance_id) +
                      (device.empty() ? "" : " at " + device) + " exists")
          .WithErrorCode("InvalidAttachment.NotFound");
    }
    if (v->attachment->state != "attached") {
      return FailedPrecondition("Volume '" + volume_id + "' is " + v->attachment->state).WithErrorCode("IncorrectState");
    }
    STRATUS_RETURN_IF_ERROR(SetAttachment(*v, "detaching"));
    mount = MountOf(*v);
  }
  Status unmounted = host_->Detach(mount, force);
  std::lock_guard lock(mu_);
  Volume& v = volumes_[volume_id];
  if (!unmounted.ok()) {
    Status back = SetAttachment(v, "attached");
    if (!back.ok()) LogError("volume: cannot record a refused detach", {{"volume", volume_id}, {"error", back.ToString()}});
    return unmounted;
  }
  Volume answer = v;
  STRATUS_RETURN_IF_ERROR(SetAttachment(v, ""));
  answer.attachment->state = "detached";
  answer.state = VolumeState::kAvailable;
  return answer;
}

void VolumeService::OnInstanceRunning(const std::string& instance_id) {
  std::vector<VolumeMount> mounts;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, v] : volumes_) {
      if (v.attachment && v.attachment->instance_id == instance_id && v.attachment->state == "attached") {
        mounts.push_back(MountOf(v));
      }
    }
  }
  for (const auto& m : mounts) {
    auto mounted = host_->IsMounted(m);
    if (mounted.ok() && *mounted) continue;
    Status st = host_->Attach(m);
    if (!st.ok()) LogError("volume: cannot mount in the instance", {{"volume", m.volume_id}, {"instance", instance_id}, {"error", st.ToString()}});
  }
}

void VolumeService::OnInstanceTerminated(const std::string& instance_id) {
  std::vector<std::string> to_delete;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, v] : volumes_) {
      if (!v.attachment || v.attachment->instance_id != instance_id) continue;
      bool remove = v.attachment->delete_on_termination;
      (void)host_->Detach(MountOf(v), /*force=*/true);  // the instance's namespace is gone or going
      Status st = SetAttachment(v, "");
      if (!st.ok()) LogError("volume: cannot record a detach at termination", {{"volume", id}, {"error", st.ToString()}});
      if (remove) to_delete.push_back(id);
    }
  }
  for (const auto& id : to_delete) {
    Status st = Delete(id);
    if (!st.ok()) LogError("volume: cannot delete on termination", {{"volume", id}, {"error", st.ToString()}});
  }
}

Status VolumeService::SettleAttachment(Volume& v) {
  if (!v.attachment) return Status::Ok();
  VolumeMount m = MountOf(v);
  const std::string state = v.attachment->state;
  auto mounted = host_->IsMounted(m);
  bool is_mounted = mounted.ok() && *mounted;
  if (state == "attaching") return SetAttachment(v, is_mounted ? "attached" : "");
  if (state == "detaching") {
    // The caller never heard back: finish the detach it asked for, or leave the volume attached if it cannot.
    return SetAttachment(v, host_->Detach(m, /*force=*/false).ok() ? "" : "attached");
  }
  if (!is_mounted && InstanceRunning(m.instance_id)) {
    Status st = host_->Attach(m);
    if (!st.ok()) LogError("volume: cannot mount in the instance", {{"volume", v.volume_id}, {"error", st.ToString()}});
  }
  return Status::Ok();
}

std::vector<std::string> VolumeService::DevicesOf(const std::string& instance_id) const {
  std::vector<std::pair<std::string, std::string>> found;  // attach time, device
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, v] : volumes_) {
      if (v.attachment && v.attachment->instance_id == instance_id && v.attachment->state == "attached") {
        found.emplace_back(v.attachment->attach_time + id, ShortName(v.attachment->device));
      }
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

Result<std::vector<Volume>> VolumeService::DescribeModifications(const std::vector<std::string>& ids) const {
  STRATUS_ASSIGN_OR_RETURN(auto volumes, Describe(ids, {}));
  std::vector<Volume> out;
  for (auto& v : volumes) {
    if (v.modification) out.push_back(std::move(v));
  }
  return out;
}

Result<Volume> VolumeService::ChangeTags(const std::string& volume_id, const std::vector<Tag>& add,
                                         const std::vector<std::string>& remove) {
  std::lock_guard lock(mu_);
  STRATUS_ASSIGN_OR_RETURN(Volume * found, MustFindLocked(volume_id));
  Volume v = *found;
  ApplyTagChange(v.tags, add, remove);
  STRATUS_RETURN_IF_ERROR(Persist(v));
  *found = v;
  return v;
}

}  // namespace stratus
