// stratus volume create|list|show|modify|delete|attach|detach|tag|untag (EC2 volumes, docs/volumes.md)
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

namespace {

std::string AttachmentText(const Json& v) {
  std::string out;
  for (const auto& a : v.value("Attachments", Json::array())) {
    out += (out.empty() ? "" : ", ") + FieldText(a, "InstanceId") + ":" + FieldText(a, "Device") + " (" +
           FieldText(a, "State") + ")";
  }
  return out;
}

Columns VolumeColumns() {
  return {{"ID", [](const Json& j) { return FieldText(j, "VolumeId"); }},
          {"SIZE", [](const Json& j) { return FieldText(j, "Size") + " GiB"; }},
          {"TYPE", [](const Json& j) { return FieldText(j, "VolumeType"); }},
          {"STATE", [](const Json& j) { return FieldText(j, "State"); }},
          {"ZONE", [](const Json& j) { return FieldText(j, "AvailabilityZone"); }},
          {"ATTACHED", AttachmentText}};
}

Columns VolumeDetails() {
  Columns c = VolumeColumns();
  c.push_back({"IOPS", [](const Json& j) { return FieldText(j, "Iops"); }});
  c.push_back({"THROUGHPUT", [](const Json& j) { return FieldText(j, "Throughput") + " MiB/s"; }});
  c.push_back({"ENCRYPTED", [](const Json& j) { return FieldText(j, "Encrypted"); }});
  c.push_back({"CREATED", [](const Json& j) { return FieldText(j, "CreateTime"); }});
  c.push_back({"TAGS", TagsText});
  return c;
}

void AddPerformanceOptions(CLI::App* sub, VolumeArgs& a) {
  sub->add_option("--type", a.type, "gp3 (default), io2 or st1");
  sub->add_option("--iops", a.iops, "provisioned IOPS (gp3: 3000-16000, io2: 100-64000)");
  sub->add_option("--throughput", a.throughput, "MiB/s (gp3: 125-1000)");
}

void AddCreate(CLI::App* volume, CliContext& ctx) {
  auto args = std::make_shared<VolumeArgs>();
  CLI::App* create = volume->add_subcommand("create", "Create a volume, empty or from a snapshot");
  create->add_option("--size", args->size_gib, "size in GiB (default with --snapshot: the snapshot's)");
  create->add_option("--snapshot", args->snapshot_id, "snapshot id: the volume starts as a copy of it");
  AddPerformanceOptions(create, *args);
  create->add_option("--zone", args->zone, "availability zone (default: the first subnet's)");
  create->add_flag("--encrypted", args->encrypted, "mark the volume encrypted (recorded; see docs/volumes.md)");
  create->add_option("--tag", args->tags, "KEY=VALUE; repeatable")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, args]() -> int {
    auto request = CreateVolumeCliRequest(*args);
    if (!request.ok()) return ctx.UsageError(request.status());
    return ctx.ShowEach({*request}, "Volume", VolumeColumns());
  });
}

void AddModify(CLI::App* volume, CliContext& ctx) {
  auto args = std::make_shared<VolumeArgs>();
  auto id = std::make_shared<std::string>();
  CLI::App* modify = volume->add_subcommand("modify", "Grow a volume or change its type or performance (online)");
  modify->add_option("ID", *id, "volume id")->required();
  modify->add_option("--size", args->size_gib, "new size in GiB (grow only)");
  AddPerformanceOptions(modify, *args);
  OnSelected(modify, ctx, [&ctx, id, args]() -> int {
    auto request = ModifyVolumeCliRequest(*id, *args);
    if (!request.ok()) return ctx.UsageError(request.status());
    return ctx.ShowEach({*request}, "Volume", VolumeDetails());
  });
}

void AddAttachDetach(CLI::App* volume, CliContext& ctx) {
  struct Args {
    std::string id, instance, device;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* attach = volume->add_subcommand("attach", "Attach a volume to an instance: it appears at /mnt/DEVICE inside");
  attach->add_option("ID", a->id, "volume id")->required();
  attach->add_option("INSTANCE", a->instance, "instance id")->required();
  attach->add_option("DEVICE", a->device, "device name: /dev/sdf ... /dev/sdp or /dev/xvdf ...")->required();
  OnSelected(attach, ctx, [&ctx, a] {
    return ctx.ShowEach({AttachVolumeRequest(a->id, a->instance, a->device)}, "Volume", VolumeColumns());
  });
  auto d = std::make_shared<Args>();
  CLI::App* detach = volume->add_subcommand("detach", "Flush, unmount and detach a volume");
  detach->add_option("ID", d->id, "volume id")->required();
  detach->add_flag("--force", d->force, "detach even while files are open on it inside the instance");
  OnSelected(detach, ctx, [&ctx, d] {
    return ctx.ShowEach({DetachVolumeRequest(d->id, d->force)}, "Volume", VolumeColumns());
  });
}

}  // namespace

void RegisterVolumeCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* volume = AddNoun(root, "volume", "Volumes: block storage that outlives an instance");
  AddCreate(volume, ctx);
  auto filters = std::make_shared<std::vector<std::string>>();
  CLI::App* list = volume->add_subcommand("list", "List volumes");
  list->add_option("--filter", *filters,
                   "status=STATE, volume-type=TYPE, attachment.instance-id=ID, tag:KEY=VALUE...; repeatable, ANDed")
      ->type_name("FILTER")
      ->check(InstanceFilterValidator());
  OnSelected(list, ctx, [&ctx, filters] { return ctx.List(ListVolumesRequest(*filters), "Volumes", VolumeColumns()); });
  AddShowEach(volume, ctx, {"show", "Show volumes in detail", "ID", "volume ids", ShowVolumeRequest}, "Volume",
              VolumeDetails);
  AddModify(volume, ctx);
  AddSendEach(volume, ctx, {"delete", "Delete volumes (and their data)", "ID", "volume ids", DeleteVolumeRequest});
  AddAttachDetach(volume, ctx);
  AddTagCommands(volume, ctx, "volume", TagVolumeRequest, UntagVolumeRequest);
}

}  // namespace stratus::cli
