#include "image/image_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "common/time_format.h"
#include "image/layer_tar.h"

namespace stratus {

namespace {
constexpr char kPrefix[] = "images/";
}  // namespace

Result<std::string> DigestOfDir(const std::string& dir) {
  // The layer's deterministic tar stream (layer_tar.h): the same tree always gives the same digest,
  // and an export writes exactly these bytes as the layer's blob.
  return WriteLayerTar(dir, -1);
}

ImageStore::ImageStore(Store* store, std::string layers_dir) : store_(store), layers_dir_(std::move(layers_dir)) {}

Status ImageStore::Load() {
  STRATUS_RETURN_IF_ERROR(MakeDirs(layers_dir_ + "/sha256"));
  // Scratch dirs of commits a crash interrupted: never layers, safe to drop.
  STRATUS_RETURN_IF_ERROR(RemoveAll(layers_dir_ + "/tmp"));
  STRATUS_RETURN_IF_ERROR(MakeDirs(layers_dir_ + "/tmp"));
  STRATUS_ASSIGN_OR_RETURN(auto kvs, store_->List(kPrefix));
  std::lock_guard lock(mu_);
  for (const auto& kv : kvs) {
    auto j = nlohmann::json::parse(kv.value, nullptr, false);
    auto image = ImageFromJson(j);
    if (!image.ok()) return image.status().WithContext(kv.key);
    images_[image->image_id] = std::move(*image);
  }
  return Status::Ok();
}

std::vector<Image> ImageStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<Image> out;
  for (const auto& [id, image] : images_) out.push_back(image);
  return out;
}

Result<Image> ImageStore::Find(std::string_view id_or_name) const {
  std::lock_guard lock(mu_);
  auto it = images_.find(std::string(id_or_name));
  if (it != images_.end()) return it->second;
  for (const auto& [id, image] : images_) {
    if (image.name == id_or_name) return image;
  }
  return NotFound("image " + std::string(id_or_name) + " does not exist");
}

Result<Image> ImageStore::Register(Image image) {
  if (image.image_id.empty()) image.image_id = NewId("ami");
  if (image.creation_date.empty()) image.creation_date = NowIso8601();
  if (image.name.empty()) return InvalidArgument("an image needs a name");
  for (const auto& layer : image.layers) {
    if (!PathExists(LayerDir(layer))) return NotFound("layer " + layer + " of image " + image.name + " is missing");
  }
  std::lock_guard lock(mu_);
  for (const auto& [id, other] : images_) {
    if (other.name == image.name) return AlreadyExists("an image named " + image.name + " already exists (" + id + ")");
  }
  auto rev = store_->Put(kPrefix + image.image_id, ToJson(image).dump(), kMustNotExist);
  if (!rev.ok()) return rev.status();
  images_[image.image_id] = image;
  return image;
}

Result<Image> ImageStore::SetTags(std::string_view id, std::vector<Tag> tags) {
  std::lock_guard lock(mu_);
  auto it = images_.find(std::string(id));
  if (it == images_.end()) return NotFound("image " + std::string(id) + " does not exist");
  Image updated = it->second;
  updated.tags = std::move(tags);
  auto rev = store_->Put(kPrefix + updated.image_id, ToJson(updated).dump());
  if (!rev.ok()) return rev.status();
  it->second = updated;
  return updated;
}

Status ImageStore::Deregister(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = images_.find(std::string(id));
  if (it == images_.end()) return NotFound("image " + std::string(id) + " does not exist");
  STRATUS_RETURN_IF_ERROR(store_->Delete(kPrefix + it->first));
  images_.erase(it);
  return Status::Ok();
}

std::string ImageStore::LayerDir(std::string_view digest) const {
  std::string_view hex = digest;
  if (hex.rfind("sha256:", 0) == 0) hex.remove_prefix(7);
  return layers_dir_ + "/sha256/" + std::string(hex);
}

std::vector<std::string> ImageStore::LayerDirsTopFirst(const Image& image) const {
  std::vector<std::string> dirs;
  for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it) dirs.push_back(LayerDir(*it));
  return dirs;
}

Result<std::string> ImageStore::NewScratchDir() {
  std::string dir = layers_dir_ + "/tmp/" + RandomHex(12);
  STRATUS_RETURN_IF_ERROR(MakeDirs(dir));
  return dir;
}

Result<std::string> ImageStore::AddLayerFromDir(const std::string& dir) {
  STRATUS_ASSIGN_OR_RETURN(std::string digest, DigestOfDir(dir));
  std::string target = LayerDir(digest);
  if (PathExists(target)) {
    STRATUS_RETURN_IF_ERROR(RemoveAll(dir));
    return digest;
  }
  if (rename(dir.c_str(), target.c_str()) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST) {  // the same layer was committed concurrently
      STRATUS_RETURN_IF_ERROR(RemoveAll(dir));
      return digest;
    }
    return Internal("cannot move layer " + dir + " to " + target + ": " + strerror(errno));
  }
  return digest;
}

Result<std::vector<std::string>> ImageStore::ListLayers() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(layers_dir_ + "/sha256", ec)) {
    out.push_back("sha256:" + e.path().filename().string());
  }
  if (ec) return Internal("list layers in " + layers_dir_ + ": " + ec.message());
  return out;
}

int64_t ImageStore::LayerBytes(std::string_view digest) const {
  std::lock_guard lock(sizes_mu_);
  if (auto it = layer_bytes_.find(digest); it != layer_bytes_.end()) return it->second;
  std::string dir = LayerDir(digest);
  if (!PathExists(dir)) return 0;  // not remembered: it may be stored later
  int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != decltype(it)(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<int64_t>(st.st_blocks) * 512;
  }
  layer_bytes_.emplace(std::string(digest), total);
  return total;
}

ImageStore::Sizes ImageStore::ImageSizes(const Image& image) const {
  Sizes sizes;
  for (const auto& digest : image.layers) {
    sizes.layers.push_back(LayerBytes(digest));
    sizes.total += sizes.layers.back();
  }
  return sizes;
}

Status ImageStore::RemoveLayer(std::string_view digest) {
  // Rename first so a half-removed layer is never mistaken for a whole one.
  std::string dir = LayerDir(digest);
  {
    std::lock_guard lock(sizes_mu_);
    if (auto it = layer_bytes_.find(digest); it != layer_bytes_.end()) layer_bytes_.erase(it);
  }
  if (!PathExists(dir)) return Status::Ok();
  std::string doomed = layers_dir_ + "/tmp/rm-" + RandomHex(12);
  if (rename(dir.c_str(), doomed.c_str()) != 0) return Internal("remove layer " + dir + ": " + strerror(errno));
  return RemoveAll(doomed);
}

Result<Image> ImageStore::Update(const Image& image) {
  std::lock_guard lock(mu_);
  auto it = images_.find(image.image_id);
  if (it == images_.end()) return NotFound("image " + image.image_id + " does not exist");
  auto rev = store_->Put(kPrefix + image.image_id, ToJson(image).dump());
  if (!rev.ok()) return rev.status();
  it->second = image;
  return image;
}

}  // namespace stratus
