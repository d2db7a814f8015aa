// ImageService: the business logic for images under every API (REST today, EC2 later): builds from
// recipes (in the background, with progress), CreateImage from instances, tags, delete with an
// in-use check, prune of unreferenced layers, OCI export and import. docs/images.md.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <condition_variable>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/work_queue.h"
#include "compute/instance_runtime.h"
#include "compute/instance_service.h"
#include "image/image_builder.h"
#include "image/image_store.h"
#include "image/oci_layout.h"

namespace stratus {

struct ImageServiceOptions {
  std::string name = "stratus";  // the daemon's --name: instance cgroups are /<name>/<id>
  std::string instances_dir;     // STATE/instances: an instance's root volume is <dir>/<id>/root/upper
  BuilderOptions builder;        // builder.build_dir defaults to instances_dir
  size_t max_builds_kept = 100;  // finished builds remembered for GetBuild
};

// A build in progress or finished.
struct BuildStatus {
  std::string build_id;
  std::string state;               // running | succeeded | failed
  std::vector<std::string> lines;  // progress lines from `from` on
  size_t next = 0;                 // the index to ask for next
  std::string image_id;            // when succeeded
  Status error;                    // when failed
  int steps = 0, cached = 0;
};

struct CreateImageRequest {
  std::string instance_id;
  std::string name;
  std::string description;
  std::vector<Tag> tags;
};

struct PruneResult {
  std::vector<std::string> removed;  // layer digests
  uint64_t bytes = 0;
};

class ImageService {
 public:
  // Every pointer must outlive the service.
  // `runtime` runs the build instances of `run` steps (InstanceBuildRuntime in stratusd).
  ImageService(ImageStore* images, BuildRuntime* runtime, InstanceService* instances, ImageServiceOptions options);
  // Waits for builds in progress.
  ~ImageService();

  // Starts building `request` in the background; returns the build id ("build-…"). The recipe is
  // parsed first, so syntax errors come back here (InvalidArgument "line N: ...").
  Result<std::string> StartBuild(BuildRequest request);

  // The state of a build and its progress lines from index `from`. NotFound for an unknown id.
  Result<BuildStatus> GetBuild(const std::string& build_id, size_t from) const;

  // Waits until the build is finished or `timeout` passed; returns its status (lines from `from`).
  Result<BuildStatus> WaitBuild(const std::string& build_id, size_t from, std::chrono::milliseconds timeout) const;

  // EC2 CreateImage: the instance's root volume becomes a new layer over its image's layers; the
  // new image has the instance image's config. A running instance is frozen (cgroup freezer) for
  // the copy, so the layer is a point-in-time, crash-consistent copy and the instance is never
  // rebooted (EC2's NoReboot=true, with the consistency a reboot would give the file system).
  // IncorrectInstanceState unless the instance is running or stopped.
  Result<Image> CreateFromInstance(const CreateImageRequest& request);

  // Deregisters an image. Refused (Conflict, code InvalidAMIID.InUse) while a non-terminated
  // instance runs it or an in-use check says yes; built-in images cannot be deleted.
  Status Delete(const std::string& id_or_name);

  // Adds or replaces `add`, then removes the keys in `remove`.
  Result<Image> ChangeTags(const std::string& id_or_name, const std::vector<Tag>& add,
                           const std::vector<std::string>& remove);

  // Removes every layer no image (and no build in progress) uses, and stale cache entries.
  Result<PruneResult> Prune();

  // See oci_layout.h. Paths are on this host.
  Result<ExportResult> Export(const std::string& id_or_name, const std::string& path);
  Result<Image> Import(const std::string& path, const std::string& name, const std::string& ref);

  // Adds a check Delete consults, e.g. "is a launch template using this image": `what` names the
  // user in the error ("a launch template").
  using InUseCheck = std::function<bool(const std::string& image_id)>;
  void AddInUseCheck(std::string what, InUseCheck check);

  ImageStore* store() const { return images_; }

 private:
  struct Build;
  void RunBuild(Build* build);
  Status CheckNotInUse(const Image& image) const;
  Result<std::string> CopyRootVolume(const Instance& instance, const Image& base);

  ImageStore* images_;
  InstanceService* instances_;
  ImageServiceOptions options_;
  ImageBuilder builder_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<Build>> builds_;        // GUARDED_BY(mu_)
  std::vector<std::string> build_order_;                        // GUARDED_BY(mu_)
  std::vector<std::pair<std::string, InUseCheck>> in_use_;      // GUARDED_BY(mu_)
  // Operations that add layers and then register them hold it shared; Prune holds it exclusively,
  // so it never removes a layer an image is about to get.
  mutable std::shared_mutex layers_mu_;
  std::unique_ptr<WorkQueue> work_;  // last: destroyed (joined) first
};

}  // namespace stratus
