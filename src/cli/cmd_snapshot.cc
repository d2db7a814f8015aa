// stratus snapshot create|list|show|copy|delete|tag|untag (EC2 snapshots, docs/volumes.md)
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

namespace {

Columns SnapshotColumns() {
  return {{"ID", [](const Json& j) { return FieldText(j, "SnapshotId"); }},
          {"VOLUME", [](const Json& j) { return FieldText(j, "VolumeId"); }},
          {"SIZE", [](const Json& j) { return FieldText(j, "VolumeSize") + " GiB"; }},
          {"STATE", [](const Json& j) { return FieldText(j, "State"); }},
          {"STARTED", [](const Json& j) { return FieldText(j, "StartTime"); }},
          {"DESCRIPTION", [](const Json& j) { return FieldText(j, "Description"); }}};
}

Columns SnapshotDetails() {
  Columns c = SnapshotColumns();
  c.push_back({"ENCRYPTED", [](const Json& j) { return FieldText(j, "Encrypted"); }});
  c.push_back({"TAGS", TagsText});
  return c;
}

}  // namespace

void RegisterSnapshotCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* snapshot = AddNoun(root, "snapshot", "Snapshots: point-in-time copies of volumes, made in milliseconds");
  auto args = std::make_shared<SnapshotArgs>();
  CLI::App* create = snapshot->add_subcommand("create", "Snapshot a volume (attached or not; crash-consistent)");
  create->add_option("VOLUME", args->volume_id, "volume id")->required();
  create->add_option("--description", args->description, "free text");
  create->add_option("--tag", args->tags, "KEY=VALUE; repeatable")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, args]() -> int {
    auto request = CreateSnapshotCliRequest(*args);
    if (!request.ok()) return ctx.UsageError(request.status());
    return ctx.ShowEach({*request}, "Snapshot", SnapshotColumns());
  });
  auto copy = std::make_shared<SnapshotArgs>();
  CLI::App* copy_cmd = snapshot->add_subcommand("copy", "Copy a snapshot (in this region)");
  copy_cmd->add_option("ID", copy->volume_id, "snapshot id")->required();
  copy_cmd->add_option("--description", copy->description, "free text");
  copy_cmd->add_option("--tag", copy->tags, "KEY=VALUE; repeatable")->check(KeyValueValidator());
  OnSelected(copy_cmd, ctx, [&ctx, copy]() -> int {
    auto request = CopySnapshotCliRequest(*copy);
    if (!request.ok()) return ctx.UsageError(request.status());
    return ctx.ShowEach({*request}, "Snapshot", SnapshotColumns());
  });
  auto filters = std::make_shared<std::vector<std::string>>();
  CLI::App* list = snapshot->add_subcommand("list", "List snapshots");
  list->add_option("--filter", *filters, "volume-id=ID, status=STATE, tag:KEY=VALUE...; repeatable, ANDed")
      ->type_name("FILTER")
      ->check(InstanceFilterValidator());
  OnSelected(list, ctx, [&ctx, filters] { return ctx.List(ListSnapshotsRequest(*filters), "Snapshots", SnapshotColumns()); });
  AddShowEach(snapshot, ctx, {"show", "Show snapshots in detail", "ID", "snapshot ids", ShowSnapshotRequest}, "Snapshot",
              SnapshotDetails);
  AddSendEach(snapshot, ctx, {"delete", "Delete snapshots", "ID", "snapshot ids", DeleteSnapshotRequest});
  AddTagCommands(snapshot, ctx, "snapshot", TagSnapshotRequest, UntagSnapshotRequest);
}

}  // namespace stratus::cli
