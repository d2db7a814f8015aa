// FakeVolumeHost: a VolumeHost that keeps each volume's size in a map, for tests of the services without root.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "volume/volume_host.h"

namespace stratus {

class FakeVolumeHost : public VolumeHost {
 public:
  Status Create(const std::string& id, uint64_t size) override {
    if (fail_create) return ResourceExhausted("no room").WithErrorCode("InsufficientVolumeCapacity");
    files[id] = size;
    return Status::Ok();
  }
  Status Grow(const std::string& id, uint64_t size, const VolumeMount* mounted) override {
    if (!files.count(id)) return NotFound(id);
    files[id] = std::max(files[id], size);
    if (mounted) grown_mounted.push_back(id);
    return Status::Ok();
  }
  Status Attach(const VolumeMount& m) override {
    if (!fail_attach.ok()) return fail_attach;
    mounts[m.volume_id] = m;
    return Status::Ok();
  }
  Status Detach(const VolumeMount& m, bool force) override {
    if (busy.count(m.volume_id) && !force) return FailedPrecondition("busy").WithErrorCode("VolumeInUse");
    mounts.erase(m.volume_id);
    return Status::Ok();
  }
  Result<bool> IsMounted(const VolumeMount& m) override {
    auto it = mounts.find(m.volume_id);
    return it != mounts.end() && it->second.instance_id == m.instance_id;
  }
  Status Remove(const std::string& id) override {
    files.erase(id);
    return Status::Ok();
  }
  Result<std::set<std::string>> List() override {
    std::set<std::string> ids;
    for (const auto& [id, size] : files) ids.insert(id);
    return ids;
  }
  Status Snapshot(const std::string& volume_id, const std::string& snapshot_id) override {
    if (fail_snapshot) return ResourceExhausted("no room").WithErrorCode("InsufficientVolumeCapacity");
    if (!files.count(volume_id)) return NotFound(volume_id);
    snapshots[snapshot_id] = files[volume_id];
    return Status::Ok();
  }
  Status CopySnapshot(const std::string& from, const std::string& to) override {
    if (!snapshots.count(from)) return NotFound(from);
    snapshots[to] = snapshots[from];
    return Status::Ok();
  }
  Status CreateFromSnapshot(const std::string& volume_id, const std::string& snapshot_id, uint64_t size) override {
    if (!snapshots.count(snapshot_id)) return NotFound(snapshot_id);
    files[volume_id] = size;
    restored_from[volume_id] = snapshot_id;
    return Status::Ok();
  }
  Status RemoveSnapshot(const std::string& id) override {
    snapshots.erase(id);
    return Status::Ok();
  }
  Result<std::set<std::string>> ListSnapshots() override {
    std::set<std::string> ids;
    for (const auto& [id, size] : snapshots) ids.insert(id);
    return ids;
  }
  std::map<std::string, uint64_t> files;
  std::map<std::string, uint64_t> snapshots;         // snapshot id -> the size of its data
  std::map<std::string, std::string> restored_from;  // volume id -> the snapshot it was made from
  bool fail_snapshot = false;
  std::map<std::string, VolumeMount> mounts;  // by volume: what is mounted in a running instance
  std::set<std::string> busy;                 // volumes whose files are open inside the instance
  std::vector<std::string> grown_mounted;      // volumes grown while mounted
  Status fail_attach;
  bool fail_create = false;
};

}  // namespace stratus
