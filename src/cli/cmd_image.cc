// stratus image list|show
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {

void RegisterImageCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* image = AddNoun(root, "image", "Machine images");

  CLI::App* list = image->add_subcommand("list", "List images");
  OnSelected(list, ctx, [&ctx] {
    return ctx.List(ListImagesRequest(), "Images", ImageColumns(ctx.now()));
  });

  auto ids = std::make_shared<std::vector<std::string>>();
  CLI::App* show = image->add_subcommand("show", "Show images in detail");
  show->add_option("ID", *ids, "image ids or names")->required();
  OnSelected(show, ctx, [&ctx, ids] {
    return ctx.ShowEach(RequestsForIds(*ids, ShowImageRequest), "Image", ImageDetails(ctx.now()));
  });
}

}  // namespace stratus::cli
