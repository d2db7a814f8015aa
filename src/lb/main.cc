// stratus-lb: the load balancer data plane. See docs/lb.md.
//   stratus-lb --config lb.json [--workers N] [--metrics-listen 127.0.0.1:9101] [--access-log FILE]
//   stratus-lb --control /run/stratus/lb.sock [--workers N] ...
// Started on the control socket of a running stratus-lb, it replaces that one without dropping a connection.
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "common/files.h"
#include "common/log.h"
#include "lb/control_server.h"
#include "lb/handover.h"
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
  int64_t access_log_max = 64 << 20;
  app.add_option("--access-log", access_log, "append an access log line per request to this file");
  app.add_option("--access-log-max", access_log_max,
                 "bytes of access log kept on disk: FILE rotates to FILE.1 at half of it (0: no limit)")
      ->capture_default_str();
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

  stratus::lb::LoadBalancer lb(workers, access_log, access_log_max);
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
    // A stratus-lb already serving on this control socket is replaced (lb/handover.h): take its listening sockets
    // and configuration, own the control path, then let it drain.
    auto inherited = stratus::lb::handover::TakeOver(control_path, 10000);
    if (!inherited.ok()) return Fail(inherited.status());
    if (*inherited) {
      lb.Inherit(std::move((*inherited)->sockets));
      st = lb.Apply((*inherited)->config);
      if (!st.ok()) return Fail(st.WithContext("configuration handed over"));
      lb.SeedHealth((*inherited)->targets);
    }
    st = control.ListenControl(control_path);
    if (!st.ok()) return Fail(st);
    if (*inherited) {
      st = stratus::lb::handover::Release(**inherited, 10000);
      if (!st.ok()) return Fail(st);
      stratus::LogInfo("took over from the previous stratus-lb", {{"pid", std::to_string((*inherited)->old_pid)}});
    }
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
