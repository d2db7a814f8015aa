// The heart of stratus-init: PID 1 of every instance.
//
// Runs the instance's user data once per instance (when it starts with "#!"), starts the image's
// services and restarts them per policy, reaps every zombie, forwards SIGINT/SIGHUP to services,
// and on SIGTERM stops everything within the stop timeout (SIGTERM, then SIGKILL) and returns.
// It announces readiness by renaming <run dir>/ready.tmp to <run dir>/ready.
// Single-threaded; after start-up the event loop does not allocate.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/fd.h"
#include "init/init_config.h"

namespace stratus {

struct SupervisorOptions {
  std::string run_dir = kInstanceRunDir;      // holds init.json; ready is written here
  std::string user_data_marker = kUserDataMarker;
  bool is_pid1 = true;  // kill(-1, ...) at shutdown is only right for PID 1 of a PID namespace
};

class Supervisor {
 public:
  Supervisor(InitConfig config, SupervisorOptions options);

  // Blocks the signals init handles and opens its signalfd. Call before any child exists.
  bool Setup();

  // Starts user data and services, writes the ready file, then supervises until shutdown.
  // Returns the process exit code for init.
  int Run();

 private:
  struct Child {
    const ServiceSpec* spec = nullptr;  // null for user data
    pid_t pid = 0;
    int64_t started_ms = 0;
    int64_t restart_at_ms = 0;  // 0: not waiting to restart
    int failures = 0;           // consecutive quick exits, for backoff
  };

  void StartUserData();
  void MarkUserDataStarted();
  void StartService(Child& c, int64_t now);
  pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>* env);
  void WriteReady();
  void ReapChildren(int64_t now);
  void OnExit(Child& c, int status, int64_t now);
  void OnSignal(int sig, int64_t now);
  void BeginShutdown(int64_t now);
  void SignalAll(int sig);
  int PollTimeoutMs(int64_t now) const;
  void RestartDue(int64_t now);
  bool AnyChildLeft();

  InitConfig config_;
  SupervisorOptions options_;
  UniqueFd signal_fd_;
  sigset_t handled_;
  sigset_t original_mask_;
  std::vector<Child> services_;
  pid_t user_data_pid_ = 0;
  bool shutting_down_ = false;
  int64_t kill_deadline_ms_ = 0;
  bool killed_ = false;
};

// Monotonic milliseconds.
int64_t NowMs();

// Writes "stratus-init: <msg>\n" to stdout (the console log) with one write(2).
void InitLog(const std::string& msg);

}  // namespace stratus
