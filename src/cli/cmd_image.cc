// stratus image list|show|build|create|delete|tag|untag|export|import|prune (docs/images.md)
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/requests.h"
#include "cli/views.h"

namespace stratus::cli {
namespace {

std::string ImagePath(const std::string& id, const std::string& suffix = "") {
  return "/v1/images/" + EscapePathSegment(id) + suffix;
}

// "K=V" strings -> [{"Key": K, "Value": V}]; InvalidArgument on bad syntax.
Result<Json> TagsJson(const std::vector<std::string>& tags) {
  Json a = Json::array();
  for (const auto& t : tags) {
    STRATUS_ASSIGN_OR_RETURN(KeyValue kv, ParseKeyValue(t, "--tag"));
    a.push_back({{"Key", kv.key}, {"Value", kv.value}});
  }
  return a;
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

// Sends `request` and prints the response's `field` (table mode) or the response (JSON mode).
int PrintField(CliContext& ctx, const ApiRequest& request, const std::string& field) {
  auto r = ctx.Call(request);
  if (!r.ok()) return ctx.Failure(r.status());
  if (ctx.json_output()) {
    ctx.PrintJson(*r);
  } else if (r->contains(field)) {
    const Json& v = (*r)[field];
    ctx.out() << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
  return kExitOk;
}

struct BuildArgs {
  std::string file;
  std::string name;
  std::string context;
  std::string description;
  std::vector<std::string> tags;
  bool quiet = false;
};

// Starts the build, prints its progress lines (on stderr) as they come, then the image id.
int RunBuild(CliContext& ctx, const BuildArgs& a) {
  std::ifstream in(a.file);
  if (!in) return ctx.UsageError(InvalidArgument("cannot read recipe " + a.file));
  std::stringstream recipe;
  recipe << in.rdbuf();
  auto tags = TagsJson(a.tags);
  if (!tags.ok()) return ctx.UsageError(tags.status());
  std::string context = Absolute(a.context.empty() ? std::filesystem::path(Absolute(a.file)).parent_path().string() : a.context);
  std::string name = a.name;
  if (name.empty()) name = std::filesystem::path(a.file).stem().string();
  Json body = {{"Recipe", recipe.str()}, {"ContextDir", context}, {"Name", name}, {"Tags", *tags}};
  if (!a.description.empty()) body["Description"] = a.description;
  auto started = ctx.Call(ApiRequest{"POST", "/v1/images/builds", {}, body});
  if (!started.ok()) return ctx.Failure(started.status());
  std::string id = started->value("BuildId", "");
  size_t next = 0;
  Json status = *started;
  for (int polls = 0; polls < 100000; polls++) {  // bounded: each poll waits up to 10 s server-side
    for (const auto& line : status.value("Lines", Json::array())) {
      if (!a.quiet && !ctx.json_output()) ctx.err() << line.get<std::string>() << "\n";
    }
    next = status.value("Next", next);
    if (status.value("State", "running") != "running") break;
    auto r = ctx.Call(ApiRequest{"GET", "/v1/images/builds/" + EscapePathSegment(id),
                                 {{"from", std::to_string(next)}, {"wait", "1"}}, std::nullopt});
    if (!r.ok()) return ctx.Failure(r.status());
    status = *r;
  }
  if (ctx.json_output()) {
    ctx.PrintJson(status);
    return status.value("State", "") == "succeeded" ? kExitOk : kExitFailure;
  }
  if (status.value("State", "") != "succeeded") return kExitFailure;  // the error was the last line
  ctx.out() << status.value("ImageId", "") << "\n";
  return kExitOk;
}

void AddBuild(CLI::App* image, CliContext& ctx) {
  auto a = std::make_shared<BuildArgs>();
  CLI::App* build = image->add_subcommand("build", "Build an image from a recipe; prints its id");
  build->add_option("FILE", a->file, "recipe file")->required();
  build->add_option("--name", a->name, "image name (default: the recipe file's name without extension)");
  build->add_option("--context", a->context, "build context dir for file steps (default: the recipe's dir)");
  build->add_option("--description", a->description, "image description");
  build->add_option("--tag", a->tags, "tag KEY=VALUE (repeatable)")->check(KeyValueValidator());
  build->add_flag("-q,--quiet", a->quiet, "no progress lines");
  OnSelected(build, ctx, [&ctx, a] { return RunBuild(ctx, *a); });
}

void AddCreate(CLI::App* image, CliContext& ctx) {
  struct Args {
    std::string instance, name, description;
    std::vector<std::string> tags;
  };
  auto a = std::make_shared<Args>();
  CLI::App* create = image->add_subcommand("create", "Create an image from an instance (EC2 CreateImage); prints its id");
  create->add_option("INSTANCE_ID", a->instance, "a running or stopped instance")->required();
  create->add_option("--name", a->name, "image name")->required();
  create->add_option("--description", a->description, "image description");
  create->add_option("--tag", a->tags, "tag KEY=VALUE (repeatable)")->check(KeyValueValidator());
  OnSelected(create, ctx, [&ctx, a] {
    auto tags = TagsJson(a->tags);
    if (!tags.ok()) return ctx.UsageError(tags.status());
    Json body = {{"InstanceId", a->instance}, {"Name", a->name}, {"Description", a->description}, {"Tags", *tags}};
    return PrintField(ctx, ApiRequest{"POST", "/v1/images", {}, body}, "ImageId");
  });
}

void AddDeleteAndTags(CLI::App* image, CliContext& ctx) {
  AddSendEach(image, ctx,
              {"delete", "Deregister images (refused while an instance uses one)", "ID", "image ids or names",
               [](const std::string& id) { return MakeRequest("DELETE", ImagePath(id)); }});

  struct TagArgs {
    std::string id;
    std::vector<std::string> tags;
  };
  auto t = std::make_shared<TagArgs>();
  CLI::App* tag = image->add_subcommand("tag", "Add or replace tags of an image");
  tag->add_option("ID", t->id, "image id or name")->required();
  tag->add_option("TAG", t->tags, "KEY=VALUE ...")->required()->check(KeyValueValidator());
  OnSelected(tag, ctx, [&ctx, t] {
    auto tags = TagsJson(t->tags);
    if (!tags.ok()) return ctx.UsageError(tags.status());
    return ctx.SendEach({ApiRequest{"POST", ImagePath(t->id, "/tags"), {}, Json{{"Tags", *tags}}}});
  });

  auto u = std::make_shared<TagArgs>();
  CLI::App* untag = image->add_subcommand("untag", "Remove tags of an image");
  untag->add_option("ID", u->id, "image id or name")->required();
  untag->add_option("KEY", u->tags, "tag keys")->required();
  OnSelected(untag, ctx, [&ctx, u] {
    ApiRequest r{"DELETE", ImagePath(u->id, "/tags"), {}, std::nullopt};
    for (const auto& k : u->tags) r.query.emplace_back("key", k);
    return ctx.SendEach({r});
  });
}

void AddOci(CLI::App* image, CliContext& ctx) {
  struct Args {
    std::string id, path, name, ref;
  };
  auto e = std::make_shared<Args>();
  CLI::App* exp = image->add_subcommand("export", "Export an image as an OCI image layout (DIR, or FILE.tar)");
  exp->add_option("ID", e->id, "image id or name")->required();
  exp->add_option("PATH", e->path, "a new directory, or a .tar file")->required();
  OnSelected(exp, ctx, [&ctx, e] {
    return PrintField(ctx, ApiRequest{"POST", ImagePath(e->id, "/export"), {}, Json{{"Path", Absolute(e->path)}}}, "Path");
  });

  auto i = std::make_shared<Args>();
  CLI::App* imp = image->add_subcommand("import", "Import an OCI image layout (DIR or FILE.tar); prints the image id");
  imp->add_option("PATH", i->path, "layout directory or archive")->required();
  imp->add_option("--name", i->name, "image name (default: the layout's ref name)");
  imp->add_option("--ref", i->ref, "which tagged image of the layout (default: the only one)");
  OnSelected(imp, ctx, [&ctx, i] {
    Json body = {{"Path", Absolute(i->path)}, {"Name", i->name}, {"Ref", i->ref}};
    return PrintField(ctx, ApiRequest{"POST", "/v1/images/import", {}, body}, "ImageId");
  });

  CLI::App* prune = image->add_subcommand("prune", "Remove layers no image uses");
  OnSelected(prune, ctx, [&ctx] {
    auto r = ctx.Call(ApiRequest{"POST", "/v1/images/prune", {}, Json::object()});
    if (!r.ok()) return ctx.Failure(r.status());
    if (ctx.json_output()) {
      ctx.PrintJson(*r);
    } else {
      ctx.out() << "removed " << r->value("RemovedLayers", Json::array()).size() << " layer(s), "
                << r->value("FreedBytes", 0ULL) / 1024 << " KiB\n";
    }
    return kExitOk;
  });
}

}  // namespace

void RegisterImageCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* image = AddNoun(root, "image", "Machine images");

  CLI::App* list = image->add_subcommand("list", "List images");
  OnSelected(list, ctx, [&ctx] {
    return ctx.List(ListImagesRequest(), "Images", ImageColumns(ctx.now()));
  });

  AddShowEach(image, ctx, {"show", "Show images in detail", "ID", "image ids or names", ShowImageRequest}, "Image",
              [&ctx] { return ImageDetails(ctx.now()); });

  AddBuild(image, ctx);
  AddCreate(image, ctx);
  AddDeleteAndTags(image, ctx);
  AddOci(image, ctx);
}

}  // namespace stratus::cli
