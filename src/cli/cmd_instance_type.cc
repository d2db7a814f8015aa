// stratus instance-type list
#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

void RegisterInstanceTypeCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* types = AddNoun(root, "instance-type", "Instance types (sizes)");
  CLI::App* list = types->add_subcommand("list", "List instance types");
  OnSelected(list, ctx, [&ctx] {
    return ctx.List(ListInstanceTypesRequest(), "InstanceTypes", InstanceTypeColumns());
  });
}

}  // namespace stratus::cli
