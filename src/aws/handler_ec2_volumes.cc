// EC2 volumes over VolumeService: CreateVolume, DeleteVolume, DescribeVolumes, ModifyVolume,
// DescribeVolumesModifications, AttachVolume, DetachVolume. Requests are parsed by the volume area's own readers (the REST API uses the
// same ones), so the two front ends cannot drift apart.
#include "aws/handler.h"
#include "aws/handler_util.h"
#include "volume/volume_service.h"

namespace stratus::aws {

namespace {

constexpr char kService[] = "ec2";
using Output = StratusAwsHandler::Output;

std::vector<VolumeFilter> FiltersOf(const json& in) {
  std::vector<VolumeFilter> filters;
  for (const auto& f : in.value("Filters", json::array())) filters.push_back({Str(f, "Name"), StrList(f, "Values")});
  return filters;
}

Output CreateVolume(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(request, CreateVolumeRequestFromJson(in));
  AWS_ASSIGN_OR_RETURN(volume, svc.Create(request));
  return DropEmpty(ToJson(volume));
}

Output DescribeVolumes(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(volumes, svc.Describe(StrList(in, "VolumeIds"), FiltersOf(in)));
  json out = json::array();
  for (const auto& v : volumes) out.push_back(DropEmpty(ToJson(v)));
  return json{{"Volumes", out}};
}

Output ModifyVolume(VolumeService& svc, const json& in) {
  std::string id = Str(in, "VolumeId");
  if (id.empty()) return MissingParam(kService, "VolumeId");
  AWS_ASSIGN_OR_RETURN(request, ModifyVolumeRequestFromJson(in));
  AWS_ASSIGN_OR_RETURN(volume, svc.Modify(id, request));
  return json{{"VolumeModification", DropEmpty(ModificationJson(volume))}};
}

Output DescribeVolumesModifications(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(volumes, svc.DescribeModifications(StrList(in, "VolumeIds")));
  json out = json::array();
  for (const auto& v : volumes) out.push_back(DropEmpty(ModificationJson(v)));
  return json{{"VolumesModifications", out}};
}

// EC2's VolumeAttachment shape of a volume's attachment.
json AttachmentJson(const Volume& v) {
  json j = ToJson(v)["Attachments"];
  return j.empty() ? json::object() : DropEmpty(j[0]);
}

Output AttachVolume(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(volume, svc.Attach(Str(in, "VolumeId"), Str(in, "InstanceId"), Str(in, "Device")));
  return AttachmentJson(volume);
}

Output DetachVolume(VolumeService& svc, const json& in) {
  AWS_ASSIGN_OR_RETURN(volume, svc.Detach(Str(in, "VolumeId"), Str(in, "InstanceId"), Str(in, "Device"),
                                          OptBool(in, "Force").value_or(false)));
  return AttachmentJson(volume);
}

}  // namespace

void StratusAwsHandler::RegisterEc2Volumes() {
  ServiceOps<VolumeService> op(ops_, kService, s_.volumes, "volume service");
  op("CreateVolume", CreateVolume);
  op("DescribeVolumes", DescribeVolumes);
  op("ModifyVolume", ModifyVolume);
  op("DescribeVolumesModifications", DescribeVolumesModifications);
  op("AttachVolume", AttachVolume);
  op("DetachVolume", DetachVolume);
  op("DeleteVolume", [](VolumeService& svc, const json& in) -> Output {
    std::string id = Str(in, "VolumeId");
    if (id.empty()) return MissingParam(kService, "VolumeId");
    AWS_RETURN_IF_ERROR(svc.Delete(id));
    return json::object();
  });
}

}  // namespace stratus::aws
