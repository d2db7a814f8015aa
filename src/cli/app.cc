#include "cli/app.h"

#include <memory>
#include <vector>

#include "cli/commands.h"
#include "cli/requests.h"
#include "stratus_version.h"

namespace stratus::cli {

namespace {

using RegisterFn = void (*)(CLI::App&, CliContext&);

// Every noun of the command line, in the order `stratus --help` lists them.
constexpr RegisterFn kNouns[] = {
    RegisterRunCommand,
    RegisterInstanceCommands,
    RegisterImageCommands,
    RegisterVolumeCommands,
    RegisterSnapshotCommands,
    RegisterInstanceTypeCommands,
    RegisterNetworkCommands,
    RegisterLoadBalancerCommands,
    RegisterCertCommands,
    RegisterTemplateCommands,
    RegisterAsgCommands,
    RegisterMetricsCommands,
    RegisterAlarmCommands,
    RegisterCostCommand,
    RegisterHealthCommand,
    RegisterDoctorCommand,
    RegisterAdminCommands,
};

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.add_option("--endpoint", options.endpoint,
                 "stratusd's API: http://HOST:PORT or unix:///PATH (default $STRATUS_ENDPOINT, "
                 "else http://127.0.0.1:7600)");
  app.add_option("--token", options.token,
                 "API token (default $STRATUS_TOKEN, else $STRATUS_STATE_DIR/api-token, else "
                 "/var/lib/stratus/api-token)");
  app.add_option("-o,--output", options.output, "output format: table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", options.timeout_seconds, "seconds to wait for a response")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
}

}  // namespace

void OnSelected(CLI::App* sub, CliContext& ctx, std::function<int()> action) {
  sub->callback([&ctx, action = std::move(action)] { ctx.SetAction(action); });
}

CLI::App* AddNoun(CLI::App& root, const std::string& name, const std::string& description) {
  CLI::App* noun = root.add_subcommand(name, description);
  noun->require_subcommand(1);
  return noun;
}

namespace {

// The subcommand of `cmd` with its required arguments, stored in `args`.
CLI::App* AddEachCommand(CLI::App* noun, const EachCommand& cmd, std::vector<std::string>& args) {
  CLI::App* sub = noun->add_subcommand(cmd.name, cmd.description);
  sub->add_option(cmd.arg, args, cmd.arg_help)->required();
  return sub;
}

}  // namespace

void AddShowEach(CLI::App* noun, CliContext& ctx, EachCommand cmd, std::string key,
                 std::function<Columns()> details) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = AddEachCommand(noun, cmd, *args);
  OnSelected(sub, ctx, [&ctx, args, request = std::move(cmd.request), key = std::move(key),
                        details = std::move(details)] {
    return ctx.ShowEach(RequestsForIds(*args, request), key, details());
  });
}

void AddSendEach(CLI::App* noun, CliContext& ctx, EachCommand cmd) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = AddEachCommand(noun, cmd, *args);
  OnSelected(sub, ctx, [&ctx, args, request = std::move(cmd.request)] {
    return ctx.SendEach(RequestsForIds(*args, request));
  });
}

void AddTagCommands(CLI::App* noun, CliContext& ctx, const std::string& what, TagRequestFn tag_request,
                    UntagRequestFn untag_request) {
  struct Args {
    std::string id;
    std::vector<std::string> items;
  };
  auto tag_args = std::make_shared<Args>();
  CLI::App* tag = noun->add_subcommand("tag", "Add or replace tags");
  tag->add_option("ID", tag_args->id, what + " id")->required();
  tag->add_option("TAG", tag_args->items, "KEY=VALUE")->required()->check(KeyValueValidator());
  OnSelected(tag, ctx, [&ctx, tag_args, tag_request = std::move(tag_request)] {
    Result<ApiRequest> request = tag_request(tag_args->id, tag_args->items);
    if (!request.ok()) return ctx.UsageError(request.status());
    return ctx.SendEach({*request});
  });

  auto untag_args = std::make_shared<Args>();
  CLI::App* untag = noun->add_subcommand("untag", "Remove tags");
  untag->add_option("ID", untag_args->id, what + " id")->required();
  untag->add_option("KEY", untag_args->items, "tag keys")->required();
  OnSelected(untag, ctx, [&ctx, untag_args, untag_request = std::move(untag_request)] {
    auto make = [&](const std::string& key) { return untag_request(untag_args->id, key); };
    return ctx.SendEach(RequestsForIds(untag_args->items, make));
  });
}

CLI::Validator KeyValueValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<KeyValue> kv = ParseKeyValue(text, "");
        return kv.ok() ? std::string() : kv.status().message();
      },
      "KEY=VALUE", "KeyValue");
}

CLI::Validator InstanceFilterValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Status st = ValidateInstanceFilter(text, "");
        return st.ok() ? std::string() : st.message();
      },
      "NAME=VALUE", "InstanceFilter");
}

int RunCli(int argc, const char* const* argv, CliEnv env) {
  CliContext ctx(std::move(env));
  CLI::App app("stratus: the command line of a Stratus compute cloud", "stratus");
  app.fallthrough();  // global options are accepted after any subcommand too
  app.require_subcommand(1);
  app.set_version_flag("--version", STRATUS_VERSION);
  AddGlobalOptions(app, ctx.options());
  for (RegisterFn add : kNouns) add(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, ctx.out(), ctx.err());
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!ctx.action()) {
    ctx.err() << app.help();
    return kExitUsage;
  }
  if (Status st = ctx.Connect(); !st.ok()) return ctx.UsageError(st);
  return ctx.action()();
}

}  // namespace stratus::cli
