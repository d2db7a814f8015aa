// bench_runtime: Start..ready of a busybox instance through InstanceRuntime vs bare `runc run
// --detach` of the same rootfs (an overlay of the same layer) with `runc spec`'s default config and
// with the config.json Stratus generates (process `sleep` in both). Prints one JSON object.
// Needs root, runc and /bin/busybox.
//
//   bench_runtime [--iterations N] [--init PATH-TO-stratus-init]
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "compute/instance_runtime.h"
#include "compute/oci_spec.h"
#include "compute/overlay.h"
#include "compute/testing/busybox_rootfs.h"

using namespace stratus;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

json Summary(std::vector<double> v) {
  if (v.empty()) return json::object();
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  auto pct = [&](double p) { return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))]; };
  return {{"n", v.size()}, {"p50_ms", pct(0.5)}, {"p90_ms", pct(0.9)}, {"max_ms", v.back()}, {"mean_ms", sum / v.size()}};
}

struct Bench {
  std::string base, layer, runc_root, name, init;
  int iterations = 20;
};

// The config.json Stratus would write for instance `id`, running `sleep` instead of stratus-init.
Result<json> StratusSpec(const Bench& b, const std::string& dir, const std::string& id) {
  OciSpecInput in;
  in.instance_id = id;
  in.rootfs_path = dir + "/rootfs";
  in.init_binary_path = b.init;
  in.run_dir = dir + "/run";
  in.cgroups_path = CgroupsPathFor(b.name, id);
  in.type = *InstanceTypeTable::Default().Find("t3.micro");
  STRATUS_RETURN_IF_ERROR(MakeDirs(in.run_dir));
  STRATUS_ASSIGN_OR_RETURN(json cfg, BuildOciSpec(in));
  cfg["process"]["args"] = {"/bin/sleep", "1000"};
  return cfg;
}

// One bare `runc run --detach` of the layer on a fresh overlay; returns ms to runc's return.
// With `stratus_spec`, the bundle is Stratus's config.json rather than `runc spec`'s default.
Result<double> BareRunOnce(const Bench& b, int i, bool stratus_spec) {
  std::string dir = b.base + "/bare" + std::to_string(i);
  std::string bundle = dir + "/bundle", id = "strt-bare-" + std::to_string(i);
  STRATUS_RETURN_IF_ERROR(MakeDirs(bundle));
  json cfg;
  if (stratus_spec) {
    STRATUS_ASSIGN_OR_RETURN(cfg, StratusSpec(b, dir, id));
  } else {
    STRATUS_ASSIGN_OR_RETURN(ProcessResult spec, RunChecked({"runc", "spec", "--bundle", bundle}));
    STRATUS_ASSIGN_OR_RETURN(std::string text, ReadFile(bundle + "/config.json"));
    cfg = json::parse(text);
    cfg["root"] = {{"path", dir + "/rootfs"}, {"readonly", false}};
    cfg["process"]["terminal"] = false;
    cfg["process"]["args"] = {"/bin/sleep", "1000"};
    cfg["linux"]["cgroupsPath"] = "/" + b.name + "/" + id;
  }
  STRATUS_RETURN_IF_ERROR(WriteFileAtomic(bundle + "/config.json", cfg.dump()));
  auto t0 = Clock::now();
  STRATUS_RETURN_IF_ERROR(MountOverlay({{b.layer}, dir + "/upper", dir + "/work", dir + "/rootfs"}));
  RunOptions opts;
  opts.stdout_file = dir + "/console.log";
  opts.stderr_to_stdout_file = true;
  auto run = RunChecked({"runc", "--root", b.runc_root, "run", "--detach", "--bundle", bundle, id}, opts);
  auto t1 = Clock::now();
  (void)RunProcess({"runc", "--root", b.runc_root, "delete", "--force", id});
  (void)UnmountOverlay(dir + "/rootfs");
  if (!run.ok()) return run.status();
  (void)RemoveAll(dir);
  return Ms(t0, t1);
}

struct Samples {
  std::vector<double> bare, bare_stratus_spec, start, ready, stop, destroy;
};

struct StratusTimes {
  double start_ms, ready_ms, stop_ms, destroy_ms;
};

Result<StratusTimes> StratusOnce(const Bench& b, InstanceRuntime& rt, int i) {
  RuntimeSpec spec;
  spec.instance_id = "i-bench" + std::to_string(i);
  spec.hostname = "bench" + std::to_string(i);
  spec.layer_dirs = {b.layer};
  spec.instance_dir = b.base + "/instances/" + spec.instance_id;
  spec.type = *InstanceTypeTable::Default().Find("t3.micro");
  spec.user_data = "#!/bin/sh\necho user data ran\n";
  spec.services = {ServiceSpec{"sleeper", {"/bin/sleep", "1000"}, {}, RestartPolicy::kAlways}};
  StratusTimes t{};
  auto t0 = Clock::now();
  STRATUS_RETURN_IF_ERROR(rt.Start(spec));
  auto t1 = Clock::now();
  Status ready = rt.WaitReady(spec.instance_id, std::chrono::milliseconds(10000));
  auto t2 = Clock::now();
  Status stop = rt.Stop(spec.instance_id, std::chrono::milliseconds(5000));
  auto t3 = Clock::now();
  Status destroy = rt.Destroy(spec.instance_id, spec.instance_dir);
  auto t4 = Clock::now();
  STRATUS_RETURN_IF_ERROR(ready);
  STRATUS_RETURN_IF_ERROR(stop);
  STRATUS_RETURN_IF_ERROR(destroy);
  t = {Ms(t0, t1), Ms(t0, t2), Ms(t2, t3), Ms(t3, t4)};
  return t;
}

// One iteration's three measurements, in an order that rotates with `i` so that none always
// runs right after another's teardown (unmount and rm -rf disturb whatever runs next).
Status Iteration(const Bench& b, InstanceRuntime& rt, int i, Samples& out) {
  for (int k = 0; k < 3; k++) {
    switch ((i + k) % 3) {
      case 0: {
        STRATUS_ASSIGN_OR_RETURN(double ms, BareRunOnce(b, i, false));
        out.bare.push_back(ms);
        break;
      }
      case 1: {
        STRATUS_ASSIGN_OR_RETURN(double ms, BareRunOnce(b, i, true));
        out.bare_stratus_spec.push_back(ms);
        break;
      }
      default: {
        STRATUS_ASSIGN_OR_RETURN(StratusTimes t, StratusOnce(b, rt, i));
        out.start.push_back(t.start_ms);
        out.ready.push_back(t.ready_ms);
        out.stop.push_back(t.stop_ms);
        out.destroy.push_back(t.destroy_ms);
      }
    }
  }
  return Status::Ok();
}

int Run(Bench& b) {
  Samples s;
  RuntimeOptions options;
  options.name = b.name;
  options.runc_root = b.runc_root;
  options.init_binary_path = b.init;
  InstanceRuntime rt(options);
  for (int i = 0; i < b.iterations; i++) {
    Status st = Iteration(b, rt, i, s);
    if (!st.ok()) {
      std::fprintf(stderr, "bench_runtime: %s\n", st.ToString().c_str());
      (void)rt.RemoveCgroupParent();
      return 1;
    }
  }
  (void)rt.RemoveCgroupParent();
  json bare_s = Summary(s.bare), ready_s = Summary(s.ready);
  json out = {{"benchmark", "runtime"},
              {"ready_over_bare_p50", ready_s["p50_ms"].get<double>() / bare_s["p50_ms"].get<double>()},
              {"bare_runc_run_detach", bare_s},
              {"runc_run_detach_stratus_spec", Summary(s.bare_stratus_spec)},
              {"stratus_start", Summary(s.start)},
              {"stratus_start_to_ready", ready_s},
              {"stratus_stop", Summary(s.stop)},
              {"stratus_destroy_after_stop", Summary(s.destroy)}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  if (!testing::CanRunInstances(&why)) {
    std::fprintf(stderr, "bench_runtime %s\n", why.c_str());
    return 2;
  }
  Bench b;
  std::string self = argv[0];
  b.init = self.substr(0, self.rfind('/') + 1) + "stratus-init";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iterations") == 0) b.iterations = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--init") == 0) b.init = argv[i + 1];
  }
  char resolved[PATH_MAX];
  if (realpath(b.init.c_str(), resolved) == nullptr) {
    std::fprintf(stderr, "stratus-init not found at %s (use --init)\n", b.init.c_str());
    return 2;
  }
  b.init = resolved;
  std::string tag = RandomHex(8);
  b.base = "/tmp/strt-bench-" + tag;
  b.layer = b.base + "/layer";
  b.runc_root = "/run/strt-test-bench-" + tag;
  b.name = "strt-bench-" + tag;
  int rc = 2;
  if (Status st = testing::BuildBusyboxRootfs(b.layer); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
  } else {
    rc = Run(b);
  }
  testing::UnmountAllUnder(b.base);
  (void)RemoveAll(b.base);
  (void)RemoveAll(b.runc_root);
  return rc;
}
