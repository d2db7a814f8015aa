#include "image/image_builder.h"

#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/process_tools.h"
#include "common/subprocess.h"
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

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr char kExitFile[] = "build.exit";
constexpr char kLogFile[] = "build.log";

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; i++) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

long MsSince(Clock::time_point t0) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count());
}

std::string Short(const std::string& digest) {
  return digest.empty() ? "(no changes)" : digest.substr(0, std::min<size_t>(digest.size(), 19));
}

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, int lines) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  size_t pos = t.size();
  for (int i = 0; i < lines && pos != std::string::npos && pos > 0; i++) pos = t.rfind('\n', pos - 1);
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

// The build instance of one run step; destroyed (container, mounts, dir) however the step ends.
class BuildInstance {
 public:
  BuildInstance(BuildRuntime* runtime, std::string id, std::string dir)
      : runtime_(runtime), id_(std::move(id)), dir_(std::move(dir)) {}
  ~BuildInstance() {
    Status st = runtime_->Destroy(id_, dir_, milliseconds(0));
    if (!st.ok()) LogWarn("cannot remove build instance", {{"instance", id_}, {"error", st.message()}});
  }
  BuildInstance(const BuildInstance&) = delete;
  BuildInstance& operator=(const BuildInstance&) = delete;

 private:
  BuildRuntime* runtime_;
  std::string id_;
  std::string dir_;
};

// Finds `rel` (no leading slash) in the layers, top first; false when no layer has it.
bool StatInLayers(const std::vector<std::string>& lowers, const std::string& rel, struct stat* st) {
  for (const auto& l : lowers) {
    if (lstat((l + "/" + rel).c_str(), st) == 0) return !(S_ISCHR(st->st_mode) && st->st_rdev == 0);
  }
  return false;
}

// Looks NAME up in the image's /etc/passwd or /etc/group (field 3 is the id).
Result<unsigned> LookupId(const std::vector<std::string>& lowers, const std::string& file, const std::string& name) {
  if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) return static_cast<unsigned>(std::stoul(name));
  for (const auto& l : lowers) {
    auto text = ReadFile(l + "/etc/" + file);
    if (!text.ok()) continue;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string part; std::getline(ls, part, ':');) f.push_back(part);
      if (f.size() >= 3 && f[0] == name) return static_cast<unsigned>(std::stoul(f[2]));
    }
    break;  // the topmost /etc/FILE is the one the image sees
  }
  return NotFound((file == "passwd" ? "user " : "group ") + name + " is not in the image's /etc/" + file);
}

// mkdir -p of `rel`'s parents inside `layer`, each with the mode and owner it has in the layers below.
Status MakeParents(const std::string& layer, const std::vector<std::string>& lowers, const std::string& rel) {
  std::string cur;
  std::stringstream ss(rel);
  std::vector<std::string> parts;
  for (std::string p; std::getline(ss, p, '/');) {
    if (!p.empty()) parts.push_back(p);
  }
  for (size_t i = 0; i + 1 < parts.size(); i++) {
    cur += (cur.empty() ? "" : "/") + parts[i];
    std::string path = layer + "/" + cur;
    if (PathExists(path)) continue;
    struct stat st;
    bool below = StatInLayers(lowers, cur, &st) && S_ISDIR(st.st_mode);
    if (mkdir(path.c_str(), below ? (st.st_mode & 07777) : 0755) != 0) return Internal("mkdir " + path + ": " + strerror(errno));
    if (below) {
      chmod(path.c_str(), st.st_mode & 07777);
      if (lchown(path.c_str(), st.st_uid, st.st_gid) != 0) return Internal("chown " + path + ": " + strerror(errno));
    }
  }
  return Status::Ok();
}

bool DirIsEmpty(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_empty(dir, ec) && !ec;
}

}  // namespace

HostAptConfig ReadHostAptConfig(const std::string& apt_dir) {
  HostAptConfig c;
  if (PathExists(apt_dir + "/sources.list")) {
    auto text = ReadFile(apt_dir + "/sources.list");
    if (text.ok() && text->find("deb") != std::string::npos) c.sources.push_back(apt_dir + "/sources.list");
  }
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(apt_dir + "/sources.list.d", ec)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (f.ends_with(".list") || f.ends_with(".sources")) c.sources.push_back(f);
  }
  files.clear();
  for (const auto& e : std::filesystem::directory_iterator(apt_dir + "/apt.conf.d", ec)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto text = ReadFile(f);
    if (text.ok() && text->find("Acquire") != std::string::npos) c.aptopts.push_back(f);
  }
  return c;
}

Status StripRuntimeArtifacts(const std::string& upper, const std::vector<std::string>& lowers) {
  // Mount points runc creates when the image lacks them, and init's per-instance marker.
  for (const char* rel : {"sbin/stratus-init", "etc/resolv.conf", "etc/hostname", "etc/hosts"}) {
    struct stat st, below;
    std::string path = upper + "/" + rel;
    if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && !StatInLayers(lowers, rel, &below)) {
      unlink(path.c_str());
    }
  }
  (void)unlink((upper + kUserDataMarker).c_str());
  for (const char* rel : {"run/stratus", "var/lib/stratus", "sbin", "run", "var/lib", "var", "etc"}) {
    std::string path = upper + "/" + rel;
    // Empty and not opaque: either runc made it, or overlay copied it up for a mount point; it adds nothing.
    char opaque[2] = {};
    if (DirIsEmpty(path) && lgetxattr(path.c_str(), kOverlayOpaqueXattr, opaque, sizeof opaque) <= 0) rmdir(path.c_str());
  }
  return CleanOverlayXattrs(upper);
}

struct ImageBuilder::Job {
  const BuildRequest* request = nullptr;
  Recipe recipe;
  ImageConfig config;            // the base image's, then the recipe's on top
  std::vector<std::string> layers;  // bottom first
  std::string chain;             // what the cache key of the next step builds on
  const ProgressFn* progress = nullptr;
  int total = 0, index = 0, cached = 0;

  void Say(const std::string& line) const { (*progress)(line); }
  std::string Prefix() const { return "[" + std::to_string(index) + "/" + std::to_string(total) + "] "; }
  std::vector<std::string> LowersTopFirst(const ImageStore& images) const {
    std::vector<std::string> out;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) out.push_back(images.LayerDir(*it));
    return out;
  }
  void Push(const std::string& digest) {
    chain = Sha256Hex(chain + "|" + digest);
    if (!digest.empty()) layers.push_back(digest);
  }
};

ImageBuilder::ImageBuilder(ImageStore* images, BuildRuntime* runtime, BuilderOptions options)
    : images_(images), runtime_(runtime), options_(std::move(options)) {}

std::vector<std::string> ImageBuilder::LayersInUse() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const Job* j : jobs_) out.insert(out.end(), j->layers.begin(), j->layers.end());
  return out;
}

bool ImageBuilder::CacheLookup(const std::string& key, std::string* digest) const {
  auto text = ReadFile(images_->layers_dir() + "/cache/" + key);
  if (!text.ok()) return false;
  if (!text->empty() && !PathExists(images_->LayerDir(*text))) return false;  // pruned
  *digest = *text;
  return true;
}

void ImageBuilder::CacheStore(const std::string& key, const std::string& digest) const {
  Status st = MakeDirs(images_->layers_dir() + "/cache");
  if (st.ok()) st = WriteFileAtomic(images_->layers_dir() + "/cache/" + key, digest);
  if (!st.ok()) LogWarn("cannot record build cache entry", {{"error", st.message()}});
}

Result<BuildResult> ImageBuilder::Build(const BuildRequest& request, const ProgressFn& progress) {
  Job job;
  job.request = &request;
  job.progress = &progress;
  STRATUS_ASSIGN_OR_RETURN(job.recipe, ParseRecipe(request.recipe));
  job.total = 1 + static_cast<int>(job.recipe.steps.size());
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(&job);
  }
  struct Unlist {
    ImageBuilder* b;
    Job* j;
    ~Unlist() {
      std::lock_guard lock(b->mu_);
      b->jobs_.erase(std::remove(b->jobs_.begin(), b->jobs_.end(), j), b->jobs_.end());
    }
  } unlist{this, &job};
  auto t0 = Clock::now();
  job.index = 1;
  STRATUS_RETURN_IF_ERROR(BuildBase(job));
  for (const auto& step : job.recipe.steps) {
    job.index++;
    STRATUS_RETURN_IF_ERROR(step.kind == StepKind::kRun ? RunStep(job, step) : FileStep(job, step));
  }
  STRATUS_ASSIGN_OR_RETURN(BuildResult result, Register(job, request));
  progress((result.existing ? "unchanged " : "built ") + result.image.image_id + " (" + result.image.name + ") in " +
           std::to_string(MsSince(t0)) + " ms, " + std::to_string(job.cached) + "/" + std::to_string(job.total) +
           " steps cached");
  return result;
}

Status ImageBuilder::BuildBase(Job& job) {
  const Recipe& r = job.recipe;
  std::string where = "line " + std::to_string(r.base_line) + ": ";
  auto t0 = Clock::now();
  if (r.base == BaseKind::kDebian) return BuildDebianBase(job);
  if (r.base == BaseKind::kScratch) {
    STRATUS_ASSIGN_OR_RETURN(std::string dir, images_->NewScratchDir());
    STRATUS_ASSIGN_OR_RETURN(std::string empty, images_->AddLayerFromDir(dir));
    job.Push(empty);
  } else {
    std::string ref = r.base == BaseKind::kBusybox ? "busybox" : r.base_ref;
    auto base = images_->Find(ref);
    if (!base.ok()) {
      return NotFound(where + "base image " + ref +
                      " does not exist (expected scratch, busybox, debian [SUITE] or an image id or name)")
          .WithErrorCode("InvalidAMIID.NotFound");
    }
    job.config = base->config;
    for (const auto& l : base->layers) job.Push(l);
  }
  job.cached++;
  job.Say(job.Prefix() + "base " + (r.base_ref.empty() ? std::string(r.base == BaseKind::kScratch ? "scratch" : "busybox")
                                                        : r.base_ref) +
          ": " + std::to_string(job.layers.size()) + " layer(s) (" + std::to_string(MsSince(t0)) + " ms)");
  return Status::Ok();
}

Status ImageBuilder::BuildDebianBase(Job& job) {
  const Recipe& r = job.recipe;
  auto t0 = Clock::now();
  HostAptConfig apt = ReadHostAptConfig(options_.apt_dir);
  if (apt.sources.empty()) {
    return FailedPrecondition("line " + std::to_string(r.base_line) + ": the host has no apt sources in " +
                              options_.apt_dir + " for a debian base");
  }
  std::string suite = r.base_ref;
  if (suite.empty()) {
    auto os = ReadFile("/etc/os-release");
    auto pos = os.ok() ? os->find("VERSION_CODENAME=") : std::string::npos;
    suite = pos == std::string::npos ? "bookworm" : os->substr(pos + 17, os->find('\n', pos) - pos - 17);
  }
  std::string key_text = "debian|" + suite;
  for (const auto& p : r.packages) key_text += "|pkg:" + p;
  for (const auto& f : apt.sources) key_text += "|" + ReadOr(f);
  for (const auto& f : apt.aptopts) key_text += "|" + ReadOr(f);
  std::string key = Sha256Hex(key_text);
  std::string label = "base debian " + suite + (r.packages.empty() ? "" : " + " + std::to_string(r.packages.size()) + " package(s)");
  std::string digest;
  if (CacheLookup(key, &digest)) {
    job.cached++;
    job.Push(digest);
    job.Say(job.Prefix() + label + ": cached " + Short(digest));
    job.config.env = {kDefaultPath};
    return Status::Ok();
  }
  job.Say(job.Prefix() + label + ": running mmdebstrap (a minute or two)");
  STRATUS_ASSIGN_OR_RETURN(std::string dir, images_->NewScratchDir());
  std::vector<std::string> argv = {options_.mmdebstrap, "--variant=minbase", "--mode=root", "--format=directory"};
  if (!r.packages.empty()) {
    std::string inc;
    for (const auto& p : r.packages) inc += (inc.empty() ? "" : ",") + p;
    argv.push_back("--include=" + inc);
  }
  for (const auto& o : apt.aptopts) argv.push_back("--aptopt=" + o);
  argv.push_back(suite);
  argv.push_back(dir);
  for (const auto& s : apt.sources) argv.push_back(s);
  RunOptions ro;
  ro.timeout = options_.step_timeout;
  // mmdebstrap's status lines ("I: downloading packages with apt...") as progress: a cold build is otherwise
  // silent for a minute.
  auto res = RunProcessWithLines(argv, ro, [&job, &label](const std::string& line) {
    if (line.rfind("I: ", 0) == 0) job.Say(job.Prefix() + label + ": " + line.substr(3));
  });
  if (!res.ok() || res->exit_code != 0) {
    (void)RemoveAll(dir);
    std::string out = res.ok() ? res->out + res->err : res.status().message();
    return FailedPrecondition("line " + std::to_string(r.base_line) + ": mmdebstrap failed (exit code " +
                              std::to_string(res.ok() ? res->exit_code : -1) + "); last output:\n" + Tail(out, 15));
  }
  STRATUS_ASSIGN_OR_RETURN(digest, images_->AddLayerFromDir(dir));
  CacheStore(key, digest);
  job.Push(digest);
  job.config.env = {kDefaultPath};
  job.Say(job.Prefix() + label + ": built " + Short(digest) + " (" + std::to_string(MsSince(t0)) + " ms)");
  return Status::Ok();
}

Result<std::string> ImageBuilder::StepKey(const Job& job, const RecipeStep& step) const {
  std::string text = job.chain + "\n" + step.text;
  for (const auto& e : step.env) text += "\nenv " + e;
  if (step.kind == StepKind::kFile) {
    std::string src = job.request->context_dir + "/" + step.source;
    struct stat st;
    if (job.request->context_dir.empty() || lstat(src.c_str(), &st) != 0) {
      return NotFound("line " + std::to_string(step.line) + ": file " + step.source + " is not in the build context " +
                      (job.request->context_dir.empty() ? "(no context dir was given)" : job.request->context_dir))
          .WithErrorCode("InvalidRecipe");
    }
    std::error_code ec;
    auto real = std::filesystem::weakly_canonical(src, ec).string();
    auto ctx = std::filesystem::weakly_canonical(job.request->context_dir, ec).string();
    if (real != ctx && real.rfind(ctx + "/", 0) != 0) {
      return InvalidArgument("line " + std::to_string(step.line) + ": file " + step.source + " leads out of the build context");
    }
    if (S_ISDIR(st.st_mode)) {
      STRATUS_ASSIGN_OR_RETURN(std::string d, WriteLayerTar(src, -1));
      text += "\ndir " + d;
    } else {
      STRATUS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(src));
      text += "\nfile " + Sha256Hex(bytes) + " " + std::to_string(st.st_mode & 07777);
    }
  }
  return Sha256Hex(text);
}

Status ImageBuilder::RunStep(Job& job, const RecipeStep& step) {
  auto t0 = Clock::now();
  STRATUS_ASSIGN_OR_RETURN(std::string key, StepKey(job, step));
  std::string digest;
  std::string label = job.Prefix() + step.text.substr(0, 70) + (step.text.size() > 70 ? "..." : "");
  if (CacheLookup(key, &digest)) {
    job.cached++;
    job.Push(digest);
    job.Say(label + ": cached " + Short(digest));
    return Status::Ok();
  }
  job.Say(label + ": running");
  STRATUS_ASSIGN_OR_RETURN(digest, ExecuteRun(job, step));
  CacheStore(key, digest);
  job.Push(digest);
  job.Say(label + ": done " + Short(digest) + " (" + std::to_string(MsSince(t0)) + " ms)");
  return Status::Ok();
}

Status ImageBuilder::FileStep(Job& job, const RecipeStep& step) {
  auto t0 = Clock::now();
  STRATUS_ASSIGN_OR_RETURN(std::string key, StepKey(job, step));
  std::string digest;
  std::string label = job.Prefix() + step.text.substr(0, 70);
  if (CacheLookup(key, &digest)) {
    job.cached++;
    job.Push(digest);
    job.Say(label + ": cached " + Short(digest));
    return Status::Ok();
  }
  STRATUS_ASSIGN_OR_RETURN(digest, ExecuteFile(job, step));
  CacheStore(key, digest);
  job.Push(digest);
  job.Say(label + ": done " + Short(digest) + " (" + std::to_string(MsSince(t0)) + " ms)");
  return Status::Ok();
}

Result<std::string> ImageBuilder::ExecuteFile(const Job& job, const RecipeStep& step) {
  std::string where = "line " + std::to_string(step.line) + ": ";
  auto lowers = job.LowersTopFirst(*images_);
  unsigned uid = 0, gid = 0;
  if (!step.owner.empty()) {
    auto colon = step.owner.find(':');
    auto u = LookupId(lowers, "passwd", step.owner.substr(0, colon));
    if (!u.ok()) return InvalidArgument(where + u.status().message());
    auto g = LookupId(lowers, "group", step.owner.substr(colon + 1));
    if (!g.ok()) return InvalidArgument(where + g.status().message());
    uid = *u;
    gid = *g;
  }
  std::string src = job.request->context_dir + "/" + step.source;
  std::string rel = step.destination.substr(1);
  if (step.destination.back() == '/') rel += std::filesystem::path(step.source).filename().string();
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  if (rel.empty()) return InvalidArgument(where + "file destination must not be /");
  STRATUS_ASSIGN_OR_RETURN(std::string dir, images_->NewScratchDir());
  auto fail = [&dir](Status st) {
    (void)RemoveAll(dir);
    return st;
  };
  Status st = MakeParents(dir, lowers, rel);
  if (!st.ok()) return fail(st);
  std::string dest = dir + "/" + rel;
  auto cp = RunChecked({"cp", "-a", "--no-preserve=ownership", "-T", src, dest});
  if (!cp.ok()) return fail(cp.status().WithContext(where + "copy " + step.source));
  auto own = RunChecked({"chown", "-R", "-h", std::to_string(uid) + ":" + std::to_string(gid), dest});
  if (!own.ok()) return fail(own.status());
  if (step.mode >= 0 && chmod(dest.c_str(), static_cast<mode_t>(step.mode)) != 0) {
    return fail(Internal("chmod " + dest + ": " + strerror(errno)));
  }
  auto digest = images_->AddLayerFromDir(dir);
  if (!digest.ok()) return fail(digest.status());
  return *digest;
}

Result<std::string> ImageBuilder::ExecuteRun(const Job& job, const RecipeStep& step) {
  std::string id = NewId("i");
  std::string dir = options_.build_dir + "/" + id;
  RuntimeSpec spec;
  spec.instance_id = id;
  spec.hostname = "build";
  spec.layer_dirs = job.LowersTopFirst(*images_);
  spec.instance_dir = dir;
  spec.type = InstanceType{"build", 2, 4096, 8192};
  // The daemon's own network (the host's): steps may fetch what they install.
  spec.netns_path = "/proc/" + std::to_string(getpid()) + "/ns/net";
  spec.runtime = options_.runtime;
  spec.stop_timeout = milliseconds(1000);
  if (PathExists("/etc/resolv.conf")) spec.extra_mounts.push_back({"/etc/resolv.conf", "/etc/resolv.conf", true});
  bool has_path = false;
  for (const auto& e : job.config.env) has_path = has_path || e.rfind("PATH=", 0) == 0;
  std::vector<std::string> env = job.config.env;
  if (!has_path) env.push_back(kDefaultPath);
  env.insert(env.end(), step.env.begin(), step.env.end());
  ServiceSpec svc;
  svc.name = "build-step";
  svc.restart = RestartPolicy::kNever;
  for (const auto& e : env) svc.env[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  svc.env["HOME"] = "/root";
  svc.env["DEBIAN_FRONTEND"] = "noninteractive";
  svc.env["STRATUS_STEP"] = step.command;
  svc.command = {"/bin/sh", "-c",
                 std::string("/bin/sh -c \"$STRATUS_STEP\" </dev/null >/run/stratus/") + kLogFile + " 2>&1; echo $? >/run/stratus/" +
                     kExitFile};
  spec.services = {svc};
  std::string where = "step " + std::to_string(job.index) + "/" + std::to_string(job.total) + " (line " +
                      std::to_string(step.line) + ": " + step.text + ")";
  BuildInstance guard(runtime_, id, dir);
  Status st = runtime_->Start(spec);
  if (!st.ok()) return st.WithContext(where);
  InstancePaths paths(dir);
  std::string exit_file = paths.run_dir + "/" + kExitFile;
  auto pid_text = ReadFile(paths.pid_file);
  int pid = pid_text.ok() ? atoi(pid_text->c_str()) : 0;
  auto deadline = Clock::now() + options_.step_timeout;
  std::string exit_text;
  auto sleep = milliseconds(1);
  for (;;) {
    auto t = ReadFile(exit_file);
    if (t.ok() && !t->empty() && t->back() == '\n') {
      exit_text = *t;
      break;
    }
    if (pid > 0 && kill(pid, 0) != 0) break;  // the build instance died
    if (Clock::now() > deadline) break;
    std::this_thread::sleep_for(sleep);
    sleep = std::min(sleep * 2, milliseconds(20));
  }
  std::string output = ReadOr(paths.run_dir + "/" + kLogFile);
  if (exit_text.empty()) {
    return FailedPrecondition(where + " did not finish (timed out after " +
                              std::to_string(options_.step_timeout.count() / 1000) + " s or the build instance died); last output:\n" +
                              Tail(output, 20));
  }
  int code = atoi(exit_text.c_str());
  if (code != 0) {
    return FailedPrecondition(where + " failed with exit code " + std::to_string(code) + "; last output:\n" +
                              Tail(output, 20))
        .WithErrorCode("BuildStepFailed");
  }
  STRATUS_RETURN_IF_ERROR(runtime_->Stop(id, milliseconds(1000), dir));
  STRATUS_RETURN_IF_ERROR(StripRuntimeArtifacts(paths.upper, spec.layer_dirs));
  if (DirIsEmpty(paths.upper)) return std::string();
  STRATUS_ASSIGN_OR_RETURN(std::string scratch, images_->NewScratchDir());
  if (rmdir(scratch.c_str()) != 0 || rename(paths.upper.c_str(), scratch.c_str()) != 0) {
    auto cp = RunChecked({"cp", "-a", "-T", paths.upper, scratch});
    if (!cp.ok()) {
      (void)RemoveAll(scratch);
      return cp.status();
    }
  }
  auto digest = images_->AddLayerFromDir(scratch);
  if (!digest.ok()) {
    (void)RemoveAll(scratch);
    return digest.status();
  }
  return *digest;
}

Result<BuildResult> ImageBuilder::Register(Job& job, const BuildRequest& request) {
  const Recipe& r = job.recipe;
  ImageConfig& c = job.config;
  for (const auto& e : r.config.env) {
    std::string key = e.substr(0, e.find('=') + 1);
    c.env.erase(std::remove_if(c.env.begin(), c.env.end(), [&](const std::string& x) { return x.rfind(key, 0) == 0; }),
                c.env.end());
    c.env.push_back(e);
  }
  for (const auto& s : r.config.services) {
    c.services.erase(std::remove_if(c.services.begin(), c.services.end(), [&](const auto& x) { return x.name == s.name; }),
                     c.services.end());
    c.services.push_back(s);
  }
  for (int p : r.config.ports) {
    if (std::find(c.ports.begin(), c.ports.end(), p) == c.ports.end()) c.ports.push_back(p);
  }
  if (r.config.health_check.port != 0) c.health_check = r.config.health_check;
  for (const auto& kv : r.config.sysctls) {
    c.sysctls.erase(std::remove_if(c.sysctls.begin(), c.sysctls.end(), [&](const auto& x) { return x.first == kv.first; }),
                    c.sysctls.end());
    c.sysctls.push_back(kv);
  }
  Image image;
  image.name = request.name.empty() ? "build-" + RandomHex(8) : request.name;
  image.description = request.description.empty() ? r.description : request.description;
  image.layers = job.layers;
  image.config = c;
  image.tags = request.tags;
  BuildResult result;
  result.steps = job.total;
  result.cached = job.cached;
  auto existing = images_->Find(image.name);
  if (existing.ok() && existing->name == image.name) {
    if (existing->layers == image.layers && ToJson(*existing)["Services"] == ToJson(image)["Services"] &&
        existing->config.env == image.config.env && existing->config.ports == image.config.ports) {
      result.image = *existing;
      result.existing = true;
      return result;
    }
    return AlreadyExists("an image named " + image.name + " already exists (" + existing->image_id +
                         ") with other content; pick another --name or delete it")
        .WithErrorCode("InvalidAMIName.Duplicate");
  }
  STRATUS_ASSIGN_OR_RETURN(result.image, images_->Register(image));
  return result;
}

}  // namespace stratus
