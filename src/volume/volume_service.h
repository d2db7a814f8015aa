// VolumeService: the rules of volumes (EC2 CreateVolume, DeleteVolume, DescribeVolumes, ModifyVolume and
// volume tags) over a VolumeHost. Records live in the Store under "volumes/<vol-id>", written through
// before a call answers. Both front ends (REST, the EC2 API) and the CLI go through it.
//
// Thread-safe. A call changes its record under the service's lock; the host's work for a volume runs
// with the record in a transitional state (creating, deleting), so a crash in between is settled by
// Load() from what the host has.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"
#include "volume/snapshot.h"
#include "volume/volume.h"
#include "volume/volume_host.h"

namespace stratus {

// What the volume service needs to know about an instance to attach a volume to it.
struct VolumeInstance {
  std::string instance_id;
  std::string state;  // EC2's state name: "running", "stopped", "pending", ...
  std::string availability_zone;
};

struct VolumeServiceOptions {
  std::vector<std::string> zones;  // the availability zones volumes may be created in; the first is the default
  // Looks an instance up; NotFound (InvalidInstanceID.NotFound) when there is none. Unset, attaching is refused.
  std::function<Result<VolumeInstance>(const std::string& instance_id)> find_instance;
  std::string region;    // CopySnapshot's SourceRegion must be this one when given ("" = not checked)
  std::string owner_id;  // the account that owns the snapshots (EC2's OwnerId)
};

// A DescribeVolumes filter: EC2's name and the values of which one must match.
struct VolumeFilter {
  std::string name;  // volume-id, status, size, volume-type, availability-zone, encrypted, snapshot-id,
                     // attachment.instance-id, attachment.device, attachment.status,
                     // attachment.delete-on-termination, tag:KEY, tag-key
  std::vector<std::string> values;
};

class VolumeService {
 public:
  // `store` and `host` must outlive the service.
  VolumeService(Store* store, VolumeHost* host, VolumeServiceOptions options);

  // Loads the records and settles the ones a crash left between states: a volume still `creating` becomes
  // available when its backing store exists and is removed otherwise; a `deleting` one is removed; a `pending`
  // snapshot is kept (completed) when its data is whole and forgotten otherwise. Data no record owns is removed.
  Status Load();

  // Creates a volume, empty or from a completed snapshot (a copy of it at once: nothing loads later; its size
  // by default, at least its size when given). InvalidParameterValue (and EC2's other codes) for a bad size,
  // type or performance setting; InvalidZone.NotFound for an unknown zone; InvalidSnapshot.NotFound. A ClientToken already used returns that call's volume (IdempotentParameterMismatch when the request
  // differs). Nothing is recorded when the host cannot make the backing store.
  Result<Volume> Create(const CreateVolumeRequest& request);

  // Deletes an available volume and its data. InvalidVolume.NotFound; VolumeInUse while attached;
  // IncorrectState while it is being created.
  Status Delete(const std::string& volume_id);

  // The volumes with `ids` (every one, when empty) that match all `filters`. InvalidVolume.NotFound names
  // the ids that do not exist; InvalidParameterValue for an unknown filter.
  Result<std::vector<Volume>> Describe(const std::vector<std::string>& ids,
                                       const std::vector<VolumeFilter>& filters) const;
  Result<Volume> Get(const std::string& volume_id) const;

  // Changes size (grow only), type, IOPS or throughput; the new size is in effect when it returns (an
  // attached volume's filesystem grows while mounted). InvalidParameterValue for a smaller size or a
  // setting the new type does not allow; the volume is unchanged then.
  Result<Volume> Modify(const std::string& volume_id, const ModifyVolumeRequest& request);

  // The last modification of each volume in `ids` (all volumes, when empty) that was ever modified.
  Result<std::vector<Volume>> DescribeModifications(const std::vector<std::string>& ids) const;

  // Attaches an available volume to an instance in its zone at `device` ("/dev/sdf", "/dev/xvdf"). A running
  // instance sees it mounted at /mnt/<device> when this returns; a stopped one when it next runs.
  // InvalidVolume.NotFound, InvalidInstanceID.NotFound; VolumeInUse when the volume is attached (or being
  // attached or detached); InvalidVolume.ZoneMismatch for an instance in another zone; InvalidParameterValue for
  // a bad device name or one the instance already uses; IncorrectInstanceState unless the instance is running
  // or stopped. A refusal changes nothing, and so does a failed mount.
  Result<Volume> Attach(const std::string& volume_id, const std::string& instance_id, const std::string& device);

  // Detaches a volume: flushes and unmounts it in the instance, then makes it available. `instance_id` and
  // `device`, when given, must match the attachment (InvalidAttachment.NotFound). IncorrectState when it is not
  // attached; VolumeInUse while files are open on it inside the instance, unless `force` (which detaches lazily:
  // the filesystem goes when they are closed, and the volume cannot be attached again until then).
  Result<Volume> Detach(const std::string& volume_id, const std::string& instance_id, const std::string& device,
                        bool force);

  // The instance reached running (a start, a reboot, a launch): mounts the volumes attached to it. Called by
  // the daemon from the instance service's listener.
  void OnInstanceRunning(const std::string& instance_id);

  // The instance was terminated: its volumes become available, and those marked DeleteOnTermination are deleted.
  void OnInstanceTerminated(const std::string& instance_id);

  // The devices ("sdf") of the volumes attached to the instance, in the order they were attached: what its
  // metadata lists under block-device-mapping/.
  std::vector<std::string> DevicesOf(const std::string& instance_id) const;

  // Adds or replaces `add` (by key), then removes `remove` keys. InvalidVolume.NotFound when unknown.
  Result<Volume> ChangeTags(const std::string& volume_id, const std::vector<Tag>& add,
                            const std::vector<std::string>& remove);

  // Snapshots a volume (available or in use) in milliseconds: a crash-consistent copy of what its block device
  // holds now. MissingParameter, InvalidVolume.NotFound, IncorrectState while it is created or deleted;
  // InsufficientVolumeCapacity when the host has no room for the copy-on-write reserve. A failure records
  // nothing.
  Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest& request);
  // Copies a completed snapshot within this region. InvalidSnapshot.NotFound; InvalidParameterValue for
  // another SourceRegion.
  Result<Snapshot> CopySnapshot(const CopySnapshotRequest& request);
  // Deletes a snapshot. Volumes made from it keep all their data. InvalidSnapshot.NotFound.
  Status DeleteSnapshot(const std::string& snapshot_id);
  // The snapshots with `ids` (all when empty) owned by `owner_ids` ("self" or this account; all when empty) that
  // match every filter (snapshot-id, volume-id, status, volume-size, description, owner-id, encrypted,
  // start-time, progress, tag:KEY, tag-key).
  Result<std::vector<Snapshot>> DescribeSnapshots(const std::vector<std::string>& ids,
                                                  const std::vector<std::string>& owner_ids,
                                                  const std::vector<VolumeFilter>& filters) const;
  Result<Snapshot> GetSnapshot(const std::string& snapshot_id) const;
  Result<Snapshot> ChangeSnapshotTags(const std::string& snapshot_id, const std::vector<Tag>& add,
                                      const std::vector<std::string>& remove);

 private:
  const Volume* FindLocked(const std::string& id) const;  // requires mu_
  Status Persist(const Volume& v);                         // requires mu_
  Status Forget(const std::string& id);                    // requires mu_: removes the record
  Result<Volume*> MustFindLocked(const std::string& id);   // requires mu_
  // The attachment of a volume as the host mounts it.
  static VolumeMount MountOf(const Volume& v);
  bool InstanceRunning(const std::string& instance_id) const;
  // Sets the attachment's state (or drops the attachment when `state` is "") and persists; requires mu_.
  Status SetAttachment(Volume& v, const std::string& state);
  // Load(): settles attachments a crash left attaching or detaching, from what the host has mounted.
  Status SettleAttachment(Volume& v);
  // Snapshots (volume_snapshots.cc); all require mu_.
  Status LoadSnapshots();
  Status PersistSnapshot(const Snapshot& s);
  Status ForgetSnapshot(const std::string& id);
  Result<Snapshot> MakeSnapshotLocked(Snapshot s, const std::function<Status(const std::string& snapshot_id)>& make);

  Store* store_;
  VolumeHost* host_;
  VolumeServiceOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Volume> volumes_;  // by id; GUARDED_BY(mu_)
  std::map<std::string, Snapshot> snapshots_;  // by id; GUARDED_BY(mu_)
};

// InvalidVolume.NotFound (or InvalidVolumeID.Malformed for an id that is not vol-...) naming `ids`.
Status VolumeNotFound(const std::vector<std::string>& ids);
// InvalidSnapshot.NotFound (or InvalidSnapshotID.Malformed for an id that is not snap-...) naming `ids`.
Status SnapshotNotFound(const std::vector<std::string>& ids);

}  // namespace stratus
