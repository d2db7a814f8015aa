// stratus-lb: the load balancer data plane. See docs/lb.md.
//   stratus-lb --config lb.json [--workers N] [--metrics-listen 127.0.0.1:9101] [--access-log FILE]
//   stratus-lb --control /run/stratus/lb.sock [--workers N] ...
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "common/files.h"
#include "common/log.h"
#include "lb/control_server.h"
#include "lb/load_balancer.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

void RaiseFdLimit() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int Fail(const stratus::Status& st) {
  std::fprintf(stderr, "stratus-lb: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stratus-lb: HTTP/1.1 and TCP load balancer data plane"};
  std::string config_path, control_path, metrics_listen, access_log, log_level = "info";
  int workers = 1;
  app.add_option("--config", config_path, "JSON configuration file (standalone mode)");
  app.add_option("--control", control_path, "unix socket on which stratusd sends configuration snapshots");
  app.add_option("--workers", workers, "worker threads (event loops)")->check(CLI::Range(1, 64));
  app.add_option("--metrics-listen", metrics_listen, "serve Prometheus metrics on ip:port");
  app.add_option("--access-log", access_log, "append an access log line per request to this file");
  app.add_option("--log-level", log_level, "debug|info|warn|error");
  CLI11_PARSE(app, argc, argv);
  if (config_path.empty() && control_path.empty()) {
    std::fprintf(stderr, "stratus-lb: give --config FILE or --control SOCKET (or both)\n");
    return 2;
  }
  if (log_level == "debug") stratus::SetLogLevel(stratus::LogLevel::kDebug);
  if (log_level == "warn") stratus::SetLogLevel(stratus::LogLevel::kWarn);
  if (log_level == "error") stratus::SetLogLevel(stratus::LogLevel::kError);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);  // outlive the terminal / session of whoever started us (stratusd may die)
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  RaiseFdLimit();

  stratus::lb::LoadBalancer lb(workers, access_log);
  stratus::Status st = lb.Start();
  if (!st.ok()) return Fail(st);
  if (!config_path.empty()) {
    auto text = stratus::ReadFile(config_path);
    if (!text.ok()) return Fail(text.status());
    auto cfg = stratus::lb::ParseConfigText(*text);
    if (!cfg.ok()) return Fail(cfg.status().WithContext(config_path));
    st = lb.Apply(*cfg);
    if (!st.ok()) return Fail(st);
  }
  stratus::lb::ControlServer control(&lb);
  if (!control_path.empty()) {
    st = control.ListenControl(control_path);
    if (!st.ok()) return Fail(st);
  }
  if (!metrics_listen.empty()) {
    st = control.ListenMetrics(metrics_listen);
    if (!st.ok()) return Fail(st);
  }
  stratus::LogInfo("stratus-lb running", {{"workers", std::to_string(workers)}, {"control", control_path},
                                          {"config", config_path}});
  control.Run(g_stop);
  stratus::LogInfo("stratus-lb stopping");
  return 0;
}
