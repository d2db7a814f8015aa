#include "init/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stratus {
namespace {

constexpr int64_t kMaxBackoffMs = 10000;
constexpr int64_t kHealthyRunMs = 10000;  // a service that ran this long restarts without delay

std::string ExitText(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

bool Failed(int status) { return !WIFEXITED(status) || WEXITSTATUS(status) != 0; }

// True when `path` exists and begins with "#!".
bool IsScript(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  char head[2];
  return fd.valid() && read(fd.get(), head, 2) == 2 && head[0] == '#' && head[1] == '!';
}

void MakeParentDirs(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    mkdir(path.substr(0, pos).c_str(), 0755);
  }
}

}  // namespace

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void InitLog(const std::string& msg) {
  std::string line = "stratus-init: " + msg + "\n";
  ssize_t ignored = write(STDOUT_FILENO, line.data(), line.size());
  (void)ignored;
}

Supervisor::Supervisor(InitConfig config, SupervisorOptions options)
    : config_(std::move(config)), options_(std::move(options)) {
  sigemptyset(&handled_);
  sigemptyset(&original_mask_);
}

bool Supervisor::Setup() {
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled_, sig);
  if (sigprocmask(SIG_BLOCK, &handled_, &original_mask_) != 0) return false;
  signal_fd_.reset(signalfd(-1, &handled_, SFD_CLOEXEC | SFD_NONBLOCK));
  return signal_fd_.valid();
}

pid_t Supervisor::Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>* env) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;  // parent (or -1)
  // Child: its own session and process group, default signal state, init's stdio.
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (env != nullptr) {
    for (const auto& [k, v] : *env) setenv(k.c_str(), v.c_str(), 1);
  }
  if (chdir("/") != 0) _exit(126);
  execvp(cargv[0], cargv.data());
  std::string msg = "stratus-init: cannot run " + argv[0] + ": " + strerror(errno) + "\n";
  ssize_t ignored = write(STDERR_FILENO, msg.data(), msg.size());
  (void)ignored;
  _exit(127);
}

void Supervisor::StartUserData() {
  const std::string& path = config_.user_data_path;
  if (path.empty() || access(path.c_str(), F_OK) != 0) return;
  if (!IsScript(path)) {
    InitLog("user data does not start with #!; not running it");
    return;
  }
  if (access(options_.user_data_marker.c_str(), F_OK) == 0) {
    InitLog("user data already ran for this instance; not running it again");
    return;
  }
  chmod(path.c_str(), 0700);
  user_data_pid_ = Spawn({path}, nullptr);
  if (user_data_pid_ < 0) {
    InitLog(std::string("cannot start user data: ") + strerror(errno));
    user_data_pid_ = 0;
    return;
  }
  InitLog("running user data " + path + " (pid " + std::to_string(user_data_pid_) + ")");
}

void Supervisor::MarkUserDataStarted() {
  // Written right after the start (off the path to "ready": creating it copies /var/lib up into
  // the root volume), so "once per instance" holds even if the instance stops while the script runs.
  MakeParentDirs(options_.user_data_marker);
  UniqueFd marker(open(options_.user_data_marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!marker.valid()) InitLog("cannot write " + options_.user_data_marker + ": " + strerror(errno));
}

void Supervisor::StartService(Child& c, int64_t now) {
  c.restart_at_ms = 0;
  c.pid = Spawn(c.spec->command, &c.spec->env);
  c.started_ms = now;
  if (c.pid < 0) {
    InitLog("cannot start service " + c.spec->name + ": " + strerror(errno));
    c.pid = 0;
    c.restart_at_ms = now + kMaxBackoffMs;
    return;
  }
  InitLog("started service " + c.spec->name + " (pid " + std::to_string(c.pid) + ")");
}

void Supervisor::WriteReady() {
  std::string tmp = options_.run_dir + "/" + kReadyFile + ".tmp";
  std::string ready = options_.run_dir + "/" + kReadyFile;
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::string body = "{\"instance_id\":\"" + config_.instance_id + "\"}\n";
  if (!fd.valid() || write(fd.get(), body.data(), body.size()) != static_cast<ssize_t>(body.size()) ||
      rename(tmp.c_str(), ready.c_str()) != 0) {
    InitLog("cannot write " + ready + ": " + strerror(errno));
  }
}

void Supervisor::OnExit(Child& c, int status, int64_t now) {
  c.pid = 0;
  InitLog("service " + c.spec->name + " " + ExitText(status));
  if (shutting_down_) return;
  bool restart = c.spec->restart == RestartPolicy::kAlways ||
                 (c.spec->restart == RestartPolicy::kOnFailure && Failed(status));
  if (!restart) return;
  c.failures = (now - c.started_ms >= kHealthyRunMs) ? 0 : std::min(c.failures + 1, 20);
  int64_t delay = c.failures == 0 ? 0 : std::min<int64_t>(kMaxBackoffMs, 100LL << std::min(c.failures - 1, 10));
  c.restart_at_ms = now + delay;
  if (delay > 0) InitLog("restarting service " + c.spec->name + " in " + std::to_string(delay) + " ms");
}

void Supervisor::ReapChildren(int64_t now) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == user_data_pid_) {
      user_data_pid_ = 0;
      InitLog("user data " + ExitText(status));
      continue;
    }
    for (auto& c : services_) {
      if (c.pid == pid) OnExit(c, status, now);
    }
  }
}

void Supervisor::SignalAll(int sig) {
  for (const auto& c : services_) {
    if (c.pid > 0) kill(-c.pid, sig);  // the service's process group
  }
  if (user_data_pid_ > 0) kill(-user_data_pid_, sig);
  if (options_.is_pid1) kill(-1, sig);  // everything else in the instance
}

void Supervisor::BeginShutdown(int64_t now) {
  if (shutting_down_) return;
  shutting_down_ = true;
  kill_deadline_ms_ = now + config_.stop_timeout_ms;
  InitLog("shutting down (stop timeout " + std::to_string(config_.stop_timeout_ms) + " ms)");
  for (auto& c : services_) c.restart_at_ms = 0;
  SignalAll(SIGTERM);
}

void Supervisor::OnSignal(int sig, int64_t now) {
  if (sig == SIGCHLD) return ReapChildren(now);
  if (sig == SIGTERM) return BeginShutdown(now);
  for (const auto& c : services_) {  // SIGINT, SIGHUP: pass on to the services
    if (c.pid > 0) kill(-c.pid, sig);
  }
}

int Supervisor::PollTimeoutMs(int64_t now) const {
  int64_t next = -1;
  auto consider = [&](int64_t t) {
    if (t > 0 && (next < 0 || t < next)) next = t;
  };
  if (shutting_down_) consider(kill_deadline_ms_);
  for (const auto& c : services_) consider(c.restart_at_ms);
  if (next < 0) return -1;
  return static_cast<int>(std::clamp<int64_t>(next - now, 0, 60000));
}

void Supervisor::RestartDue(int64_t now) {
  if (shutting_down_) return;
  for (auto& c : services_) {
    if (c.restart_at_ms > 0 && c.restart_at_ms <= now && c.pid == 0) StartService(c, now);
  }
}

bool Supervisor::AnyChildLeft() {
  siginfo_t info;
  info.si_pid = 0;
  // WNOWAIT: only ask whether a child exists; ECHILD means none is left.
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

int Supervisor::Run() {
  for (const auto& [k, v] : config_.env) setenv(k.c_str(), v.c_str(), 1);
  StartUserData();
  int64_t now = NowMs();
  services_.reserve(config_.services.size());
  for (const auto& s : config_.services) {
    services_.push_back(Child{&s});
    StartService(services_.back(), now);
  }
  WriteReady();
  if (user_data_pid_ > 0) MarkUserDataStarted();
  InitLog("ready: " + std::to_string(services_.size()) + " service(s) started");
  for (;;) {
    pollfd pfd = {signal_fd_.get(), POLLIN, 0};
    int r = poll(&pfd, 1, PollTimeoutMs(NowMs()));
    now = NowMs();
    if (r > 0) {
      signalfd_siginfo si;
      while (read(signal_fd_.get(), &si, sizeof si) == sizeof si) OnSignal(static_cast<int>(si.ssi_signo), now);
      ReapChildren(now);  // SIGCHLDs coalesce; always sweep
    }
    RestartDue(now);
    if (shutting_down_ && !AnyChildLeft()) break;
    if (shutting_down_ && now >= kill_deadline_ms_) {
      if (killed_) break;  // as PID 1, our exit makes the kernel kill whatever is left
      InitLog("stop timeout reached; killing what is left");
      SignalAll(SIGKILL);
      killed_ = true;
      kill_deadline_ms_ = now + 1000;  // time to reap them
    }
  }
  InitLog("stopped");
  return 0;
}

}  // namespace stratus
