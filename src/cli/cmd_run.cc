// stratus run IMAGE: launch instances.
#include <memory>

#include "cli/commands.h"
#include "cli/requests.h"

namespace stratus::cli {

void RegisterRunCommand(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<LaunchArgs>();
  CLI::App* run = root.add_subcommand("run", "Launch instances of an image; prints their ids");
  run->add_option("IMAGE", args->image, "image id or name")->required();
  run->add_option("--type", args->instance_type, "instance type (default: the daemon's)")
      ->type_name("TYPE");;
  run->add_option("--count", args->count, "how many instances")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  run->add_option("--user-data", args->user_data_file, "file run once at first boot (<= 16 KiB)")
      ->type_name("FILE");
  run->add_option("--tag", args->tags, "tag KEY=VALUE (repeatable)")
      ->check(KeyValueValidator());
  run->add_option("--sysctl", args->sysctls, "sysctl KEY=VALUE (repeatable)")
      ->check(KeyValueValidator());
  run->add_option("--security-group", args->security_groups, "security group id (repeatable; default: the VPC's default group)");
  run->add_option("--subnet", args->subnet, "subnet id (default: the default subnet)")
      ->type_name("SUBNET");;
  run->add_flag("--wait", args->wait, "return once every instance is running (or failed)");
  OnSelected(run, ctx, [&ctx, args] {
    if (!args->wait) return ctx.Create(LaunchRequest(*args), "Instances", "/InstanceId");
    // --wait promises running instances: one that ended instead (a boot that failed: terminated) fails the
    // command, with the reason stratusd recorded.
    Result<ApiRequest> request = LaunchRequest(*args);
    if (!request.ok()) return ctx.UsageError(request.status());
    Result<Json> response = ctx.Call(*request);
    if (!response.ok()) return ctx.Failure(response.status());
    if (ctx.json_output()) {
      ctx.PrintJson(*response);
    }
    int code = kExitOk;
    for (const Json& i : response->value("Instances", Json::array())) {
      std::string state = i.contains("State") ? i["State"].value("Name", "") : "";
      if (!ctx.json_output()) ctx.out() << i.value("InstanceId", "") << "\n";
      if (state == "terminated" || state == "shutting-down" || state == "stopped" || state == "stopping") {
        ctx.err() << "error: " << i.value("InstanceId", "") << " is " << state << ": "
                  << i.value("StateReason", std::string("no reason recorded")) << "\n";
        code = kExitFailure;
      }
    }
    return code;
  });
}

}  // namespace stratus::cli
