// stratus instance list|show|stop|start|reboot|terminate|modify|console|tag|untag
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

namespace {

void AddList(CLI::App* instance, CliContext& ctx) {
  auto filters = std::make_shared<std::vector<std::string>>();
  CLI::App* list = instance->add_subcommand("list", "List instances");
  list->add_option("--filter", *filters,
                   "state=STATE, instance-id=ID, tag-key=KEY or tag:KEY=VALUE; repeatable, ANDed; "
                   "state=running,pending matches either")
      ->type_name("FILTER")
      ->check(InstanceFilterValidator());
  OnSelected(list, ctx, [&ctx, filters] {
    return ctx.List(ListInstancesRequest(*filters), "Instances", InstanceColumns(ctx.now()));
  });
}

void AddShow(CLI::App* instance, CliContext& ctx) {
  AddShowEach(instance, ctx, {"show", "Show instances in detail", "ID", "instance ids", ShowInstanceRequest},
              "Instance", [&ctx] { return InstanceDetails(ctx.now()); });
}

// stop, start, reboot, terminate: the same shape, POST /v1/instances/{id}/{action}.
void AddAction(CLI::App* instance, CliContext& ctx, const std::string& action,
               const std::string& description) {
  struct Args {
    std::vector<std::string> ids;
    bool wait = false;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = instance->add_subcommand(action, description);
  sub->add_option("ID", args->ids, "instance ids")->required();
  sub->add_flag("--wait", args->wait, "return once the state change is complete");
  if (action == "stop") sub->add_flag("--force", args->force, "kill without a clean shutdown");
  OnSelected(sub, ctx, [&ctx, args, action] {
    auto make = [&](const std::string& id) {
      return InstanceActionRequest(id, action, args->wait, args->force);
    };
    return ctx.ActOnEach(RequestsForIds(args->ids, make), "Instance", InstanceStateColumns());
  });
}

void AddModify(CLI::App* instance, CliContext& ctx) {
  struct Args {
    std::string id;
    std::string type;
    std::vector<std::string> groups;
  };
  auto args = std::make_shared<Args>();
  CLI::App* modify = instance->add_subcommand("modify", "Change a stopped instance's type, or any instance's security groups");
  modify->add_option("ID", args->id, "instance id")->required();
  modify->add_option("--type", args->type, "the new instance type (stopped instances)");
  modify->add_option("--security-group", args->groups, "the instance's security groups from now on (repeatable, 1..5)");
  OnSelected(modify, ctx, [&ctx, args] {
    Result<ApiRequest> req = ModifyInstanceRequest(args->id, args->type, args->groups);
    if (!req.ok()) return ctx.UsageError(req.status());
    return ctx.ActOnEach({*req}, "Instance", InstanceStateColumns());
  });
}

void AddConsole(CLI::App* instance, CliContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* console = instance->add_subcommand("console", "Print an instance's console output");
  console->add_option("ID", *id, "instance id")->required();
  OnSelected(console, ctx, [&ctx, id] { return ctx.ShowText(ConsoleRequest(*id), "Output"); });
}

}  // namespace

void RegisterInstanceCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* instance = AddNoun(root, "instance", "Instances: list, inspect, change state, tag");
  AddList(instance, ctx);
  AddShow(instance, ctx);
  AddAction(instance, ctx, "stop", "Stop instances");
  AddAction(instance, ctx, "start", "Start stopped instances");
  AddAction(instance, ctx, "reboot", "Reboot instances");
  AddAction(instance, ctx, "terminate", "Terminate instances (they stay listed for an hour)");
  AddModify(instance, ctx);
  AddConsole(instance, ctx);
  AddTagCommands(instance, ctx, "instance", TagInstanceRequest, UntagInstanceRequest);
}

}  // namespace stratus::cli
