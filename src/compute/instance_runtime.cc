#include "compute/instance_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.h"
#include "common/files.h"
#include "common/log.h"
#include "compute/mount_namespace.h"
#include "compute/oci_spec.h"
#include "compute/overlay.h"

namespace stratus {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Plain write, no fsync: the bundle is rebuilt on every start, so a crash cannot leave a
// half-written file that matters, and fsync would cost more than the rest of a launch.
Status WriteFileFast(const std::string& path, const std::string& data, mode_t mode = 0644) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) return Internal("create " + path + ": " + strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd.get(), data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Internal("write " + path + ": " + strerror(errno));
    off += static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status EnsureDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return MakeDirs(path);
}

UniqueFd PidFd(int pid) {
  if (pid <= 0) return UniqueFd();
  return UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
}

// Waits until the process behind `pidfd` exits; true when it did within `timeout`.
bool WaitExit(const UniqueFd& pidfd, milliseconds timeout) {
  if (!pidfd.valid()) return true;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    pollfd p = {pidfd.get(), POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 0)));
    if (r > 0) return true;
    if (r == 0 || (r < 0 && errno != EINTR)) return false;
  }
}

// The last few lines of the console log, for error messages.
std::string ConsoleTail(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok() || text->empty()) return "(console log is empty)";
  std::string t = text->size() > 1024 ? text->substr(text->size() - 1024) : *text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  size_t pos = t.size();
  for (int lines = 0; lines < 5 && pos != std::string::npos && pos > 0; lines++) pos = t.rfind('\n', pos - 1);
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

// Start puts the bundle at <instance dir>/bundle.
std::string InstanceDirOfBundle(const std::string& bundle) {
  return bundle.ends_with("/bundle") ? bundle.substr(0, bundle.size() - 7) : "";
}

bool ValidInstanceId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return id != "." && id != "..";
}

}  // namespace

InstancePaths::InstancePaths(const std::string& instance_dir)
    : dir(instance_dir),
      root_volume(instance_dir + "/root"),
      upper(instance_dir + "/root/upper"),
      work(instance_dir + "/root/work"),
      rootfs(instance_dir + "/rootfs"),
      bundle(instance_dir + "/bundle"),
      run_dir(instance_dir + "/run"),
      console_log(instance_dir + "/console.log"),
      pid_file(instance_dir + "/bundle/pid"),
      netns_file(instance_dir + "/bundle/netns") {}

InstanceRuntime::InstanceRuntime(RuntimeOptions options)
    : options_(std::move(options)),
      runc_(options_.runc_binary, options_.runc_root.empty() ? "/run/" + options_.name + "/runc" : options_.runc_root),
      runsc_(options_.runsc_binary, options_.runsc_root.empty() ? runc_.root() + "-runsc" : options_.runsc_root),
      cgroups_(CgroupLayout::Detect()) {
  if (!options_.console_relay_binary.empty()) {
    runc_.SetConsoleRelay(options_.console_relay_binary, options_.console_cap_bytes);
    runsc_.SetConsoleRelay(options_.console_relay_binary, options_.console_cap_bytes);
  }
}

const OciRuntimeCli* InstanceRuntime::CliFor(const std::string& runtime) const {
  if (runtime == "runc") return &runc_;
  if (runtime == "runsc") return &runsc_;
  return nullptr;
}

Result<InstanceRuntime::Known> InstanceRuntime::Locate(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = known_.find(id);
    if (it != known_.end()) return it->second;
  }
  for (const OciRuntimeCli* cli : {&runc_, &runsc_}) {
    if (!PathExists(cli->root())) continue;
    auto st = cli->State(id);
    if (st.ok()) {
      return Known{InstanceDirOfBundle(st->bundle), cli};
    }
    if (st.status().code() != Code::kNotFound) return st.status();
  }
  return NotFound("instance " + id + " is not known to the runtime");
}

Status InstanceRuntime::WriteBundle(const RuntimeSpec& spec, const InstancePaths& p) const {
  OciSpecInput in;
  in.instance_id = spec.instance_id;
  in.hostname = spec.hostname;
  in.rootfs_path = p.rootfs;
  in.init_binary_path = options_.init_binary_path;
  in.run_dir = p.run_dir;
  // The runtime joins the network namespace through its bind in the instance's mount namespace.
  if (!spec.netns_path.empty()) {
    in.netns_path = p.netns_file;
    STRATUS_RETURN_IF_ERROR(WriteFileFast(p.netns_file, "", 0444));
  }
  in.cgroups_path = CgroupsPathFor(options_.name, spec.instance_id);
  in.type = spec.type;
  in.sysctls = spec.sysctls;
  in.extra_mounts = spec.extra_mounts;
  rlimit nofile;
  // Services get the daemon's hard limit as their soft one (servers want many sockets); more
  // would need privileges the runtime drops.
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max != RLIM_INFINITY) in.nofile_limit = nofile.rlim_max;
  STRATUS_ASSIGN_OR_RETURN(nlohmann::json oci, BuildOciSpec(in));

  InitConfig init;
  init.instance_id = spec.instance_id;
  init.hostname = spec.hostname;
  init.env = spec.env;
  init.services = spec.services;
  init.stop_timeout_ms = spec.stop_timeout.count();
  if (!spec.user_data.empty()) {
    init.user_data_path = std::string(kInstanceRunDir) + "/" + kUserDataFile;
    STRATUS_RETURN_IF_ERROR(WriteFileFast(p.run_dir + "/" + kUserDataFile, spec.user_data, 0700));
  }
  STRATUS_RETURN_IF_ERROR(WriteFileFast(p.run_dir + "/" + kInitConfigFile, InitConfigToJson(init)));
  return WriteFileFast(p.bundle + "/config.json", oci.dump());
}

Status InstanceRuntime::RunContainer(const RuntimeSpec& spec, const InstancePaths& p, const OciRuntimeCli& cli) const {
  Status st = cli.Run(spec.instance_id, p.bundle, p.console_log, p.pid_file);
  if (st.code() == Code::kAlreadyExists) {
    // A stopped container left by a crash holds the id: it is ours, so clear it and retry once.
    LogWarn("clearing stale runtime state", {{"instance", spec.instance_id}});
    STRATUS_RETURN_IF_ERROR(cli.Delete(spec.instance_id, /*force=*/true));
    st = cli.Run(spec.instance_id, p.bundle, p.console_log, p.pid_file);
  }
  if (!st.ok()) {
    Status del = cli.Delete(spec.instance_id, /*force=*/true);
    if (!del.ok()) LogWarn("cannot delete failed instance", {{"instance", spec.instance_id}, {"error", del.message()}});
    (void)cgroups_.Remove(CgroupsPathFor(options_.name, spec.instance_id));
  }
  return st;
}

Status InstanceRuntime::Start(const RuntimeSpec& spec) {
  if (!ValidInstanceId(spec.instance_id)) return InvalidArgument("instance id \"" + spec.instance_id + "\" is malformed");
  const OciRuntimeCli* cli = CliFor(spec.runtime);
  if (cli == nullptr) return InvalidArgument("runtime \"" + spec.runtime + "\" is not one of runc, runsc");
  if (spec.layer_dirs.empty()) return InvalidArgument("instance " + spec.instance_id + " has no image layers");
  if (spec.instance_dir.empty()) return InvalidArgument("instance " + spec.instance_id + " has no instance dir");
  STRATUS_RETURN_IF_ERROR(ValidateSysctls(spec.sysctls));
  InstancePaths p(spec.instance_dir);
  // A mount at rootfs is left from a daemon that mounted roots on the host.
  if (MayBeKnown(spec.instance_id) || IsMountPoint(p.rootfs)) {
    STRATUS_ASSIGN_OR_RETURN(RuntimeState st, State(spec.instance_id));
    if (st.status == InstanceStatus::kRunning) return AlreadyExists("instance " + spec.instance_id + " is already running");
    STRATUS_RETURN_IF_ERROR(Stop(spec.instance_id, milliseconds(0), spec.instance_dir));
  }
  STRATUS_RETURN_IF_ERROR(EnsureDir(p.dir));
  STRATUS_RETURN_IF_ERROR(EnsureDir(p.root_volume));
  STRATUS_RETURN_IF_ERROR(EnsureDir(p.bundle));
  // The run dir is writable from inside the instance: start from an empty one so nothing the
  // instance left there (a symlink where init.json goes, a stale ready) can fool the host.
  STRATUS_RETURN_IF_ERROR(RemoveAll(p.run_dir));
  STRATUS_RETURN_IF_ERROR(EnsureDir(p.run_dir));
  STRATUS_RETURN_IF_ERROR(WriteBundle(spec, p));
  UniqueFd netns;
  if (!spec.netns_path.empty()) {
    netns.reset(open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns.valid()) {
      std::string what = "start instance " + spec.instance_id + ": ";
      return errno == ENOENT ? NotFound(what + "network namespace " + spec.netns_path + " does not exist")
                             : Internal(what + "open " + spec.netns_path + ": " + strerror(errno));
    }
  }
  STRATUS_ASSIGN_OR_RETURN(const MountNamespaceTemplate* mounts, Mounts());
  // The root and the network namespace's bind exist only in this launch's copy of the template
  // (mount_namespace.h): on any failure they vanish with it.
  STRATUS_RETURN_IF_ERROR(mounts->Run([&]() -> Status {
    STRATUS_RETURN_IF_ERROR(MountOverlay({spec.layer_dirs, p.upper, p.work, p.rootfs}));
    if (netns.valid()) STRATUS_RETURN_IF_ERROR(BindNamespaceFile(netns.get(), spec.netns_path, p.netns_file));
    return RunContainer(spec, p, *cli);
  }));
  std::lock_guard<std::mutex> lock(mu_);
  known_[spec.instance_id] = Known{spec.instance_dir, cli};
  return Status::Ok();
}

bool InstanceRuntime::MayBeKnown(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (known_.count(id)) return true;
  }
  // runc keeps ROOT/<id>/state.json; runsc's layout differs, so any runsc state means asking it.
  return PathExists(runc_.root() + "/" + id) || PathExists(runsc_.root());
}

Result<const MountNamespaceTemplate*> InstanceRuntime::Mounts() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!mount_template_) {
    STRATUS_ASSIGN_OR_RETURN(mount_template_, MountNamespaceTemplate::Create());
  }
  return mount_template_.get();
}

Status InstanceRuntime::WaitReady(const std::string& id, milliseconds timeout) {
  STRATUS_ASSIGN_OR_RETURN(Known k, Locate(id));
  InstancePaths p(k.instance_dir);
  std::string ready = p.run_dir + "/" + kReadyFile;
  UniqueFd in(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!in.valid() || inotify_add_watch(in.get(), p.run_dir.c_str(), IN_MOVED_TO | IN_CREATE) < 0) {
    return Internal("watch " + p.run_dir + ": " + strerror(errno));
  }
  if (PathExists(ready)) return Status::Ok();
  auto pid_text = ReadFile(p.pid_file);
  UniqueFd pidfd = PidFd(pid_text.ok() ? std::atoi(pid_text->c_str()) : 0);
  bool exited = pid_text.ok() && !pidfd.valid();
  auto deadline = Clock::now() + timeout;
  while (!exited) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Unavailable("instance " + id + " not ready after " + std::to_string(timeout.count()) + " ms");
    pollfd fds[2] = {{in.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    int r = poll(fds, pidfd.valid() ? 2 : 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR) return Internal(std::string("poll: ") + strerror(errno));
    if (r <= 0) continue;
    if (fds[0].revents) {
      char buf[4096];
      while (read(in.get(), buf, sizeof buf) > 0) {
      }
      if (PathExists(ready)) return Status::Ok();
    }
    if (pidfd.valid() && fds[1].revents) exited = true;
  }
  if (PathExists(ready)) return Status::Ok();
  return FailedPrecondition("instance " + id + " stopped before it was ready; console: " + ConsoleTail(p.console_log));
}

Status InstanceRuntime::KillAndWait(const OciRuntimeCli& cli, const std::string& id, milliseconds timeout) const {
  auto st = cli.State(id);
  if (!st.ok()) return st.status().code() == Code::kNotFound ? Status::Ok() : st.status();
  if (st->pid <= 0) return Status::Ok();
  if (st->status == "paused") {  // frozen processes take no signal: thaw, then stop it as usual
    Status resumed = cli.Resume(id);
    if (!resumed.ok()) return resumed;
  }
  // A pidfd names this very process: signals cannot hit a recycled pid, and waiting needs no polling.
  UniqueFd pidfd = PidFd(st->pid);
  if (!pidfd.valid()) return Status::Ok();  // already gone
  if (timeout.count() > 0) {
    syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0);
    if (WaitExit(pidfd, timeout)) return Status::Ok();
    LogWarn("instance did not stop in time; killing it", {{"instance", id}, {"timeout_ms", std::to_string(timeout.count())}});
  }
  // SIGKILL to PID 1 of the instance's PID namespace takes every process in it down.
  syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  if (WaitExit(pidfd, milliseconds(10000))) return Status::Ok();
  return Internal("instance " + id + " (pid " + std::to_string(st->pid) + ") did not exit after SIGKILL");
}

Status InstanceRuntime::CleanupHost(const std::string& id, const InstancePaths& p) const {
  Status cg = cgroups_.Remove(CgroupsPathFor(options_.name, id));  // runc removed them; this catches leftovers
  if (!cg.ok()) LogWarn("cgroup left behind", {{"instance", id}, {"error", cg.message()}});
  STRATUS_RETURN_IF_ERROR(UnmountOverlay(p.rootfs));
  if (rmdir(p.rootfs.c_str()) != 0 && errno != ENOENT) return Internal("rmdir " + p.rootfs + ": " + strerror(errno));
  STRATUS_RETURN_IF_ERROR(RemoveAll(p.bundle));
  return RemoveAll(p.run_dir);
}

Status InstanceRuntime::Stop(const std::string& id, milliseconds timeout, const std::string& instance_dir) {
  auto located = Locate(id);
  if (!located.ok() && (located.status().code() != Code::kNotFound || instance_dir.empty())) return located.status();
  Known k = located.ok() ? *located : Known{instance_dir, &runc_};
  if (!instance_dir.empty()) k.instance_dir = instance_dir;
  if (k.instance_dir.empty()) return Internal("cannot tell where instance " + id + " keeps its files");
  if (located.ok()) {  // the runtime knows it: stop the processes and drop its state
    // In a copy of the template, as launches do: runc reads the mount table of the namespace it
    // runs in (cgroup v1 mount points), and the daemon's grows with the instances' network
    // namespaces, so a terminate would cost more with every instance.
    STRATUS_ASSIGN_OR_RETURN(const MountNamespaceTemplate* mounts, Mounts());
    STRATUS_RETURN_IF_ERROR(mounts->Run([&]() -> Status {
      Status killed = KillAndWait(*k.cli, id, timeout);
      // Not fatal: `delete --force` kills whatever is left (a paused instance ignores signals
      // until its freezer cgroup is thawed, which delete does).
      if (!killed.ok()) LogWarn("instance did not exit; forcing delete", {{"instance", id}, {"error", killed.message()}});
      return k.cli->Delete(id, /*force=*/true);
    }));
  }
  STRATUS_RETURN_IF_ERROR(CleanupHost(id, InstancePaths(k.instance_dir)));
  std::lock_guard<std::mutex> lock(mu_);
  known_.erase(id);
  return Status::Ok();
}

Status InstanceRuntime::Destroy(const std::string& id, const std::string& instance_dir, milliseconds stop_timeout) {
  if (instance_dir.empty()) return InvalidArgument("Destroy needs the instance dir of " + id);
  STRATUS_RETURN_IF_ERROR(Stop(id, stop_timeout, instance_dir));
  return RemoveAll(instance_dir);
}

Result<RuntimeState> InstanceRuntime::State(const std::string& id) {
  RuntimeState out;
  auto k = Locate(id);
  if (!k.ok()) {
    if (k.status().code() == Code::kNotFound) return out;  // absent
    return k.status();
  }
  out.instance_dir = k->instance_dir;
  out.runtime = k->cli == &runsc_ ? "runsc" : "runc";
  auto st = k->cli->State(id);
  if (!st.ok()) {
    if (st.status().code() == Code::kNotFound) return out;
    return st.status();
  }
  out.status = st->status == "stopped" ? InstanceStatus::kStopped : InstanceStatus::kRunning;
  out.pid = st->pid;
  return out;
}

Result<std::vector<OciContainerState>> InstanceRuntime::ListIn(const OciRuntimeCli& cli) {
  // In a copy of the template, as Stop: `runc list` loads every container, and each load reads the
  // mount table of the namespace it runs in (cgroup v1 mount points); in the daemon's, which grows
  // with the instances' network namespaces, a restart's inventory would cost N x N.
  STRATUS_ASSIGN_OR_RETURN(const MountNamespaceTemplate* mounts, Mounts());
  Result<std::vector<OciContainerState>> list = Internal("not listed");
  STRATUS_RETURN_IF_ERROR(mounts->Run([&]() -> Status {
    list = cli.List();
    return Status::Ok();
  }));
  return list;
}

Result<std::vector<std::string>> InstanceRuntime::List() {
  std::vector<std::string> ids;
  for (const OciRuntimeCli* cli : {&runc_, &runsc_}) {
    STRATUS_ASSIGN_OR_RETURN(auto list, ListIn(*cli));
    for (const auto& c : list) ids.push_back(c.id);
  }
  return ids;
}

Result<std::map<std::string, RuntimeState>> InstanceRuntime::ListStates() {
  std::map<std::string, RuntimeState> out;
  for (const OciRuntimeCli* cli : {&runc_, &runsc_}) {
    STRATUS_ASSIGN_OR_RETURN(auto list, ListIn(*cli));
    for (const auto& c : list) {
      RuntimeState& st = out[c.id];
      st.status = c.status == "stopped" ? InstanceStatus::kStopped : InstanceStatus::kRunning;
      st.pid = c.pid;
      st.runtime = cli == &runsc_ ? "runsc" : "runc";
      st.instance_dir = InstanceDirOfBundle(c.bundle);
    }
  }
  return out;
}

Result<CgroupStats> InstanceRuntime::Stats(const std::string& id) const {
  return cgroups_.Stats(CgroupsPathFor(options_.name, id));
}

Status InstanceRuntime::RemoveCgroupParent() const {
  for (const auto& dir : cgroups_.ExistingDirs("/" + options_.name)) {
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY) {
      return Internal("remove cgroup " + dir + ": " + strerror(errno));
    }
  }
  return Status::Ok();
}

std::vector<std::string> InstanceRuntime::CgroupDirsForTest(const std::string& id) const {
  return cgroups_.ExistingDirs(CgroupsPathFor(options_.name, id));
}

}  // namespace stratus
