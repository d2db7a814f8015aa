#include "image/image_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "compute/oci_spec.h"
#include "image/layer_tar.h"

namespace stratus {
namespace {

// The file's content, or "" when it cannot be read.
std::string ReadOr(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : std::string();
}

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Freezes an instance's cgroup (freezer v1 or cgroup.freeze v2) and thaws it on destruction.
class CgroupFreeze {
 public:
  static Result<std::unique_ptr<CgroupFreeze>> Freeze(const std::string& cgroup_path) {
    std::unique_ptr<CgroupFreeze> f(new CgroupFreeze());
    if (PathExists("/sys/fs/cgroup/freezer")) {
      f->control_ = "/sys/fs/cgroup/freezer" + cgroup_path + "/freezer.state";
      f->thaw_ = "THAWED";
      STRATUS_RETURN_IF_ERROR(f->Write("FROZEN"));
      std::string state = f->control_;
      return WaitFor([state] { return ReadOr(state).rfind("FROZEN", 0) == 0; }, std::move(f));
    }
    f->control_ = "/sys/fs/cgroup" + cgroup_path + "/cgroup.freeze";
    f->thaw_ = "0";
    STRATUS_RETURN_IF_ERROR(f->Write("1"));
    std::string events = "/sys/fs/cgroup" + cgroup_path + "/cgroup.events";
    return WaitFor([events] { return ReadOr(events).find("frozen 1") != std::string::npos; }, std::move(f));
  }

  ~CgroupFreeze() {
    if (!control_.empty() && !Write(thaw_).ok()) LogError("cannot thaw instance cgroup", {{"control", control_}});
  }

 private:
  CgroupFreeze() = default;

  Status Write(const std::string& value) const {
    FILE* f = fopen(control_.c_str(), "we");
    if (f == nullptr) return Internal("open " + control_ + ": " + strerror(errno));
    bool ok = fputs(value.c_str(), f) >= 0;
    ok = (fclose(f) == 0) && ok;
    return ok ? Status::Ok() : Internal("write " + value + " to " + control_ + ": " + strerror(errno));
  }

  template <typename Pred>
  static Result<std::unique_ptr<CgroupFreeze>> WaitFor(Pred done, std::unique_ptr<CgroupFreeze> f) {
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (Clock::now() > deadline) return Unavailable("the instance did not freeze within 5 s");  // f thaws
      std::this_thread::sleep_for(milliseconds(1));
    }
    return f;
  }

  std::string control_;
  std::string thaw_;
};

}  // namespace

struct ImageService::Build {
  std::string id;
  BuildRequest request;
  std::string state = "running";
  std::vector<std::string> lines;
  std::string image_id;
  Status error;
  int steps = 0, cached = 0;
};

ImageService::ImageService(ImageStore* images, BuildRuntime* runtime, InstanceService* instances,
                           ImageServiceOptions options)
    : images_(images),
      instances_(instances),
      options_(std::move(options)),
      builder_(images, runtime,
               [this] {
                 BuilderOptions b = options_.builder;
                 if (b.build_dir.empty()) b.build_dir = options_.instances_dir;
                 return b;
               }()),
      work_(std::make_unique<WorkQueue>(2)) {}

ImageService::~ImageService() { work_.reset(); }

Result<std::string> ImageService::StartBuild(BuildRequest request) {
  STRATUS_RETURN_IF_ERROR(ParseRecipe(request.recipe).status());
  if (!request.context_dir.empty() && request.context_dir.front() != '/') {
    return InvalidArgument("the build context must be an absolute path on the daemon's host: " + request.context_dir);
  }
  auto build = std::make_unique<Build>();
  build->id = "build-" + RandomHex(12);
  build->request = std::move(request);
  Build* raw = build.get();
  {
    std::lock_guard lock(mu_);
    builds_[raw->id] = std::move(build);
    build_order_.push_back(raw->id);
    while (build_order_.size() > options_.max_builds_kept) {
      auto it = builds_.find(build_order_.front());
      if (it != builds_.end() && it->second->state == "running") break;
      builds_.erase(build_order_.front());
      build_order_.erase(build_order_.begin());
    }
  }
  work_->Submit([this, raw] { RunBuild(raw); });
  return raw->id;
}

void ImageService::RunBuild(Build* build) {
  auto progress = [this, build](const std::string& line) {
    LogInfo("image build", {{"build", build->id}, {"progress", line}});
    std::lock_guard lock(mu_);
    build->lines.push_back(line);
    changed_.notify_all();
  };
  Result<BuildResult> result = Status(Code::kInternal, "not run");
  {
    std::shared_lock layers(layers_mu_);
    result = builder_.Build(build->request, progress);
  }
  std::lock_guard lock(mu_);
  if (result.ok()) {
    build->state = "succeeded";
    build->image_id = result->image.image_id;
    build->steps = result->steps;
    build->cached = result->cached;
  } else {
    build->state = "failed";
    build->error = result.status();
    build->lines.push_back("error: " + result.status().message());
    LogWarn("image build failed", {{"build", build->id}, {"error", result.status().message()}});
  }
  changed_.notify_all();
}

Result<BuildStatus> ImageService::GetBuild(const std::string& build_id, size_t from) const {
  std::lock_guard lock(mu_);
  auto it = builds_.find(build_id);
  if (it == builds_.end()) return NotFound("build " + build_id + " does not exist").WithErrorCode("InvalidBuildID.NotFound");
  const Build& b = *it->second;
  BuildStatus s;
  s.build_id = b.id;
  s.state = b.state;
  for (size_t i = from; i < b.lines.size(); i++) s.lines.push_back(b.lines[i]);
  s.next = std::max(from, b.lines.size());
  s.image_id = b.image_id;
  s.error = b.error;
  s.steps = b.steps;
  s.cached = b.cached;
  return s;
}

Result<BuildStatus> ImageService::WaitBuild(const std::string& build_id, size_t from, milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  {
    std::unique_lock lock(mu_);
    changed_.wait_until(lock, deadline, [&] {
      auto it = builds_.find(build_id);
      return it == builds_.end() || it->second->state != "running" || it->second->lines.size() > from;
    });
  }
  return GetBuild(build_id, from);
}

Result<std::string> ImageService::CopyRootVolume(const Instance& instance, const Image& base) {
  std::string upper = options_.instances_dir + "/" + instance.instance_id + "/root/upper";
  if (!PathExists(upper)) return FailedPrecondition("instance " + instance.instance_id + " has no root volume on this host");
  STRATUS_ASSIGN_OR_RETURN(std::string scratch, images_->NewScratchDir());
  std::unique_ptr<CgroupFreeze> frozen;
  if (instance.state == InstanceState::kRunning) {
    auto f = CgroupFreeze::Freeze(CgroupsPathFor(options_.name, instance.instance_id));
    if (!f.ok()) {
      (void)RemoveAll(scratch);
      return f.status().WithContext("freeze " + instance.instance_id);
    }
    frozen = std::move(*f);
  }
  RunOptions ro;
  ro.timeout = std::chrono::minutes(10);
  auto cp = RunChecked({"cp", "-a", "-T", upper, scratch}, ro);
  frozen.reset();  // thaw as soon as the copy is done
  Status st = cp.ok() ? StripRuntimeArtifacts(scratch, images_->LayerDirsTopFirst(base)) : cp.status();
  if (!st.ok()) {
    (void)RemoveAll(scratch);
    return st.WithContext("copy the root volume of " + instance.instance_id);
  }
  std::error_code ec;
  if (std::filesystem::is_empty(scratch, ec)) {
    (void)RemoveAll(scratch);
    return std::string();
  }
  auto digest = images_->AddLayerFromDir(scratch);
  if (!digest.ok()) (void)RemoveAll(scratch);
  return digest;
}

Result<Image> ImageService::CreateFromInstance(const CreateImageRequest& request) {
  if (request.name.empty()) return InvalidArgument("a name is required").WithErrorCode("MissingParameter");
  if (images_->Find(request.name).ok()) {
    return AlreadyExists("an image named " + request.name + " already exists").WithErrorCode("InvalidAMIName.Duplicate");
  }
  STRATUS_ASSIGN_OR_RETURN(Instance instance, instances_->Get(request.instance_id));
  if (instance.state != InstanceState::kRunning && instance.state != InstanceState::kStopped) {
    return FailedPrecondition("instance " + instance.instance_id + " is " + StateName(instance.state) +
                              "; an image can be created from a running or stopped instance")
        .WithErrorCode("IncorrectInstanceState");
  }
  auto base = images_->Find(instance.image_id);
  if (!base.ok()) return FailedPrecondition("the image of " + instance.instance_id + " (" + instance.image_id + ") is gone");
  std::shared_lock layers(layers_mu_);
  auto t0 = Clock::now();
  STRATUS_ASSIGN_OR_RETURN(std::string layer, CopyRootVolume(instance, *base));
  Image image;
  image.name = request.name;
  image.description = request.description.empty() ? "created from " + instance.instance_id : request.description;
  image.layers = base->layers;
  if (!layer.empty()) image.layers.push_back(layer);
  image.config = base->config;
  image.tags = request.tags;
  STRATUS_ASSIGN_OR_RETURN(Image registered, images_->Register(image));
  LogInfo("image created from instance", {{"image", registered.image_id}, {"instance", instance.instance_id},
                                          {"ms", std::to_string(std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count())}});
  return registered;
}

void ImageService::AddInUseCheck(std::string what, InUseCheck check) {
  std::lock_guard lock(mu_);
  in_use_.emplace_back(std::move(what), std::move(check));
}

Status ImageService::CheckNotInUse(const Image& image) const {
  auto users = instances_ ? instances_->Describe({{"image-id", {image.image_id}}}) : std::vector<Instance>{};
  if (!users.ok()) return users.status();
  std::vector<std::string> ids;
  for (const auto& i : *users) {
    if (i.state != InstanceState::kTerminated) ids.push_back(i.instance_id);
  }
  if (!ids.empty()) {
    std::string list;
    for (size_t i = 0; i < ids.size() && i < 5; i++) list += (i ? ", " : "") + ids[i];
    if (ids.size() > 5) list += ", ...";
    return Conflict("image " + image.image_id + " (" + image.name + ") is used by " + std::to_string(ids.size()) +
                    " instance(s): " + list + "; terminate them first")
        .WithErrorCode("InvalidAMIID.InUse");
  }
  std::lock_guard lock(mu_);
  for (const auto& [what, check] : in_use_) {
    if (check(image.image_id)) {
      return Conflict("image " + image.image_id + " (" + image.name + ") is used by " + what).WithErrorCode("InvalidAMIID.InUse");
    }
  }
  return Status::Ok();
}

Status ImageService::Delete(const std::string& id_or_name) {
  auto image = images_->Find(id_or_name);
  if (!image.ok()) return image.status().WithErrorCode("InvalidAMIID.NotFound");
  if (image->builtin) {
    return FailedPrecondition("image " + image->name + " is built in and cannot be deleted").WithErrorCode("InvalidAMIID.InUse");
  }
  STRATUS_RETURN_IF_ERROR(CheckNotInUse(*image));
  return images_->Deregister(image->image_id);
}

Result<Image> ImageService::ChangeTags(const std::string& id_or_name, const std::vector<Tag>& add,
                                       const std::vector<std::string>& remove) {
  auto image = images_->Find(id_or_name);
  if (!image.ok()) return image.status().WithErrorCode("InvalidAMIID.NotFound");
  std::vector<Tag> tags = image->tags;
  for (const auto& t : add) {
    auto it = std::find_if(tags.begin(), tags.end(), [&](const Tag& x) { return x.key == t.key; });
    if (it != tags.end()) {
      it->value = t.value;
    } else {
      tags.push_back(t);
    }
  }
  for (const auto& k : remove) {
    tags.erase(std::remove_if(tags.begin(), tags.end(), [&](const Tag& x) { return x.key == k; }), tags.end());
  }
  if (tags.size() > 50) return InvalidArgument("an image can have at most 50 tags").WithErrorCode("TagLimitExceeded");
  return images_->SetTags(image->image_id, tags);
}

Result<PruneResult> ImageService::Prune() {
  std::unique_lock layers(layers_mu_);
  std::set<std::string> used;
  for (const auto& image : images_->List()) used.insert(image.layers.begin(), image.layers.end());
  for (const auto& l : builder_.LayersInUse()) used.insert(l);
  STRATUS_ASSIGN_OR_RETURN(auto all, images_->ListLayers());
  PruneResult result;
  for (const auto& l : all) {
    if (used.count(l)) continue;
    uint64_t bytes = static_cast<uint64_t>(images_->LayerBytes(l));
    STRATUS_RETURN_IF_ERROR(images_->RemoveLayer(l));
    result.removed.push_back(l);
    result.bytes += bytes;
  }
  // Cache entries whose layer is gone would only miss: drop them.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(images_->layers_dir() + "/cache", ec)) {
    auto digest = ReadFile(e.path());
    if (digest.ok() && !digest->empty() && !PathExists(images_->LayerDir(*digest))) unlink(e.path().c_str());
  }
  LogInfo("pruned layers", {{"layers", std::to_string(result.removed.size())}, {"bytes", std::to_string(result.bytes)}});
  return result;
}

Result<ExportResult> ImageService::Export(const std::string& id_or_name, const std::string& path) {
  auto image = images_->Find(id_or_name);
  if (!image.ok()) return image.status().WithErrorCode("InvalidAMIID.NotFound");
  std::shared_lock layers(layers_mu_);
  return ExportOciLayout(*images_, *image, path);
}

Result<Image> ImageService::Import(const std::string& path, const std::string& name, const std::string& ref) {
  if (!name.empty() && images_->Find(name).ok()) {
    return AlreadyExists("an image named " + name + " already exists").WithErrorCode("InvalidAMIName.Duplicate");
  }
  std::shared_lock layers(layers_mu_);
  return ImportOciLayout(*images_, path, name, ref);
}

}  // namespace stratus
