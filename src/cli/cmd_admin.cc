// stratus admin backup|restore|df (docs/operations.md): backup and df ask stratusd; restore works on the state dir
// of a stopped installation, without stratusd.
#include <iomanip>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/doctor.h"
#include "common/base64.h"
#include "common/files.h"
#include "daemon/backup.h"
#include "daemon/config_file.h"

namespace stratus::cli {

namespace {

std::string HumanBytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(u == 0 ? 0 : 1) << v << " " << units[u];
  return s.str();
}

void RegisterBackup(CLI::App* admin, CliContext& ctx) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = admin->add_subcommand(
      "backup", "Write a consistent copy of the state store (instances, images, VPC, load balancers, groups, "
                "templates, alarms) to FILE while the cloud runs");
  cmd->add_option("FILE", *file, "the backup file to write")->required();
  OnSelected(cmd, ctx, [&ctx, file] {
    auto r = ctx.Call({"GET", "/v1/admin/backup", {}, std::nullopt});
    if (!r.ok()) return ctx.Failure(r.status());
    auto data = Base64Decode(r->value("Data", ""));
    if (!data.ok()) return ctx.Failure(data.status().WithContext("the backup stratusd sent"));
    Status st = WriteFileAtomic(*file, *data, 0600);  // it holds user data and secrets
    if (!st.ok()) return ctx.Failure(st);
    ctx.out() << "backed up installation " << r->value("Installation", "") << " (store schema "
              << r->value("SchemaVersion", 0) << ", " << HumanBytes(static_cast<int64_t>(data->size())) << ") to "
              << *file << "\n";
    return kExitOk;
  });
}

void RegisterRestore(CLI::App* admin, CliContext& ctx) {
  struct Args {
    std::string file, config = kDefaultConfigFile, state_dir, name;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = admin->add_subcommand(
      "restore", "Replace the state store of a stopped installation by a backup; the next stratusd start "
                 "reconciles the host with it");
  cmd->add_option("FILE", a->file, "a file written by `stratus admin backup`")->required();
  cmd->add_option("--config", a->config, "stratusd's config file, for its state-dir and name")->capture_default_str();
  cmd->add_option("--state-dir", a->state_dir, "the installation's state dir (default: the config's)");
  cmd->add_option("--name", a->name, "the installation's name (default: the config's)");
  cmd->add_flag("--force", a->force, "restore a backup of an installation of another name (it takes this name)");
  OnSelected(cmd, ctx, [&ctx, a] {
    DoctorOptions settings;  // the defaults of stratusd, then its config file
    ReadDaemonConfig(a->config, settings);
    RestoreOptions o;
    o.backup = a->file;
    o.state_dir = a->state_dir.empty() ? settings.state_dir : a->state_dir;
    o.name = a->name.empty() ? settings.name : a->name;
    o.force = a->force;
    auto r = RestoreBackup(o);
    if (!r.ok()) return ctx.Failure(r.status());
    ctx.out() << "restored " << o.state_dir << "/stratus.db from " << o.backup << " (installation "
              << (r->backup_name.empty() ? "unnamed" : r->backup_name) << ": " << r->instances << " instance(s), "
              << r->images << " image(s))\n";
    if (!r->previous.empty()) ctx.out() << "the replaced store is kept as " << r->previous << "\n";
    ctx.out() << "start stratusd: it reconciles the host with the restored store\n";
    return kExitOk;
  });
}

void RegisterDf(CLI::App* admin, CliContext& ctx) {
  CLI::App* cmd = admin->add_subcommand("df", "Show what uses the state dir's disk: store, images, instances, "
                                              "metrics, logs");
  OnSelected(cmd, ctx, [&ctx] {
    auto r = ctx.Call({"GET", "/v1/admin/df", {}, std::nullopt});
    if (!r.ok()) return ctx.Failure(r.status());
    if (ctx.json_output()) {
      ctx.PrintJson(*r);
      return kExitOk;
    }
    ctx.out() << std::left << std::setw(11) << "KIND" << std::right << std::setw(11) << "SIZE" << "  WHAT\n";
    for (const auto& k : r->value("Usage", Json::array())) {
      ctx.out() << std::left << std::setw(11) << k.value("Kind", "") << std::right << std::setw(11)
                << HumanBytes(k.value("Bytes", int64_t{0})) << "  " << k.value("What", "") << "\n";
    }
    ctx.out() << std::left << std::setw(11) << "total" << std::right << std::setw(11)
              << HumanBytes(r->value("TotalBytes", int64_t{0})) << "  ("
              << HumanBytes(r->value("FilesystemFreeBytes", int64_t{0})) << " free of "
              << HumanBytes(r->value("FilesystemBytes", int64_t{0})) << " on the filesystem)\n";
    return kExitOk;
  });
}

}  // namespace

void RegisterAdminCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* admin = root.add_subcommand("admin", "Operate the installation: backup, restore, disk use");
  admin->require_subcommand(1);
  RegisterBackup(admin, ctx);
  RegisterRestore(admin, ctx);
  RegisterDf(admin, ctx);
}

}  // namespace stratus::cli
