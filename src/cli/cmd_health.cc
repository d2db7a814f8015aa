// stratus health
#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

void RegisterHealthCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* health = root.add_subcommand("health", "Check that stratusd answers");
  OnSelected(health, ctx, [&ctx] { return ctx.ShowEach({HealthRequest()}, "", HealthDetails()); });
}

}  // namespace stratus::cli
