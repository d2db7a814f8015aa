// ImageBuilder: turns a recipe (recipe.h) and a build context into a registered image.
//
// Each step becomes one content-addressed layer. A `run` step runs in a build instance under the
// same runtime as instances (InstanceRuntime: overlay of the layers so far + a fresh upper dir,
// runc, stratus-init supervising the step as a one-shot service, the host's network; reached through the
// BuildRuntime port); its upper dir is the layer. A `file` step copies from the context straight into a layer, no instance needed.
// The base is the built-in busybox layer, an empty layer (scratch), an existing image's layers, or
// a debian root made by mmdebstrap with the host's own apt sources (packages included).
//
// Cache: the key of a step is sha256(the layers below it, the step's text, its env, the content of
// the files it copies); LAYERS/cache/<key> names the layer it made. A rebuild of an unchanged
// recipe is all cache hits and only registers (or finds) the image.
//
// Nothing is registered unless every step succeeded; layers are built in scratch dirs and renamed
// into place (ImageStore::AddLayerFromDir), so a failure (or a full disk) leaves no partial layer.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "compute/instance_runtime.h"
#include "image/image_store.h"
#include "image/recipe.h"

namespace stratus {

struct BuildRequest {
  std::string recipe;       // recipe text
  std::string context_dir;  // absolute path of the build context on this host ("" = no file steps)
  std::string name;         // image name; "" = "build-<hex>"
  std::string description;  // overrides the recipe's
  std::vector<Tag> tags;
};

struct BuilderOptions {
  std::string build_dir;    // where build instances live (the daemon's instances dir, so reconcile cleans up)
  std::chrono::milliseconds step_timeout{30 * 60 * 1000};
  std::string apt_dir = "/etc/apt";  // the host's apt configuration for debian bases
  std::string mmdebstrap = "mmdebstrap";
  std::string runtime = "runc";
};

// What a build needs from the instance runtime to run a `run` step in a build instance. InstanceBuildRuntime
// (below) is the real one; unit tests use a fake that writes the step's files, output and exit code itself.
class BuildRuntime {
 public:
  virtual ~BuildRuntime() = default;
  // InstanceRuntime::Start, Stop and Destroy: see compute/instance_runtime.h.
  virtual Status Start(const RuntimeSpec& spec) = 0;
  virtual Status Stop(const std::string& id, std::chrono::milliseconds timeout, const std::string& instance_dir) = 0;
  virtual Status Destroy(const std::string& id, const std::string& instance_dir,
                         std::chrono::milliseconds stop_timeout) = 0;
};

// BuildRuntime over the InstanceRuntime of stratusd.
class InstanceBuildRuntime : public BuildRuntime {
 public:
  explicit InstanceBuildRuntime(InstanceRuntime* runtime) : runtime_(runtime) {}
  Status Start(const RuntimeSpec& spec) override { return runtime_->Start(spec); }
  Status Stop(const std::string& id, std::chrono::milliseconds timeout, const std::string& instance_dir) override {
    return runtime_->Stop(id, timeout, instance_dir);
  }
  Status Destroy(const std::string& id, const std::string& instance_dir,
                 std::chrono::milliseconds stop_timeout) override {
    return runtime_->Destroy(id, instance_dir, stop_timeout);
  }

 private:
  InstanceRuntime* runtime_;
};

// What a build did, for progress output and benchmarks.
struct BuildResult {
  Image image;
  int steps = 0;
  int cached = 0;
  bool existing = false;  // an identical image with this name was already registered
};

// Progress sink: one human-readable line per event ("[2/4] run echo hi ... done in 210 ms").
using ProgressFn = std::function<void(const std::string& line)>;

class ImageBuilder {
 public:
  // `images` and `runtime` must outlive the builder.
  ImageBuilder(ImageStore* images, BuildRuntime* runtime, BuilderOptions options);

  // Builds and registers the image of `request`. Errors: InvalidArgument "line N: ..." for the
  // recipe; NotFound for an unknown base image or a file missing from the context;
  // FailedPrecondition for a failing step (its line, exit code and the tail of its output);
  // AlreadyExists when another image has the name.
  Result<BuildResult> Build(const BuildRequest& request, const ProgressFn& progress);

  // The layers of builds in progress, which prune must keep.
  std::vector<std::string> LayersInUse() const;

 private:
  struct Job;
  Status BuildBase(Job& job);
  Status BuildDebianBase(Job& job);
  Status RunStep(Job& job, const RecipeStep& step);
  Status FileStep(Job& job, const RecipeStep& step);
  Result<std::string> StepKey(const Job& job, const RecipeStep& step) const;
  Result<std::string> ExecuteRun(const Job& job, const RecipeStep& step);
  Result<std::string> ExecuteFile(const Job& job, const RecipeStep& step);
  // Cache lookups and updates: key -> layer digest ("" for a step that changed nothing).
  bool CacheLookup(const std::string& key, std::string* digest) const;
  void CacheStore(const std::string& key, const std::string& digest) const;
  Result<BuildResult> Register(Job& job, const BuildRequest& request);

  ImageStore* images_;
  BuildRuntime* runtime_;
  BuilderOptions options_;
  mutable std::mutex mu_;
  std::vector<Job*> jobs_;  // GUARDED_BY(mu_)
};

// The files of a debian base's apt configuration on this host: the sources (sources.list and
// sources.list.d/*.list|*.sources) and apt.conf.d snippets that set Acquire:: options (proxies).
struct HostAptConfig {
  std::vector<std::string> sources;
  std::vector<std::string> aptopts;
};
HostAptConfig ReadHostAptConfig(const std::string& apt_dir);

// Removes what the runtime leaves in an instance's upper dir that is no layer content: empty
// mount points it created (stratus-init, /run/stratus, /etc/resolv.conf...) and the user-data
// marker, so an image captured from an instance runs its own user data again.
Status StripRuntimeArtifacts(const std::string& upper, const std::vector<std::string>& lower_dirs_top_first);

}  // namespace stratus
