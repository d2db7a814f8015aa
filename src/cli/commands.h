// The `stratus` command line: one Register function per noun (cmd_<noun>.cc), each adding its
// subcommands to the root CLI11 app. A command only maps its flags to a request function of
// cli/requests.h and a CliContext method; adding a noun is a new cmd_<noun>.cc and one line in
// app.cc's kNouns.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace stratus::cli {

// stratus run IMAGE ...
void RegisterRunCommand(CLI::App& root, CliContext& ctx);
// stratus image list|show
void RegisterImageCommands(CLI::App& root, CliContext& ctx);
// stratus instance list|show|stop|start|reboot|terminate|modify|console|tag|untag
void RegisterInstanceCommands(CLI::App& root, CliContext& ctx);
// stratus instance-type list
void RegisterInstanceTypeCommands(CLI::App& root, CliContext& ctx);

// stratus vpc create|list|show|modify|delete, stratus subnet create|list|show|modify|delete, stratus sg
// create|list|show|rules|authorize|revoke|delete
void RegisterNetworkCommands(CLI::App& root, CliContext& ctx);
// stratus health
void RegisterHealthCommand(CLI::App& root, CliContext& ctx);
// stratus lb create|list|show|delete|listen|route and stratus tg create|list|show|delete|register|deregister|health
void RegisterLoadBalancerCommands(CLI::App& root, CliContext& ctx);
// stratus cert (cmd_cert.cc)
void RegisterCertCommands(CLI::App& root, CliContext& ctx);
// stratus template create|version|list|show|set-default|delete
void RegisterTemplateCommands(CLI::App& root, CliContext& ctx);
// stratus asg create|list|show|instances|activities|set-desired|terminate|delete|policy|refresh
void RegisterAsgCommands(CLI::App& root, CliContext& ctx);
// stratus metrics get|list|put
void RegisterMetricsCommands(CLI::App& root, CliContext& ctx);
// stratus alarm create|list|show|history|delete|set-state
void RegisterAlarmCommands(CLI::App& root, CliContext& ctx);
// stratus volume create|list|show|modify|delete|attach|detach|tag|untag
void RegisterVolumeCommands(CLI::App& root, CliContext& ctx);
void RegisterSnapshotCommands(CLI::App& root, CliContext& ctx);
// stratus cost
void RegisterCostCommand(CLI::App& root, CliContext& ctx);
// stratus admin backup|restore|df
void RegisterAdminCommands(CLI::App& root, CliContext& ctx);

// stratus doctor (cli/doctor.h)
void RegisterDoctorCommand(CLI::App& root, CliContext& ctx);

// Makes `action` the one to run when `sub` is the command given.
void OnSelected(CLI::App* sub, CliContext& ctx, std::function<int()> action);

// A noun: a subcommand that needs one of its own subcommands.
CLI::App* AddNoun(CLI::App& root, const std::string& name, const std::string& description);

// A verb that takes one or more ids or names and sends one request per argument: `stratus lb show NAME...`.
struct EachCommand {
  std::string name;         // "show", "delete"
  std::string description;  // the help line
  std::string arg;          // "NAME", "ID"
  std::string arg_help;     // "names or ARNs"
  std::function<ApiRequest(const std::string&)> request;  // the request for one argument
};

// Adds `cmd` to `noun`, printing each answer with the columns details() returns (read when the command runs;
// the object under `key`, or the whole answer when `key` is ""). Exit status as CliContext::ShowEach.
void AddShowEach(CLI::App* noun, CliContext& ctx, EachCommand cmd, std::string key,
                 std::function<Columns()> details);

// Adds `cmd` to `noun`, sending the requests in order with CliContext::SendEach (printing nothing on success).
void AddSendEach(CLI::App* noun, CliContext& ctx, EachCommand cmd);

// Adds `tag ID KEY=VALUE...` (one request from tag_request) and `untag ID KEY...` (one request per key) to
// `noun`; `what` names the object in the help ("instance").
using TagRequestFn = std::function<Result<ApiRequest>(const std::string& id, const std::vector<std::string>& tags)>;
using UntagRequestFn = std::function<ApiRequest(const std::string& id, const std::string& key)>;
void AddTagCommands(CLI::App* noun, CliContext& ctx, const std::string& what, TagRequestFn tag_request,
                    UntagRequestFn untag_request);

// Validates "KEY=VALUE" arguments with ParseKeyValue (CLI11 prefixes the flag's name).
CLI::Validator KeyValueValidator();

// Validates instance filters with ValidateInstanceFilter.
CLI::Validator InstanceFilterValidator();

}  // namespace stratus::cli
