#include "volume/volume.h"

#include <algorithm>

#include "common/json_field.h"

namespace stratus {

using nlohmann::json;

namespace {

constexpr char kBadValue[] = "InvalidParameterValue";

Status BadValue(const std::string& message) { return InvalidArgument(message).WithErrorCode(kBadValue); }

Status NotForType(const std::string& param, const std::string& type) {
  return InvalidArgument("The parameter " + param + " is not supported for " + type + " volumes.")
      .WithErrorCode("InvalidParameterCombination");
}

// EC2's size limits of a volume type, GiB.
struct SizeRange {
  int64_t min, max;
};

Result<SizeRange> SizeRangeOf(const std::string& type) {
  if (type == "gp3") return SizeRange{1, 16384};
  if (type == "io2") return SizeRange{4, 16384};
  if (type == "st1") return SizeRange{125, 16384};
  return BadValue("The volume type " + type + " is not one Stratus offers: gp3, io2 or st1.");
}

VolumeState StateFromName(const std::string& name) {
  for (auto s : {VolumeState::kCreating, VolumeState::kAvailable, VolumeState::kInUse, VolumeState::kDeleting}) {
    if (name == VolumeStateName(s)) return s;
  }
  return VolumeState::kError;
}

}  // namespace

Result<std::vector<Tag>> TagsOfRequest(const json& j, const std::string& resource_type) {
  std::vector<Tag> out;
  for (const auto& spec : j.value("TagSpecifications", json::array())) {
    if (!spec.is_object() || spec.value("ResourceType", resource_type) != resource_type) continue;
    auto tags = TagsFromJson(spec.value("Tags", json::array()));
    if (!tags.ok()) return tags.status().WithErrorCode(kBadValue);
    out.insert(out.end(), tags->begin(), tags->end());
  }
  if (j.contains("Tags")) {
    auto tags = TagsFromJson(j["Tags"]);
    if (!tags.ok()) return tags.status().WithErrorCode(kBadValue);
    out.insert(out.end(), tags->begin(), tags->end());
  }
  return out;
}

void ApplyTagChange(std::vector<Tag>& tags, const std::vector<Tag>& add, const std::vector<std::string>& remove) {
  for (const auto& t : add) {
    auto it = std::find_if(tags.begin(), tags.end(), [&](const Tag& x) { return x.key == t.key; });
    if (it != tags.end()) {
      it->value = t.value;
    } else {
      tags.push_back(t);
    }
  }
  for (const auto& key : remove) {
    tags.erase(std::remove_if(tags.begin(), tags.end(), [&](const Tag& x) { return x.key == key; }), tags.end());
  }
}

const char* VolumeStateName(VolumeState state) {
  switch (state) {
    case VolumeState::kCreating: return "creating";
    case VolumeState::kAvailable: return "available";
    case VolumeState::kInUse: return "in-use";
    case VolumeState::kDeleting: return "deleting";
    case VolumeState::kError: return "error";
  }
  return "error";
}

Result<VolumePerformance> ResolvePerformance(const std::string& type, int64_t size_gib, int64_t iops,
                                             int64_t throughput) {
  STRATUS_ASSIGN_OR_RETURN(SizeRange range, SizeRangeOf(type));
  if (size_gib < range.min) {
    return BadValue("Volume of size " + std::to_string(size_gib) + "GiB is smaller than the minimum size of " +
                    std::to_string(range.min) + "GiB for " + type + " volumes.");
  }
  if (size_gib > range.max) {
    return BadValue("Volume of " + std::to_string(size_gib) + "GiB is too large; maximum is " +
                    std::to_string(range.max) + "GiB.");
  }
  VolumePerformance p;
  if (type == "gp3") {
    // gp3: 3000 IOPS and 125 MiB/s included; up to 16000 IOPS (500 per GiB) and 1000 MiB/s (0.25 per IOPS).
    p.iops = iops ? iops : 3000;
    p.throughput = throughput ? throughput : 125;
    if (p.iops < 3000 || p.iops > 16000) return BadValue("Iops must be between 3000 and 16000 for gp3 volumes.");
    if (p.iops > 3000 && p.iops > 500 * size_gib) {
      return BadValue("Iops to volume size ratio of " + std::to_string(p.iops / size_gib) +
                      " is too high; maximum is 500.");
    }
    if (p.throughput < 125 || p.throughput > 1000) {
      return BadValue("Throughput must be between 125 and 1000 MiB/s for gp3 volumes.");
    }
    if (p.throughput * 4 > p.iops) {
      return BadValue("Throughput (MiBps) to iops ratio of " + std::to_string(double(p.throughput) / double(p.iops)) +
                      " is too high; maximum is 0.25 MiBps per iops.");
    }
  } else if (type == "io2") {
    // io2: provisioned IOPS (100 to 64000, 500 per GiB); throughput follows, 0.25 MiB/s per IOPS up to 1000.
    if (throughput) return NotForType("throughput", type);
    if (!iops) return InvalidArgument("The parameter iops must be specified for io2 volumes.").WithErrorCode("MissingParameter");
    if (iops < 100 || iops > 64000) return BadValue("Iops must be between 100 and 64000 for io2 volumes.");
    if (iops > 500 * size_gib) {
      return BadValue("Iops to volume size ratio of " + std::to_string(iops / size_gib) + " is too high; maximum is 500.");
    }
    p.iops = iops;
    p.throughput = std::min<int64_t>(1000, iops / 4);
  } else {
    // st1: throughput-optimized HDD, 40 MiB/s per TiB baseline up to 500; no IOPS setting. Its IOPS figure is
    // what 1 MiB sequential I/O reaches at the baseline.
    if (iops) return NotForType("iops", type);
    if (throughput) return NotForType("throughput", type);
    p.throughput = std::min<int64_t>(500, std::max<int64_t>(1, size_gib * 40 / 1024));
    p.iops = p.throughput;
  }
  return p;
}

json ToJson(const Volume& v) {
  json attachments = json::array();
  if (v.attachment) {
    attachments.push_back({{"VolumeId", v.volume_id},
                           {"InstanceId", v.attachment->instance_id},
                           {"Device", v.attachment->device},
                           {"State", v.attachment->state},
                           {"AttachTime", v.attachment->attach_time},
                           {"DeleteOnTermination", v.attachment->delete_on_termination}});
  }
  json j = {{"VolumeId", v.volume_id},
            {"Size", v.size_gib},
            {"VolumeType", v.volume_type},
            {"Iops", v.iops},
            {"Throughput", v.throughput},
            {"State", VolumeStateName(v.state)},
            {"AvailabilityZone", v.availability_zone},
            {"Encrypted", v.encrypted},
            {"CreateTime", v.create_time},
            {"MultiAttachEnabled", false},
            {"Attachments", attachments},
            {"Tags", TagsToJson(v.tags)}};
  if (!v.snapshot_id.empty()) j["SnapshotId"] = v.snapshot_id;
  return j;
}

json ModificationJson(const Volume& v) {
  if (!v.modification) return json::object();
  const VolumeModification& m = *v.modification;
  json j = {{"VolumeId", v.volume_id},
            {"ModificationState", m.state},
            {"TargetSize", m.target_size},
            {"OriginalSize", m.original_size},
            {"TargetVolumeType", m.target_type},
            {"OriginalVolumeType", m.original_type},
            {"TargetIops", m.target_iops},
            {"OriginalIops", m.original_iops},
            {"TargetThroughput", m.target_throughput},
            {"OriginalThroughput", m.original_throughput},
            {"Progress", m.state == "completed" ? 100 : 0},
            {"StartTime", m.start_time}};
  if (!m.end_time.empty()) j["EndTime"] = m.end_time;
  if (!m.status_message.empty()) j["StatusMessage"] = m.status_message;
  return j;
}

json ToStoreJson(const Volume& v) {
  json j = ToJson(v);
  j["ClientToken"] = v.client_token;
  if (v.modification) j["Modification"] = ModificationJson(v);
  return j;
}

Result<Volume> VolumeFromStoreJson(const json& j) {
  Volume v;
  try {
    v.volume_id = j.at("VolumeId").get<std::string>();
    v.size_gib = j.at("Size").get<int64_t>();
    v.volume_type = j.at("VolumeType").get<std::string>();
    v.iops = j.value("Iops", int64_t{0});
    v.throughput = j.value("Throughput", int64_t{0});
    v.state = StateFromName(j.value("State", ""));
    v.availability_zone = j.value("AvailabilityZone", "");
    v.encrypted = j.value("Encrypted", false);
    v.snapshot_id = j.value("SnapshotId", "");
    v.create_time = j.value("CreateTime", "");
    v.client_token = j.value("ClientToken", "");
    auto tags = TagsFromJson(j.value("Tags", json::array()), /*from_user=*/false);
    if (!tags.ok()) return tags.status();
    v.tags = *tags;
    for (const auto& a : j.value("Attachments", json::array())) {
      v.attachment = VolumeAttachment{a.value("InstanceId", ""), a.value("Device", ""), a.value("State", ""),
                                      a.value("AttachTime", ""), a.value("DeleteOnTermination", false)};
    }
    if (j.contains("Modification")) {
      const json& m = j["Modification"];
      v.modification = VolumeModification{m.value("ModificationState", ""), m.value("StatusMessage", ""),
                                          m.value("OriginalSize", int64_t{0}), m.value("TargetSize", int64_t{0}),
                                          m.value("OriginalVolumeType", ""), m.value("TargetVolumeType", ""),
                                          m.value("OriginalIops", int64_t{0}), m.value("TargetIops", int64_t{0}),
                                          m.value("OriginalThroughput", int64_t{0}),
                                          m.value("TargetThroughput", int64_t{0}), m.value("StartTime", ""),
                                          m.value("EndTime", "")};
    }
  } catch (const json::exception& e) {
    return Internal(std::string("volume record: ") + e.what());
  }
  return v;
}

Result<CreateVolumeRequest> CreateVolumeRequestFromJson(const json& j) {
  if (!j.is_object()) return BadValue("the request must be an object");
  CreateVolumeRequest r;
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Size", r.size_gib, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "VolumeType", r.volume_type, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Iops", r.iops, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Throughput", r.throughput, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "AvailabilityZone", r.availability_zone, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Encrypted", r.encrypted, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "SnapshotId", r.snapshot_id, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "ClientToken", r.client_token, kBadValue));
  STRATUS_ASSIGN_OR_RETURN(r.tags, TagsOfRequest(j, "volume"));
  return r;
}

Result<ModifyVolumeRequest> ModifyVolumeRequestFromJson(const json& j) {
  if (!j.is_object()) return BadValue("the request must be an object");
  ModifyVolumeRequest r;
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Size", r.size_gib, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "VolumeType", r.volume_type, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Iops", r.iops, kBadValue));
  STRATUS_RETURN_IF_ERROR(ReadJsonField(j, "Throughput", r.throughput, kBadValue));
  return r;
}

Result<std::string> DeviceShortName(const std::string& device) {
  std::string name = device.rfind("/dev/", 0) == 0 ? device.substr(5) : device;
  std::string letters;
  if (name.rfind("xvd", 0) == 0) {
    letters = name.substr(3);
  } else if (name.rfind("sd", 0) == 0) {
    letters = name.substr(2);
  }
  // One or two letters after sd/xvd (sdf, xvdba), as EC2's Linux device names; "a" is the root device's.
  bool ok = !letters.empty() && letters.size() <= 2 &&
            std::all_of(letters.begin(), letters.end(), [](char c) { return c >= 'a' && c <= 'z'; }) &&
            !(letters.size() == 1 && letters[0] == 'a');
  if (!ok) {
    return BadValue("Value (" + device + ") for parameter device is invalid. " + device +
                    " is not a valid EBS device name: use /dev/sd[b-z] or /dev/xvd[b-z].");
  }
  return name;
}

}  // namespace stratus
