// stratusd: the control plane and host agent. See docs/ and DESIGN.md.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/files.h"
#include "common/log.h"
#include "daemon/config_file.h"
#include "daemon/daemon.h"
#include "daemon/sd_notify.h"
#include "stratus_version.h"

namespace {

// Everything the command line (and the config file) can set.
struct Flags {
  stratus::DaemonOptions o;
  bool uninstall = false;
  bool print_config = false;
  std::string log_level = "info";
  std::string config = stratus::kDefaultConfigFile;
};

void AddFlags(CLI::App& app, Flags& f) {
  stratus::DaemonOptions& o = f.o;
  app.set_version_flag("--version", STRATUS_VERSION);
  app.add_option("--config", f.config,
                 "a file of `flag = value` lines (every flag below but --uninstall); the command line wins; a "
                 "missing default file is no error")
      ->capture_default_str();
  app.add_option("--state-dir", o.state_dir, "where the store, images and instances live")->capture_default_str();
  app.add_option("--listen", o.listen, "HOST:PORT of the REST and AWS API")->capture_default_str();
  app.add_option("--name", o.name, "prefix of every host resource (bridges, cgroups, nft table, netns)")
      ->capture_default_str();
  app.add_option("--vpc-cidr", o.vpc_cidr, "the default VPC's CIDR")->capture_default_str();
  app.add_option("--region", o.region, "the region name clients use")->capture_default_str();
  app.add_option("--lib-dir", o.lib_dir,
                 "where stratus-init, stratus-demo-web and stratus-lb are (default: beside stratusd, else "
                 "PREFIX/lib/stratus)");
  app.add_option("--instance-types", o.instance_types_file, "a JSON file of extra instance types");
  app.add_option("--metadata-port", o.metadata_port, "port of the metadata service (default: API port + 1)");
  app.add_option("--max-count", o.max_count, "most instances one launch may ask for")->capture_default_str();
  app.add_flag("--require-imds-tokens", o.require_imds_tokens, "IMDSv2 only: metadata GETs need a token");
  app.add_option("--runtime", o.runtime, "OCI runtime: runc or runsc")
      ->check(CLI::IsMember({"runc", "runsc"}))
      ->capture_default_str();
  app.add_option("--lb-bind-address", o.lb_bind_address, "address load balancer listeners bind (0.0.0.0: every interface)")
      ->capture_default_str();
  app.add_option("--lb-workers", o.lb_workers, "stratus-lb worker threads")->capture_default_str();
  app.add_option("--netns-pool", o.netns_pool,
                 "network namespaces kept connected to each subnet ahead of demand, so a launch skips the CNI "
                 "ADD (0: none)")
      ->check(CLI::Range(0, stratus::kMaxNetnsPool))
      ->capture_default_str();
  app.add_option("--console-log-cap", o.console_log_cap,
                 "bytes of each instance's console kept on disk (the latest; GetConsoleOutput shows the last 64 KiB)")
      ->check(CLI::Range(int64_t{128 * 1024}, int64_t{1} << 34))
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("--print-config", f.print_config,
               "print the settings in effect (defaults, config file, command line) as a config file, then exit");
  app.add_flag("--uninstall", f.uninstall,
               "remove every instance and host resource of --name (the VPC as the state dir recorded it), then exit");
}

// Flags that are actions or the file itself, not settings the file may hold.
bool IsSetting(const std::string& key) {
  return key != "config" && key != "uninstall" && key != "print-config" && key != "help" && key != "version";
}

// The settings in effect, in the config file's format (`stratusd --print-config`).
void PrintConfig(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_lnames().empty() || !IsSetting(opt->get_lnames()[0])) continue;
    std::string value;
    if (opt->count() > 0) {
      value = opt->results().back();
    } else {
      value = opt->get_expected_min() == 0 ? "false" : opt->get_default_str();
    }
    printf("%s = %s\n", opt->get_lnames()[0].c_str(), value.c_str());
  }
}

// Parses argv into `f`, settings of the config file first so that the command line overrides them.
// Returns the exit code when stratusd should exit now (help, version, a usage or config error: 2), else -1.
int ParseFlags(int argc, char** argv, Flags& f) {
  CLI::App first{"stratusd: the Stratus control plane and host agent"};
  AddFlags(first, f);
  try {
    first.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); a bad command line exits 2, as usage errors do.
    return first.exit(e) == 0 ? 0 : 2;
  }
  bool explicit_config = first.get_option("--config")->count() > 0;
  std::vector<std::string> args = {argv[0]};
  std::error_code ec;
  if (explicit_config || std::filesystem::exists(f.config, ec)) {
    auto text = stratus::ReadFile(f.config);
    if (!text.ok()) {
      fprintf(stderr, "stratusd: cannot read the config file %s: %s\n", f.config.c_str(), text.status().ToString().c_str());
      return 2;
    }
    auto entries = stratus::ParseConfigText(*text, f.config);
    if (!entries.ok()) {
      fprintf(stderr, "stratusd: %s\n", entries.status().message().c_str());
      return 2;
    }
    for (const auto& e : *entries) {
      CLI::Option* opt = first.get_option_no_throw("--" + e.key);
      if (!opt || !IsSetting(e.key)) {
        fprintf(stderr, "stratusd: %s\n",
                stratus::ConfigErrorAt(f.config, e, "not a stratusd setting (stratusd --help lists them)").c_str());
        return 2;
      }
      if (opt->count() > 0) continue;  // the command line wins
      // Each setting alone through the same parser, so that a bad value is reported with its line.
      std::string arg = "--" + e.key + "=" + e.value;
      Flags scratch;
      CLI::App trial;
      AddFlags(trial, scratch);
      std::vector<char*> trial_argv = {argv[0], arg.data()};
      try {
        trial.parse(static_cast<int>(trial_argv.size()), trial_argv.data());
      } catch (const CLI::ParseError& pe) {
        fprintf(stderr, "stratusd: %s\n", stratus::ConfigErrorAt(f.config, e, pe.what()).c_str());
        return 2;
      }
      args.push_back(arg);
    }
  }
  for (int i = 1; i < argc; i++) args.push_back(argv[i]);
  f = Flags{};
  CLI::App app{"stratusd: the Stratus control plane and host agent"};
  AddFlags(app, f);
  std::vector<char*> merged;
  for (auto& a : args) merged.push_back(a.data());
  try {
    app.parse(static_cast<int>(merged.size()), merged.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (f.print_config) {
    PrintConfig(app);
    return 0;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (int code = ParseFlags(argc, argv, flags); code >= 0) return code;
  stratus::DaemonOptions& o = flags.o;
  bool uninstall = flags.uninstall;
  const std::string& log_level = flags.log_level;

  if (log_level == "debug") stratus::SetLogLevel(stratus::LogLevel::kDebug);
  if (log_level == "warn") stratus::SetLogLevel(stratus::LogLevel::kWarn);
  if (log_level == "error") stratus::SetLogLevel(stratus::LogLevel::kError);

  if (uninstall) {
    stratus::Status st = stratus::Daemon::Uninstall(o);
    if (!st.ok()) {
      stratus::LogError("uninstall failed", {{"error", st.ToString()}});
      return 1;
    }
    return 0;
  }

  // Signals are taken by a dedicated thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  stratus::Daemon daemon(o);
  stratus::Status st = daemon.Start();
  if (!st.ok()) {
    stratus::LogError("stratusd failed to start", {{"error", st.ToString()}});
    // 3: the state store is newer than this binary (a downgrade); restarting cannot help (RestartPreventExitStatus).
    return st.error_code() == "StateStoreTooNew" ? 3 : 1;
  }
  // Type=notify units: ready once recovery is done and the API listens (docs/operations.md).
  stratus::NotifyServiceManager("READY=1\nSTATUS=serving on " + o.listen);
  std::thread waiter([&] {
    for (;;) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig == SIGPIPE) continue;
      stratus::LogInfo("stopping; instances keep running", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
      stratus::NotifyServiceManager("STOPPING=1");
      daemon.Shutdown();
      return;
    }
  });
  daemon.Wait();
  waiter.join();
  return 0;
}
