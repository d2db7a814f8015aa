// Integration test: real instances through runc, with stratus-init as PID 1, on a busybox layer.
// Needs root, runc and /bin/busybox; skipped otherwise. Everything it creates carries a random
// "strt" name and is removed in TearDown even when a test fails.
#include "compute/instance_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <signal.h>
#include <thread>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "compute/overlay.h"
#include "compute/testing/busybox_rootfs.h"

namespace stratus {
namespace {

using std::chrono::milliseconds;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) n++;
  return n;
}

class InstanceRuntimeTest : public ::testing::Test {
 protected:
  RuntimeOptions Options() const {
    RuntimeOptions o;
    o.name = name_;
    o.runc_root = runc_root_;
    o.init_binary_path = STRATUS_INIT_BINARY;
    return o;
  }

  void SetUp() override {
    std::string why;
    if (!testing::CanRunInstances(&why)) GTEST_SKIP() << why;
    tag_ = RandomHex(8);
    base_ = "/tmp/strt-rt-" + tag_;
    name_ = "strt-rt-" + tag_;
    runc_root_ = "/run/strt-test-" + tag_;
    ASSERT_TRUE(testing::BuildBusyboxRootfs(base_ + "/layer").ok());
    runtime_ = std::make_unique<InstanceRuntime>(Options());
  }

  void TearDown() override {
    if (tag_.empty()) return;
    for (const auto& id : started_) (void)runtime_->Destroy(id, Dir(id));
    (void)RunProcess({"runc", "--root", runc_root_, "list", "-q"});
    testing::UnmountAllUnder(base_);
    for (const auto& id : started_) (void)RunProcess({"runc", "--root", runc_root_, "delete", "--force", id});
    (void)runtime_->RemoveCgroupParent();
    (void)RemoveAll(runc_root_);
    (void)RemoveAll(base_);
    if (!netns_.empty()) (void)RunProcess({"ip", "netns", "delete", netns_});
  }

  std::string Dir(const std::string& id) { return base_ + "/instances/" + id; }

  RuntimeSpec Spec(const std::string& id) {
    RuntimeSpec s;
    s.instance_id = id;
    s.hostname = "host-" + id;
    s.layer_dirs = {base_ + "/layer"};
    s.instance_dir = Dir(id);
    s.type = *InstanceTypeTable::Default().Find("t3.nano");
    s.env = {{"GREETING", "hello"}};
    s.stop_timeout = milliseconds(2000);
    started_.push_back(id);
    return s;
  }

  // Polls (bounded) until the console log contains `text`.
  bool ConsoleHas(const std::string& id, const std::string& text) {
    for (int i = 0; i < 100; i++) {
      auto log = ReadFile(InstancePaths(Dir(id)).console_log);
      if (log.ok() && log->find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  std::string Console(const std::string& id) {
    auto log = ReadFile(InstancePaths(Dir(id)).console_log);
    return log.ok() ? *log : "";
  }

  void ExpectNothingButRootVolume(const std::string& id) {
    InstancePaths p(Dir(id));
    EXPECT_FALSE(IsMountPoint(p.rootfs));
    EXPECT_FALSE(PathExists(p.bundle));
    EXPECT_FALSE(PathExists(p.run_dir));
    EXPECT_TRUE(runtime_->CgroupDirsForTest(id).empty());
    EXPECT_FALSE(PathExists(runc_root_ + "/" + id));
    auto st = runtime_->State(id);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->status, InstanceStatus::kAbsent);
  }

  std::string tag_, base_, name_, runc_root_, netns_;
  std::vector<std::string> started_;
  std::unique_ptr<InstanceRuntime> runtime_;
};

TEST_F(InstanceRuntimeTest, LifecycleUserDataOnceServicesStopStartDestroy) {
  std::string id = "i-" + tag_ + "00000000a";
  RuntimeSpec spec = Spec(id);
  spec.user_data = "#!/bin/sh\necho user-data-ran $INSTANCE_ID $GREETING\necho persisted > /root/from-user-data\n";
  spec.services = {ServiceSpec{"ticker", {"/bin/sh", "-c", "echo service-up $GREETING $(hostname); exec sleep 1000"}, {}, RestartPolicy::kAlways}};
  ASSERT_TRUE(runtime_->Start(spec).ok());
  Status ready = runtime_->WaitReady(id, milliseconds(10000));
  ASSERT_TRUE(ready.ok()) << ready.ToString() << "\n" << Console(id);
  EXPECT_EQ(runtime_->Start(spec).code(), Code::kAlreadyExists);

  auto st = runtime_->State(id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, InstanceStatus::kRunning);
  EXPECT_GT(st->pid, 0);
  auto ids = runtime_->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_NE(std::find(ids->begin(), ids->end(), id), ids->end());
  EXPECT_TRUE(ConsoleHas(id, "user-data-ran " + id + " hello")) << Console(id);
  EXPECT_TRUE(ConsoleHas(id, "service-up hello host-" + id)) << Console(id);
  InstancePaths p(Dir(id));
  for (int i = 0; i < 100 && !PathExists(p.upper + "/root/from-user-data"); i++) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_TRUE(PathExists(p.upper + "/root/from-user-data"));
  EXPECT_FALSE(runtime_->CgroupDirsForTest(id).empty());
  auto stats = runtime_->Stats(id);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GT(stats->memory_usage_bytes, 0u);
  EXPECT_GE(stats->pids, 2u);

  ASSERT_TRUE(runtime_->Stop(id, milliseconds(5000)).ok());
  ExpectNothingButRootVolume(id);
  EXPECT_TRUE(PathExists(p.upper + "/root/from-user-data"));
  EXPECT_TRUE(PathExists(p.upper + "/var/lib/stratus/user-data.done"));
  EXPECT_TRUE(runtime_->Stop(id, milliseconds(100), Dir(id)).ok());  // idempotent

  ASSERT_TRUE(runtime_->Start(spec).ok());
  ready = runtime_->WaitReady(id, milliseconds(10000));
  ASSERT_TRUE(ready.ok()) << ready.ToString() << "\n" << Console(id);
  EXPECT_TRUE(ConsoleHas(id, "user data already ran"));
  EXPECT_EQ(Count(Console(id), "user-data-ran"), 1u) << Console(id);
  EXPECT_TRUE(PathExists(p.upper + "/root/from-user-data"));  // the root itself is not mounted on the host

  ASSERT_TRUE(runtime_->Destroy(id, Dir(id), milliseconds(2000)).ok());
  ExpectNothingButRootVolume(id);
  EXPECT_FALSE(PathExists(Dir(id)));
  ids = runtime_->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(std::find(ids->begin(), ids->end(), id), ids->end());
}

TEST_F(InstanceRuntimeTest, OwnNetnsAndNamespacedSysctl) {
  netns_ = "strt-" + tag_;
  ASSERT_TRUE(RunChecked({"ip", "netns", "add", netns_}).ok());
  std::string id = "i-" + tag_ + "00000000b";
  RuntimeSpec spec = Spec(id);
  spec.netns_path = "/var/run/netns/" + netns_;
  spec.sysctls = {{"net.core.somaxconn", "3333"}};
  spec.user_data = "#!/bin/sh\necho somaxconn=$(cat /proc/sys/net/core/somaxconn) $(cat /etc/resolv.conf)\n";
  ASSERT_TRUE(WriteFileAtomic(base_ + "/resolv.conf", "nameserver 10.9.8.7").ok());
  spec.extra_mounts = {{base_ + "/resolv.conf", "/etc/resolv.conf", true}};
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  EXPECT_TRUE(ConsoleHas(id, "somaxconn=3333 nameserver 10.9.8.7")) << Console(id);
  auto host = RunChecked({"ip", "netns", "exec", netns_, "cat", "/proc/sys/net/core/somaxconn"});
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->out, "3333\n");  // the instance runs in the namespace we gave it
  ASSERT_TRUE(runtime_->Destroy(id, Dir(id)).ok());
  ExpectNothingButRootVolume(id);
}

TEST_F(InstanceRuntimeTest, DemoWebServesInsideItsInstance) {
  // Two layers, top first: the demo-web binary over busybox.
  std::string web_layer = base_ + "/web-layer";
  ASSERT_TRUE(MakeDirs(web_layer + "/usr/bin").ok());
  auto bin = ReadFile(STRATUS_DEMO_WEB_BINARY);
  ASSERT_TRUE(bin.ok());
  ASSERT_TRUE(WriteFileAtomic(web_layer + "/usr/bin/stratus-demo-web", *bin, 0755).ok());
  netns_ = "strt-" + tag_;
  ASSERT_TRUE(RunChecked({"ip", "netns", "add", netns_}).ok());
  ASSERT_TRUE(RunChecked({"ip", "netns", "exec", netns_, "ip", "link", "set", "lo", "up"}).ok());
  std::string id = "i-" + tag_ + "00000000f";
  RuntimeSpec spec = Spec(id);
  spec.layer_dirs = {web_layer, base_ + "/layer"};
  spec.netns_path = "/var/run/netns/" + netns_;
  spec.services = {ServiceSpec{"web", {"stratus-demo-web"}, {}, RestartPolicy::kAlways}};
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  ASSERT_TRUE(ConsoleHas(id, "listening on 0.0.0.0:80")) << Console(id);
  auto got = RunProcess({"ip", "netns", "exec", netns_, testing::kHostBusybox, "wget", "-q", "-O", "-", "http://127.0.0.1/"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->out, "hello from " + id + "\n") << got->err;
  ASSERT_TRUE(runtime_->Destroy(id, Dir(id), milliseconds(2000)).ok());
  ExpectNothingButRootVolume(id);
}

// A restarted daemon (a new InstanceRuntime with no memory of the launch) finds the instance
// through runc, sees it running, and can stop it; the instance outlived its launcher. A second
// start with another type gets that type's limits (modify --type while stopped).
TEST_F(InstanceRuntimeTest, ReattachAfterDaemonRestartAndNewLimits) {
  std::string id = "i-" + tag_ + "000000010";
  RuntimeSpec spec = Spec(id);
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  int pid = runtime_->State(id)->pid;
  // Not in the launcher's session or process group: a Ctrl-C or SIGHUP aimed at the daemon's
  // terminal does not reach instances.
  EXPECT_NE(getsid(pid), getsid(0));
  EXPECT_NE(getpgid(pid), getpgid(0));
  runtime_ = std::make_unique<InstanceRuntime>(Options());
  auto ids = runtime_->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_NE(std::find(ids->begin(), ids->end(), id), ids->end());
  auto st = runtime_->State(id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, InstanceStatus::kRunning);
  EXPECT_EQ(st->pid, pid);
  EXPECT_EQ(st->instance_dir, Dir(id));
  auto states = runtime_->ListStates();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->count(id), 1u);
  EXPECT_EQ(states->at(id).pid, pid);
  EXPECT_EQ(states->at(id).status, InstanceStatus::kRunning);
  EXPECT_EQ(states->at(id).instance_dir, Dir(id));
  EXPECT_TRUE(runtime_->WaitReady(id, milliseconds(1000)).ok());
  EXPECT_TRUE(runtime_->Stats(id).ok());
  ASSERT_TRUE(runtime_->Stop(id, milliseconds(5000)).ok());
  ExpectNothingButRootVolume(id);

  spec.type = *InstanceTypeTable::Default().Find("c5.large");
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  std::string mem, quota;
  for (const auto& dir : runtime_->CgroupDirsForTest(id)) {
    if (auto r = ReadFile(dir + "/memory.limit_in_bytes"); r.ok()) mem = *r;  // v1
    if (auto r = ReadFile(dir + "/memory.max"); r.ok()) mem = *r;             // v2
    if (auto r = ReadFile(dir + "/cpu.cfs_quota_us"); r.ok()) quota = *r;     // v1
    if (auto r = ReadFile(dir + "/cpu.max"); r.ok()) quota = r->substr(0, r->find(' ')) + "\n";  // v2
  }
  EXPECT_EQ(mem, std::to_string(4096LL * 1024 * 1024) + "\n");
  EXPECT_EQ(quota, "200000\n");
  ASSERT_TRUE(runtime_->Destroy(id, Dir(id)).ok());
  ExpectNothingButRootVolume(id);
}

// Parallel launch/destroy cycles (as a burst from the daemon would do): every instance gets
// ready, and afterwards nothing is left: no mount, cgroup, runtime state or process.
TEST_F(InstanceRuntimeTest, ParallelCyclesLeaveNothing) {
  constexpr int kThreads = 6, kCycles = 4;
  std::vector<std::string> ids;
  for (int t = 0; t < kThreads; t++) {
    for (int c = 0; c < kCycles; c++) ids.push_back("i-" + tag_ + "1" + std::to_string(t) + std::to_string(c) + "00000");
  }
  std::vector<RuntimeSpec> specs;
  for (const auto& id : ids) specs.push_back(Spec(id));
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<int> pids;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCycles; c++) {
        const RuntimeSpec& spec = specs[static_cast<size_t>(t * kCycles + c)];
        Status st = runtime_->Start(spec);
        if (st.ok()) st = runtime_->WaitReady(spec.instance_id, milliseconds(20000));
        int pid = st.ok() ? runtime_->State(spec.instance_id)->pid : 0;
        Status d = runtime_->Destroy(spec.instance_id, spec.instance_dir, milliseconds(1000));
        std::lock_guard<std::mutex> lock(mu);
        if (!st.ok()) errors.push_back(st.ToString());
        if (!d.ok()) errors.push_back(d.ToString());
        pids.push_back(pid);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  for (const auto& id : ids) ExpectNothingButRootVolume(id);
  for (int pid : pids) {
    EXPECT_GT(pid, 0);
    // Reaped by the host's init once runc delete ran: no process (or zombie) is left.
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
      gone = kill(pid, 0) != 0;
      if (!gone) std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_TRUE(gone) << pid;
  }
  auto left = runtime_->List();
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  auto mounts = ReadFile("/proc/self/mounts");
  ASSERT_TRUE(mounts.ok());
  EXPECT_EQ(mounts->find(base_), std::string::npos);
}

// Launch cost must not grow with the instances already running: their roots are mounted in
// mount namespaces of their own, so the host's table stays as it is and every new container
// starts from the same small namespace (the template's, plus its root).
TEST_F(InstanceRuntimeTest, LaunchesLeaveTheHostMountTableAlone) {
  constexpr int kInstances = 20;
  // Other tests on the machine mount and unmount meanwhile: count this test's own mounts.
  auto host_mounts_here = [&] {
    auto info = ReadFile("/proc/self/mountinfo");
    return info.ok() ? Count(*info, base_) : 0;
  };
  std::vector<int> container_mounts;
  for (int i = 0; i < kInstances; i++) {
    std::string id = "i-" + tag_ + "2" + std::to_string(100 + i) + "0000";
    ASSERT_TRUE(runtime_->Start(Spec(id)).ok());
    ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
    auto info = ReadFile("/proc/" + std::to_string(runtime_->State(id)->pid) + "/mountinfo");
    ASSERT_TRUE(info.ok());
    container_mounts.push_back(static_cast<int>(Count(*info, "\n")));
    EXPECT_FALSE(IsMountPoint(InstancePaths(Dir(id)).rootfs));  // not on the host
  }
  EXPECT_EQ(host_mounts_here(), 0u);
  EXPECT_EQ(container_mounts.back(), container_mounts.front());
  for (const auto& id : started_) ASSERT_TRUE(runtime_->Destroy(id, Dir(id)).ok());
  for (const auto& id : started_) ExpectNothingButRootVolume(id);
}

// A daemon that crashed between mounting the root and starting runc left a mount behind: the
// next Start clears it and boots normally.
TEST_F(InstanceRuntimeTest, StartClearsAStaleMount) {
  std::string id = "i-" + tag_ + "000000011";
  RuntimeSpec spec = Spec(id);
  InstancePaths p(Dir(id));
  ASSERT_TRUE(MountOverlay({spec.layer_dirs, p.upper, p.work, p.rootfs}).ok());
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  ASSERT_TRUE(runtime_->Destroy(id, Dir(id)).ok());
  ExpectNothingButRootVolume(id);
}

TEST_F(InstanceRuntimeTest, StopsAPausedInstance) {
  std::string id = "i-" + tag_ + "000000012";
  RuntimeSpec spec = Spec(id);
  spec.services = {ServiceSpec{"sleeper", {"/bin/sleep", "1000"}, {}, RestartPolicy::kAlways}};
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  ASSERT_TRUE(RunChecked({"runc", "--root", runc_root_, "pause", id}).ok());
  ASSERT_TRUE(runtime_->Stop(id, milliseconds(200)).ok());
  ExpectNothingButRootVolume(id);
}

TEST_F(InstanceRuntimeTest, BadLaunchesLeaveNothing) {
  std::string id = "i-" + tag_ + "00000000c";
  RuntimeSpec spec = Spec(id);
  spec.sysctls = {{"kernel.pid_max", "100000"}};
  Status st = runtime_->Start(spec);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("kernel.pid_max is not namespaced"), std::string::npos);
  EXPECT_FALSE(IsMountPoint(InstancePaths(Dir(id)).rootfs));

  spec.sysctls.clear();
  spec.netns_path = "/var/run/netns/strt-missing-" + tag_;
  st = runtime_->Start(spec);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("start instance " + id), std::string::npos) << st.message();
  EXPECT_FALSE(IsMountPoint(InstancePaths(Dir(id)).rootfs));
  EXPECT_EQ(runtime_->State(id)->status, InstanceStatus::kAbsent);
  EXPECT_TRUE(runtime_->CgroupDirsForTest(id).empty());

  spec.netns_path = "";
  spec.layer_dirs = {base_ + "/no-such-layer"};
  EXPECT_FALSE(runtime_->Start(spec).ok());
  EXPECT_EQ(runtime_->WaitReady("i-unknown", milliseconds(10)).code(), Code::kNotFound);
  EXPECT_EQ(runtime_->Stop("i-unknown", milliseconds(10)).code(), Code::kNotFound);
  EXPECT_EQ(runtime_->State("i-unknown")->status, InstanceStatus::kAbsent);
  spec.instance_id = "../etc";
  EXPECT_EQ(runtime_->Start(spec).code(), Code::kInvalidArgument);
}

TEST_F(InstanceRuntimeTest, StopKillsServicesThatIgnoreSigterm) {
  std::string id = "i-" + tag_ + "00000000d";
  RuntimeSpec spec = Spec(id);
  spec.stop_timeout = milliseconds(300);
  spec.services = {ServiceSpec{"stubborn", {"/bin/sh", "-c", "trap '' TERM; echo stubborn-up; while true; do sleep 1; done"}, {}, RestartPolicy::kAlways}};
  ASSERT_TRUE(runtime_->Start(spec).ok());
  ASSERT_TRUE(runtime_->WaitReady(id, milliseconds(10000)).ok()) << Console(id);
  EXPECT_TRUE(ConsoleHas(id, "stubborn-up"));
  ASSERT_TRUE(runtime_->Stop(id, milliseconds(5000)).ok());
  EXPECT_TRUE(ConsoleHas(id, "stop timeout reached")) << Console(id);
  ExpectNothingButRootVolume(id);
}

TEST_F(InstanceRuntimeTest, InstanceThatExitsEarlyFailsWaitReady) {
  std::string id = "i-" + tag_ + "00000000e";
  RuntimeSpec spec = Spec(id);
  ASSERT_TRUE(runtime_->Start(spec).ok());
  // Break init's config behind its back is racy; instead kill the instance before it is waited on.
  auto st = runtime_->State(id);
  ASSERT_TRUE(st.ok());
  (void)RunProcess({"runc", "--root", runc_root_, "kill", id, "KILL"});
  for (int i = 0; i < 100 && runtime_->State(id)->status == InstanceStatus::kRunning; i++) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(runtime_->State(id)->status, InstanceStatus::kStopped);
  Status ready = runtime_->WaitReady(id, milliseconds(5000));
  // It may have become ready before the kill landed; otherwise the error says why.
  if (!ready.ok()) {
    EXPECT_EQ(ready.code(), Code::kFailedPrecondition) << ready.ToString();
  }
  ASSERT_TRUE(runtime_->Destroy(id, Dir(id)).ok());
  ExpectNothingButRootVolume(id);
}

}  // namespace
}  // namespace stratus
