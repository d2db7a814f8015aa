#include "elb/data_plane.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "common/files.h"
#include "common/log.h"

extern char** environ;

namespace stratus::elb {

namespace {

// Whether process `pid` runs another executable than `binary` (another path, or the same path since replaced
// by a package upgrade: /proc/PID/exe then points to the deleted old file).
bool RunsAnotherBinary(int pid, const std::string& binary) {
  struct stat running, installed;
  if (pid <= 0 || stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &running) != 0) return false;
  if (stat(binary.c_str(), &installed) != 0) return false;
  return running.st_dev != installed.st_dev || running.st_ino != installed.st_ino;
}

}  // namespace

LbProcess::LbProcess(LbProcessOptions options) : options_(std::move(options)) {}

Result<int> LbProcess::Spawn() {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, options_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  // Its own session: a signal to stratusd's process group (Ctrl-C, a service manager) does not reach it.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string workers = std::to_string(options_.workers);
  std::vector<const char*> argv = {options_.binary.c_str(), "--control", options_.socket_path.c_str(),
                                   "--workers", workers.c_str(), nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, options_.binary.c_str(), &fa, &attr, const_cast<char**>(argv.data()), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Unavailable("cannot start " + options_.binary + ": " + strerror(rc));
  // Reap it if it exits while stratusd lives; after a stratusd restart it is init's child.
  std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
  Status st = WriteFileAtomic(options_.socket_path + ".pid", std::to_string(pid), 0644);
  if (!st.ok()) LogWarn("cannot write stratus-lb pid file", {{"error", st.ToString()}});
  LogInfo("started stratus-lb", {{"pid", std::to_string(pid)}, {"socket", options_.socket_path}});
  return static_cast<int>(pid);
}

Status LbProcess::EnsureConnected() {
  if (client_) return Status::Ok();
  auto client = lb::ControlClient::Connect(options_.socket_path, 2000);
  if (client.ok() && (*client)->hello_pid() > 0 && RunsAnotherBinary((*client)->hello_pid(), options_.binary) &&
      !replaced_) {
    // An upgrade: the new stratus-lb takes the listening sockets over from the running one (lb/handover.h).
    int old_pid = (*client)->hello_pid();
    LogInfo("replacing stratus-lb by " + options_.binary, {{"old_pid", std::to_string(old_pid)}});
    (*client).reset();
    replaced_ = true;  // once per stratusd run: a failed hand-over leaves the old one serving
    STRATUS_ASSIGN_OR_RETURN(int pid, Spawn());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      client = lb::ControlClient::Connect(options_.socket_path, 2000);
    } while ((!client.ok() || (*client)->hello_pid() == old_pid) && kill(pid, 0) == 0 &&
             std::chrono::steady_clock::now() < deadline);
    if (!client.ok()) return client.status().WithContext("replacing stratus-lb (see " + options_.log_path + ")");
  } else if (!client.ok()) {
    STRATUS_RETURN_IF_ERROR(Spawn().status());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      client = lb::ControlClient::Connect(options_.socket_path, 2000);
    } while (!client.ok() && std::chrono::steady_clock::now() < deadline);
    if (!client.ok()) return client.status().WithContext("stratus-lb did not come up (see " + options_.log_path + ")");
  }
  client_ = std::move(*client);
  return Status::Ok();
}

Status LbProcess::Apply(const lb::LbConfig& config) {
  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < 2; attempt++) {
    STRATUS_RETURN_IF_ERROR(EnsureConnected());
    Status st = client_->Apply(config);
    if (st.ok() || st.code() == Code::kInvalidArgument) return st;
    if (st.code() == Code::kUnavailable && st.message().find("in use") != std::string::npos) return st;
    client_.reset();  // the connection broke (stratus-lb restarted?): reconnect and resend
    if (attempt == 1) return st;
  }
  return Status::Ok();
}

Result<lb::LbStatus> LbProcess::GetStatus() {
  std::lock_guard lock(mu_);
  STRATUS_RETURN_IF_ERROR(EnsureConnected());
  auto st = client_->GetStatus();
  if (!st.ok()) client_.reset();
  return st;
}

Result<std::string> LbProcess::GetPrometheus() {
  std::lock_guard lock(mu_);
  STRATUS_RETURN_IF_ERROR(EnsureConnected());
  auto text = client_->GetPrometheus();
  if (!text.ok()) client_.reset();
  return text;
}

uint64_t LbProcess::RunningVersion() {
  std::lock_guard lock(mu_);
  if (!EnsureConnected().ok()) return 0;
  auto st = client_->GetStatus();
  if (!st.ok()) {
    client_.reset();
    return 0;
  }
  return st->version;
}

Status LbProcess::StopProcess(const std::string& socket_path) {
  auto pid_text = ReadFile(socket_path + ".pid");
  if (!pid_text.ok()) return Status::Ok();
  pid_t pid = atoi(pid_text->c_str());
  if (pid > 1) {
    // Only signal it if it still is stratus-lb (the pid may have been reused).
    auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmdline.ok() && cmdline->find("stratus-lb") != std::string::npos) {
      kill(pid, SIGTERM);
      for (int i = 0; i < 100 && kill(pid, 0) == 0; i++) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (kill(pid, 0) == 0) kill(pid, SIGKILL);
    }
  }
  unlink((socket_path + ".pid").c_str());
  unlink(socket_path.c_str());
  return Status::Ok();
}

}  // namespace stratus::elb
