// stratusd: the control plane and host agent. See docs/ and DESIGN.md.
#include <signal.h>

#include <thread>

#include <CLI/CLI.hpp>

#include "common/log.h"
#include "daemon/daemon.h"

int main(int argc, char** argv) {
  stratus::DaemonOptions o;
  bool uninstall = false;
  std::string log_level = "info";
  CLI::App app{"stratusd: the Stratus control plane and host agent"};
  app.add_option("--state-dir", o.state_dir, "where the store, images and instances live")->capture_default_str();
  app.add_option("--listen", o.listen, "HOST:PORT of the REST and AWS API")->capture_default_str();
  app.add_option("--name", o.name, "prefix of every host resource (bridges, cgroups, nft table, netns)")
      ->capture_default_str();
  app.add_option("--vpc-cidr", o.vpc_cidr, "the default VPC's CIDR")->capture_default_str();
  app.add_option("--region", o.region, "the region name clients use")->capture_default_str();
  app.add_option("--lib-dir", o.lib_dir, "where stratus-init, stratus-demo-web and stratus-lb are (default: beside stratusd)");
  app.add_option("--instance-types", o.instance_types_file, "a JSON file of extra instance types");
  app.add_option("--metadata-port", o.metadata_port, "port of the metadata service (default: API port + 1)");
  app.add_option("--max-count", o.max_count, "most instances one launch may ask for")->capture_default_str();
  app.add_flag("--require-imds-tokens", o.require_imds_tokens, "IMDSv2 only: metadata GETs need a token");
  app.add_option("--runtime", o.runtime, "OCI runtime: runc or runsc")->capture_default_str();
  app.add_option("--lb-bind-address", o.lb_bind_address, "address load balancer listeners bind (0.0.0.0: every interface)")
      ->capture_default_str();
  app.add_option("--lb-workers", o.lb_workers, "stratus-lb worker threads")->capture_default_str();
  app.add_option("--netns-pool", o.netns_pool,
                 "network namespaces kept connected to each subnet ahead of demand, so a launch skips the CNI "
                 "ADD (0: none)")
      ->check(CLI::Range(0, stratus::kMaxNetnsPool))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  app.add_flag("--uninstall", uninstall, "remove every instance and host resource of --name, then exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); a bad command line exits 2, as usage errors do.
    return app.exit(e) == 0 ? 0 : 2;
  }

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
    return 1;
  }
  std::thread waiter([&] {
    for (;;) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig == SIGPIPE) continue;
      stratus::LogInfo("stopping; instances keep running", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
      daemon.Shutdown();
      return;
    }
  });
  daemon.Wait();
  waiter.join();
  return 0;
}
