// stratus vpc list, stratus subnet list
#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

void RegisterNetworkCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* vpc = AddNoun(root, "vpc", "Virtual networks");
  OnSelected(vpc->add_subcommand("list", "List VPCs"), ctx,
             [&ctx] { return ctx.List(ListVpcsRequest(), "Vpcs", VpcColumns()); });

  CLI::App* subnet = AddNoun(root, "subnet", "Subnets of the VPCs");
  OnSelected(subnet->add_subcommand("list", "List subnets"), ctx,
             [&ctx] { return ctx.List(ListSubnetsRequest(), "Subnets", SubnetColumns()); });
}

}  // namespace stratus::cli
