// EC2 snapshots over VolumeService: CreateSnapshot, DescribeSnapshots, DeleteSnapshot, CopySnapshot. Requests
// are parsed by the volume area's readers, which the REST API uses too.
#include "aws/handler.h"
#include "aws/handler_util.h"
#include "volume/volume_service.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "ec2";
using Output = StratusAwsHandler::Output;

Output CreateSnapshot(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(request, CreateSnapshotRequestFromJson(in));
  AWS_ASSIGN_OR_RETURN(snapshot, svc.CreateSnapshot(request));
  return DropEmpty(ToJson(snapshot));
}

Output DescribeSnapshots(VolumeService& svc, const json& in) {
  std::vector<VolumeFilter> filters;
  for (const auto& f : in.value("Filters", json::array())) filters.push_back({Str(f, "Name"), StrList(f, "Values")});
  AWS_ASSIGN_OR_RETURN(snapshots, svc.DescribeSnapshots(StrList(in, "SnapshotIds"), StrList(in, "OwnerIds"), filters));
  json out = json::array();
  for (const auto& s : snapshots) out.push_back(DropEmpty(ToJson(s)));
  return json{{"Snapshots", out}};
}

Output CopySnapshot(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(request, CopySnapshotRequestFromJson(in));
  AWS_ASSIGN_OR_RETURN(snapshot, svc.CopySnapshot(request));
  return json{{"SnapshotId", snapshot.snapshot_id}, {"Tags", TagsToJson(snapshot.tags)}};
}

}  // namespace

void StratusAwsHandler::RegisterEc2Snapshots() {
  ServiceOps<VolumeService> op(ops_, kService, s_.volumes, "volume service");
  op("CreateSnapshot", CreateSnapshot);
  op("DescribeSnapshots", DescribeSnapshots);
  op("CopySnapshot", CopySnapshot);
  op("DeleteSnapshot", [](VolumeService& svc, const json& in) -> Output {
    AWS_RETURN_IF_ERROR(svc.DeleteSnapshot(Str(in, "SnapshotId")));
    return json::object();
  });
}

}  // namespace stratus::aws
