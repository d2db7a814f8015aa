// VolumeService behind a fake host: the rules, the records and recovery, without root.
#include "volume/volume_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "common/ids.h"
#include "store/sqlite_store.h"
#include "fake_volume_host.h"

namespace stratus {
namespace {

class VolumeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("volume-test-" + RandomHex(8));
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A fresh service over the same store and host, as after a daemon restart.
  void Reopen() {
    service_.reset();
    store_.reset();
    auto opened = OpenSqliteStore((dir_ / "db").string());
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    VolumeServiceOptions o{{"local-a", "local-b"}, {}, "local", "000000000000"};
    o.find_instance = [this](const std::string& id) -> Result<VolumeInstance> {
      auto it = instances_.find(id);
      if (it == instances_.end()) {
        return NotFound("The instance ID '" + id + "' does not exist").WithErrorCode("InvalidInstanceID.NotFound");
      }
      return it->second;
    };
    service_ = std::make_unique<VolumeService>(store_.get(), &host_, o);
    ASSERT_TRUE(service_->Load().ok());
  }
  Volume MustCreate(int64_t size, const std::string& type = "gp3") {
    CreateVolumeRequest r;
    r.size_gib = size;
    r.volume_type = type;
    if (type == "io2") r.iops = 1000;
    auto v = service_->Create(r);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : Volume{};
  }

  void AddInstance(const std::string& id, const std::string& state, const std::string& zone = "local-a") {
    instances_[id] = VolumeInstance{id, state, zone};
  }

  std::filesystem::path dir_;
  std::map<std::string, VolumeInstance> instances_;
  FakeVolumeHost host_;
  StorePtr store_;
  std::unique_ptr<VolumeService> service_;
};

TEST_F(VolumeServiceTest, CreateMakesTheBackingStoreAndAnAvailableRecord) {
  Volume v = MustCreate(3);
  EXPECT_TRUE(IsValidId(v.volume_id, "vol"));
  EXPECT_EQ(v.state, VolumeState::kAvailable);
  EXPECT_EQ(v.availability_zone, "local-a");
  EXPECT_EQ(v.iops, 3000);
  EXPECT_EQ(host_.files[v.volume_id], 3 * kGiB);
  Reopen();
  auto again = service_->Get(v.volume_id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size_gib, 3);
  EXPECT_EQ(again->state, VolumeState::kAvailable);
}

TEST_F(VolumeServiceTest, BadRequestsChangeNothing) {
  struct Case {
    CreateVolumeRequest request;
    std::string code;
  };
  CreateVolumeRequest no_size;
  CreateVolumeRequest bad_zone;
  bad_zone.size_gib = 1;
  bad_zone.availability_zone = "elsewhere-1a";
  CreateVolumeRequest bad_type;
  bad_type.size_gib = 1;
  bad_type.volume_type = "sc9";
  CreateVolumeRequest snapshot;
  snapshot.snapshot_id = "snap-0123456789abcdef0";
  CreateVolumeRequest st1_iops;
  st1_iops.size_gib = 500;
  st1_iops.volume_type = "st1";
  st1_iops.iops = 100;
  for (const auto& c : std::vector<Case>{{no_size, "MissingParameter"},
                                         {bad_zone, "InvalidZone.NotFound"},
                                         {bad_type, "InvalidParameterValue"},
                                         {snapshot, "InvalidSnapshot.NotFound"},
                                         {st1_iops, "InvalidParameterCombination"}}) {
    auto v = service_->Create(c.request);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().error_code(), c.code);
  }
  EXPECT_TRUE(host_.files.empty());
  EXPECT_TRUE(service_->Describe({}, {})->empty());
}

TEST_F(VolumeServiceTest, AFailedBackingStoreLeavesNoRecord) {
  host_.fail_create = true;
  CreateVolumeRequest r;
  r.size_gib = 1;
  auto v = service_->Create(r);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().error_code(), "InsufficientVolumeCapacity");
  EXPECT_TRUE(service_->Describe({}, {})->empty());
  EXPECT_TRUE(store_->List("volumes/")->empty());
}

TEST_F(VolumeServiceTest, ClientTokenIsIdempotent) {
  CreateVolumeRequest r;
  r.size_gib = 2;
  r.client_token = "abc";
  auto a = service_->Create(r);
  auto b = service_->Create(r);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->volume_id, b->volume_id);
  r.size_gib = 3;
  auto c = service_->Create(r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().error_code(), "IdempotentParameterMismatch");
  EXPECT_EQ(host_.files.size(), 1u);
}

TEST_F(VolumeServiceTest, DeleteRemovesDataAndRecord) {
  Volume v = MustCreate(1);
  ASSERT_TRUE(service_->Delete(v.volume_id).ok());
  EXPECT_TRUE(host_.files.empty());
  auto gone = service_->Get(v.volume_id);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().error_code(), "InvalidVolume.NotFound");
  EXPECT_EQ(service_->Delete(v.volume_id).error_code(), "InvalidVolume.NotFound");
  EXPECT_EQ(service_->Delete("vol-nothex").error_code(), "InvalidVolumeID.Malformed");
}

TEST_F(VolumeServiceTest, DescribeFiltersAndNamesUnknownIds) {
  Volume a = MustCreate(1);
  Volume b = MustCreate(200, "io2");
  ASSERT_TRUE(service_->ChangeTags(b.volume_id, {{"team", "db"}}, {}).ok());
  auto by_type = service_->Describe({}, {{"volume-type", {"io2"}}});
  ASSERT_TRUE(by_type.ok());
  ASSERT_EQ(by_type->size(), 1u);
  EXPECT_EQ(by_type->front().volume_id, b.volume_id);
  EXPECT_EQ(service_->Describe({}, {{"tag:team", {"db"}}})->size(), 1u);
  EXPECT_EQ(service_->Describe({}, {{"tag-key", {"team"}}})->size(), 1u);
  EXPECT_EQ(service_->Describe({}, {{"status", {"available"}}, {"size", {"1"}}})->size(), 1u);
  EXPECT_EQ(service_->Describe({}, {{"status", {"in-use"}}})->size(), 0u);
  EXPECT_EQ(service_->Describe({a.volume_id}, {})->size(), 1u);
  auto unknown = service_->Describe({a.volume_id, "vol-00000000000000000"}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().error_code(), "InvalidVolume.NotFound");
  EXPECT_NE(unknown.status().message().find("vol-00000000000000000"), std::string::npos);
  auto bad_filter = service_->Describe({}, {{"colour", {"red"}}});
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(bad_filter.status().error_code(), "InvalidParameterValue");
}

TEST_F(VolumeServiceTest, ModifyGrowsAndRefusesShrinking) {
  Volume v = MustCreate(2);
  ModifyVolumeRequest grow;
  grow.size_gib = 5;
  auto grown = service_->Modify(v.volume_id, grow);
  ASSERT_TRUE(grown.ok()) << grown.status().ToString();
  EXPECT_EQ(grown->size_gib, 5);
  EXPECT_EQ(host_.files[v.volume_id], 5 * kGiB);
  ASSERT_TRUE(grown->modification.has_value());
  EXPECT_EQ(grown->modification->original_size, 2);
  EXPECT_EQ(grown->modification->state, "completed");
  ModifyVolumeRequest shrink;
  shrink.size_gib = 4;
  auto refused = service_->Modify(v.volume_id, shrink);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().error_code(), "InvalidParameterValue");
  EXPECT_EQ(service_->Get(v.volume_id)->size_gib, 5);
  ModifyVolumeRequest to_io2;
  to_io2.volume_type = "io2";
  auto missing_iops = service_->Modify(v.volume_id, to_io2);
  ASSERT_FALSE(missing_iops.ok());
  EXPECT_EQ(missing_iops.status().error_code(), "MissingParameter");
  to_io2.iops = 2000;
  auto io2 = service_->Modify(v.volume_id, to_io2);
  ASSERT_TRUE(io2.ok()) << io2.status().ToString();
  EXPECT_EQ(io2->volume_type, "io2");
  EXPECT_EQ(io2->iops, 2000);
  EXPECT_EQ(service_->DescribeModifications({})->size(), 1u);
  Reopen();
  EXPECT_EQ(service_->Get(v.volume_id)->volume_type, "io2");
}

TEST_F(VolumeServiceTest, RecoverySettlesInterruptedCreatesAndDeletes) {
  Volume kept = MustCreate(1);
  // A create that crashed before its file was made, one that crashed after, a delete that crashed before the
  // file went, and a file nobody owns.
  Volume no_file = kept, with_file = kept, deleting = kept;
  no_file.volume_id = "vol-00000000000000001";
  no_file.state = VolumeState::kCreating;
  with_file.volume_id = "vol-00000000000000002";
  with_file.state = VolumeState::kCreating;
  deleting.volume_id = "vol-00000000000000003";
  deleting.state = VolumeState::kDeleting;
  for (const auto& v : {no_file, with_file, deleting}) {
    ASSERT_TRUE(store_->Put("volumes/" + v.volume_id, ToStoreJson(v).dump()).ok());
  }
  host_.files[with_file.volume_id] = kGiB;
  host_.files[deleting.volume_id] = kGiB;
  host_.files["vol-00000000000000009"] = kGiB;
  Reopen();
  auto all = service_->Describe({}, {});
  ASSERT_TRUE(all.ok());
  std::set<std::string> ids;
  for (const auto& v : *all) {
    ids.insert(v.volume_id);
    EXPECT_EQ(v.state, VolumeState::kAvailable) << v.volume_id;
  }
  EXPECT_EQ(ids, (std::set<std::string>{kept.volume_id, with_file.volume_id}));
  EXPECT_EQ(host_.files.size(), 2u);
}

TEST_F(VolumeServiceTest, TagsAddReplaceAndRemove) {
  Volume v = MustCreate(1);
  ASSERT_TRUE(service_->ChangeTags(v.volume_id, {{"a", "1"}, {"b", "2"}}, {}).ok());
  auto t = service_->ChangeTags(v.volume_id, {{"a", "3"}}, {"b"});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->tags.size(), 1u);
  EXPECT_EQ(t->tags[0].value, "3");
  EXPECT_EQ(service_->ChangeTags("vol-00000000000000000", {}, {}).status().error_code(), "InvalidVolume.NotFound");
}

TEST_F(VolumeServiceTest, AttachMountsInTheRunningInstanceAndDetachReleases) {
  AddInstance("i-1", "running");
  Volume v = MustCreate(1);
  auto attached = service_->Attach(v.volume_id, "i-1", "/dev/xvdf");
  ASSERT_TRUE(attached.ok()) << attached.status().ToString();
  EXPECT_EQ(attached->state, VolumeState::kInUse);
  ASSERT_TRUE(attached->attachment.has_value());
  EXPECT_EQ(attached->attachment->state, "attached");
  EXPECT_EQ(attached->attachment->device, "/dev/xvdf");
  ASSERT_TRUE(host_.mounts.count(v.volume_id));
  EXPECT_EQ(host_.mounts[v.volume_id].device, "xvdf");
  EXPECT_EQ(host_.mounts[v.volume_id].iops, 3000);
  EXPECT_EQ(service_->DevicesOf("i-1"), std::vector<std::string>{"xvdf"});
  EXPECT_EQ(service_->Describe({}, {{"attachment.instance-id", {"i-1"}}})->size(), 1u);
  EXPECT_EQ(service_->Delete(v.volume_id).error_code(), "VolumeInUse");
  EXPECT_EQ(service_->Attach(v.volume_id, "i-1", "/dev/sdg").status().error_code(), "VolumeInUse");
  EXPECT_EQ(service_->Detach(v.volume_id, "i-2", "", false).status().error_code(), "InvalidAttachment.NotFound");

  ModifyVolumeRequest grow;
  grow.size_gib = 2;
  ASSERT_TRUE(service_->Modify(v.volume_id, grow).ok());
  EXPECT_EQ(host_.grown_mounted, std::vector<std::string>{v.volume_id}) << "grown inside the running instance";

  Reopen();  // the attachment survives a restart, and the volume stays mounted
  EXPECT_EQ(service_->Get(v.volume_id)->attachment->state, "attached");
  auto detached = service_->Detach(v.volume_id, "i-1", "/dev/xvdf", false);
  ASSERT_TRUE(detached.ok()) << detached.status().ToString();
  EXPECT_EQ(detached->attachment->state, "detached");
  EXPECT_FALSE(host_.mounts.count(v.volume_id));
  auto now = service_->Get(v.volume_id);
  EXPECT_EQ(now->state, VolumeState::kAvailable);
  EXPECT_FALSE(now->attachment.has_value());
  EXPECT_EQ(service_->Detach(v.volume_id, "", "", false).status().error_code(), "IncorrectState");
  EXPECT_TRUE(service_->DevicesOf("i-1").empty());
}

TEST_F(VolumeServiceTest, RefusedAttachesChangeNothing) {
  AddInstance("i-1", "running");
  AddInstance("i-far", "running", "local-b");
  AddInstance("i-pending", "pending");
  Volume v = MustCreate(1);
  Volume other = MustCreate(1);
  ASSERT_TRUE(service_->Attach(other.volume_id, "i-1", "/dev/sdf").ok());
  struct Case {
    std::string instance, device, code;
  };
  for (const auto& c : std::vector<Case>{{"i-far", "/dev/sdf", "InvalidVolume.ZoneMismatch"},
                                         {"i-none", "/dev/sdf", "InvalidInstanceID.NotFound"},
                                         {"i-pending", "/dev/sdf", "IncorrectInstanceState"},
                                         {"i-1", "/dev/sda", "InvalidParameterValue"},
                                         {"i-1", "/dev/nvme1n1", "InvalidParameterValue"},
                                         {"i-1", "/dev/sdf", "InvalidParameterValue"}}) {  // taken by `other`
    SCOPED_TRACE(c.instance + " " + c.device);
    auto r = service_->Attach(v.volume_id, c.instance, c.device);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().error_code(), c.code) << r.status().ToString();
    auto now = service_->Get(v.volume_id);
    EXPECT_EQ(now->state, VolumeState::kAvailable);
    EXPECT_FALSE(now->attachment.has_value());
    EXPECT_FALSE(host_.mounts.count(v.volume_id));
  }
  EXPECT_EQ(service_->Attach("vol-00000000000000000", "i-1", "/dev/sdg").status().error_code(), "InvalidVolume.NotFound");
  host_.fail_attach = Internal("mount failed");
  auto failed = service_->Attach(v.volume_id, "i-1", "/dev/sdg");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(service_->Get(v.volume_id)->state, VolumeState::kAvailable) << "a failed mount is undone";
}

TEST_F(VolumeServiceTest, BusyDetachNeedsForce) {
  AddInstance("i-1", "running");
  Volume v = MustCreate(1);
  ASSERT_TRUE(service_->Attach(v.volume_id, "i-1", "sdf").ok());
  host_.busy.insert(v.volume_id);
  auto refused = service_->Detach(v.volume_id, "", "", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().error_code(), "VolumeInUse");
  EXPECT_EQ(service_->Get(v.volume_id)->attachment->state, "attached");
  ASSERT_TRUE(service_->Detach(v.volume_id, "", "", true).ok());
  EXPECT_EQ(service_->Get(v.volume_id)->state, VolumeState::kAvailable);
}

TEST_F(VolumeServiceTest, AStoppedInstanceGetsItsVolumesWhenItRuns) {
  AddInstance("i-1", "stopped");
  Volume v = MustCreate(1);
  ASSERT_TRUE(service_->Attach(v.volume_id, "i-1", "/dev/sdh").ok());
  EXPECT_FALSE(host_.mounts.count(v.volume_id));
  AddInstance("i-1", "running");
  service_->OnInstanceRunning("i-1");
  ASSERT_TRUE(host_.mounts.count(v.volume_id));
  EXPECT_EQ(host_.mounts[v.volume_id].device, "sdh");
  service_->OnInstanceTerminated("i-1");
  EXPECT_EQ(service_->Get(v.volume_id)->state, VolumeState::kAvailable);
  EXPECT_FALSE(host_.mounts.count(v.volume_id));
}

TEST_F(VolumeServiceTest, RecoverySettlesInterruptedAttachesAndDetaches) {
  AddInstance("i-1", "running");
  Volume attaching = MustCreate(1);
  Volume attaching_mounted = MustCreate(1);
  Volume detaching = MustCreate(1);
  auto record = [&](Volume v, const std::string& device, const std::string& state) {
    v.state = VolumeState::kInUse;
    v.attachment = VolumeAttachment{"i-1", device, state, "2026-01-01T00:00:00Z", false};
    ASSERT_TRUE(store_->Put("volumes/" + v.volume_id, ToStoreJson(v).dump()).ok());
  };
  record(attaching, "/dev/sdf", "attaching");
  record(attaching_mounted, "/dev/sdg", "attaching");
  record(detaching, "/dev/sdh", "detaching");
  host_.mounts[attaching_mounted.volume_id] = VolumeMount{attaching_mounted.volume_id, "i-1", "sdg"};
  host_.mounts[detaching.volume_id] = VolumeMount{detaching.volume_id, "i-1", "sdh"};
  Reopen();
  EXPECT_EQ(service_->Get(attaching.volume_id)->state, VolumeState::kAvailable);
  EXPECT_EQ(service_->Get(attaching_mounted.volume_id)->attachment->state, "attached");
  EXPECT_EQ(service_->Get(detaching.volume_id)->state, VolumeState::kAvailable);
  EXPECT_FALSE(host_.mounts.count(detaching.volume_id));
}


TEST_F(VolumeServiceTest, SnapshotsAreTakenCopiedAndDeleted) {
  Volume v = MustCreate(2);
  CreateSnapshotRequest r;
  r.volume_id = v.volume_id;
  r.description = "before the upgrade";
  r.tags = {{"team", "db"}};
  auto s = service_->CreateSnapshot(r);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(IsValidId(s->snapshot_id, "snap"));
  EXPECT_EQ(s->state, SnapshotState::kCompleted);
  EXPECT_EQ(s->volume_size, 2);
  EXPECT_EQ(host_.snapshots[s->snapshot_id], 2 * kGiB);
  auto json = ToJson(*s);
  EXPECT_EQ(json["State"], "completed");
  EXPECT_EQ(json["Progress"], "100%");
  EXPECT_EQ(json["OwnerId"], "000000000000");

  CopySnapshotRequest c;
  c.source_snapshot_id = s->snapshot_id;
  auto copy = service_->CopySnapshot(c);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->source_snapshot_id, s->snapshot_id);
  EXPECT_EQ(host_.snapshots.size(), 2u);

  // Filters and owners.
  auto by_volume = service_->DescribeSnapshots({}, {"self"}, {{"volume-id", {v.volume_id}}});
  ASSERT_TRUE(by_volume.ok());
  ASSERT_EQ(by_volume->size(), 1u);
  EXPECT_EQ((*by_volume)[0].snapshot_id, s->snapshot_id);
  EXPECT_EQ(service_->DescribeSnapshots({}, {}, {{"tag:team", {"db"}}})->size(), 1u);
  EXPECT_TRUE(service_->DescribeSnapshots({}, {"123456789012"}, {})->empty());
  EXPECT_EQ(service_->DescribeSnapshots({}, {}, {{"nosuch", {"x"}}}).status().error_code(), "InvalidParameterValue");

  // Records survive a restart.
  Reopen();
  ASSERT_TRUE(service_->GetSnapshot(s->snapshot_id).ok());
  ASSERT_TRUE(service_->DeleteSnapshot(s->snapshot_id).ok());
  EXPECT_FALSE(host_.snapshots.count(s->snapshot_id));
  EXPECT_EQ(service_->GetSnapshot(s->snapshot_id).status().error_code(), "InvalidSnapshot.NotFound");
  EXPECT_EQ(service_->DeleteSnapshot(s->snapshot_id).error_code(), "InvalidSnapshot.NotFound");
  EXPECT_EQ(service_->DeleteSnapshot("snap-nope").error_code(), "InvalidSnapshotID.Malformed");
  EXPECT_TRUE(service_->GetSnapshot(copy->snapshot_id).ok());  // the copy stands on its own
}

TEST_F(VolumeServiceTest, RefusedSnapshotsChangeNothing) {
  CreateSnapshotRequest none;
  EXPECT_EQ(service_->CreateSnapshot(none).status().error_code(), "MissingParameter");
  CreateSnapshotRequest unknown;
  unknown.volume_id = "vol-0123456789abcdef0";
  EXPECT_EQ(service_->CreateSnapshot(unknown).status().error_code(), "InvalidVolume.NotFound");
  Volume v = MustCreate(1);
  host_.fail_snapshot = true;
  CreateSnapshotRequest r;
  r.volume_id = v.volume_id;
  auto s = service_->CreateSnapshot(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().error_code(), "InsufficientVolumeCapacity");
  EXPECT_TRUE(service_->DescribeSnapshots({}, {}, {})->empty());
  EXPECT_TRUE(store_->List("snapshots/")->empty());
  EXPECT_TRUE(host_.snapshots.empty());
  CopySnapshotRequest c;
  c.source_snapshot_id = "snap-0123456789abcdef0";
  EXPECT_EQ(service_->CopySnapshot(c).status().error_code(), "InvalidSnapshot.NotFound");
  c.source_region = "elsewhere-1";
  EXPECT_EQ(service_->CopySnapshot(c).status().error_code(), "InvalidParameterValue");
}

TEST_F(VolumeServiceTest, VolumesAreMadeFromSnapshots) {
  Volume v = MustCreate(2);
  CreateSnapshotRequest r;
  r.volume_id = v.volume_id;
  auto s = service_->CreateSnapshot(r);
  ASSERT_TRUE(s.ok());
  CreateVolumeRequest from;
  from.snapshot_id = s->snapshot_id;
  auto same = service_->Create(from);  // no size: the snapshot's
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->size_gib, 2);
  EXPECT_EQ(same->snapshot_id, s->snapshot_id);
  EXPECT_EQ(host_.restored_from[same->volume_id], s->snapshot_id);
  from.size_gib = 5;
  auto larger = service_->Create(from);
  ASSERT_TRUE(larger.ok());
  EXPECT_EQ(host_.files[larger->volume_id], 5 * kGiB);
  EXPECT_EQ(service_->Describe({}, {{"snapshot-id", {s->snapshot_id}}})->size(), 2u);
  from.size_gib = 1;  // smaller than the snapshot
  auto smaller = service_->Create(from);
  ASSERT_FALSE(smaller.ok());
  EXPECT_EQ(smaller.status().error_code(), "InvalidParameterValue");
  // A snapshot deleted after a restore leaves the restored volumes whole.
  ASSERT_TRUE(service_->DeleteSnapshot(s->snapshot_id).ok());
  EXPECT_TRUE(host_.files.count(same->volume_id));
  EXPECT_EQ(service_->Describe({}, {})->size(), 3u);
}

TEST_F(VolumeServiceTest, RecoverySettlesInterruptedSnapshots) {
  Volume v = MustCreate(1);
  // A pending snapshot whose clone was made (kept), one whose clone was not (forgotten), and data without a record.
  Snapshot made;
  made.snapshot_id = "snap-0000000000000000a";
  made.volume_id = v.volume_id;
  made.volume_size = 1;
  Snapshot lost = made;
  lost.snapshot_id = "snap-0000000000000000b";
  ASSERT_TRUE(store_->Put("snapshots/" + made.snapshot_id, ToStoreJson(made).dump()).ok());
  ASSERT_TRUE(store_->Put("snapshots/" + lost.snapshot_id, ToStoreJson(lost).dump()).ok());
  host_.snapshots[made.snapshot_id] = kGiB;
  host_.snapshots["snap-0000000000000000c"] = kGiB;
  Reopen();
  auto kept = service_->GetSnapshot(made.snapshot_id);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->state, SnapshotState::kCompleted);
  EXPECT_EQ(service_->GetSnapshot(lost.snapshot_id).status().error_code(), "InvalidSnapshot.NotFound");
  EXPECT_EQ(host_.snapshots.size(), 1u);
  EXPECT_TRUE(host_.snapshots.count(made.snapshot_id));
}

}  // namespace
}  // namespace stratus
