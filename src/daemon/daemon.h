// Daemon: stratusd's components, wired together, started in order and stopped in reverse.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace stratus {

// One pooled namespace per subnet: the instance service spreads launches round-robin over the
// subnets, so a sequential launcher finds each subnet's namespace refilled (one CNI ADD, ~25 ms) two
// launches after it took it; a second one would only serve the first few instances of a burst.
constexpr int kDefaultNetnsPool = 1;
// More would only hold addresses nobody asked for.
constexpr int kMaxNetnsPool = 64;

struct DaemonOptions {
  std::string state_dir = "/var/lib/stratus";
  std::string listen = "127.0.0.1:7600";
  std::string name = "stratus";         // prefix of every host resource this daemon creates
  std::string vpc_cidr = "172.31.0.0/16";
  std::string region = "local";
  std::string lib_dir;                  // where stratus-init, stratus-demo-web, stratus-lb are; default: beside stratusd
  std::string instance_types_file;      // extra instance types (JSON)
  int metadata_port = 0;                // 0: the API port + 1
  int max_count = 100;
  bool require_imds_tokens = false;
  std::string runtime = "runc";
  std::string lb_bind_address = "127.0.0.1";  // where load balancer listeners bind
  int lb_workers = 1;
  // Network namespaces kept connected to each subnet ahead of demand (0: none). See docs/network.md.
  int netns_pool = kDefaultNetnsPool;
  // Most bytes of an instance's console kept on disk (console.log + console.log.1, the latest output).
  int64_t console_log_cap = 1 << 20;
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();

  // Opens the state, sets up the host network, reconciles instances and starts serving. Call while
  // the process has one thread: it moves the process into the daemon's mount namespace (daemon_mounts.h).
  Status Start();

  // Serves until Shutdown() (or SIGTERM/SIGINT in main); instances keep running afterwards.
  void Wait();
  void Shutdown();

  // Removes every host resource of this daemon's name (instances, network, mounts, cgroups): for tests
  // and `stratusd --uninstall`. Call while the process has one thread, as Start.
  static Status Uninstall(const DaemonOptions& options);

 private:
  struct Parts;
  static Status StartAwsEndpoint(Parts& p, const DaemonOptions& o);
  static Status StartCloudWatch(Parts& p, const DaemonOptions& o);
  static Status StartVolumes(Parts& p, const DaemonOptions& o);
  DaemonOptions options_;
  std::unique_ptr<Parts> parts_;
  std::atomic<bool> stopping_{false};
};

}  // namespace stratus
