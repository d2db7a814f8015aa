#include "image/image_store.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"

namespace stratus {

namespace {
constexpr char kPrefix[] = "images/";
}  // namespace

Result<std::string> DigestOfDir(const std::string& dir) {
  // Deterministic tar: the same tree always gives the same bytes (and so the same digest as export).
  auto tar = RunChecked({"tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                         "--format=posix", "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
                         "-C", dir, "-cf", "-", "."});
  if (!tar.ok()) return tar.status();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(tar->out.data(), tar->out.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex = "sha256:";
  char b[3];
  for (unsigned i = 0; i < len; i++) {
    snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  return hex;
}

ImageStore::ImageStore(Store* store, std::string layers_dir) : store_(store), layers_dir_(std::move(layers_dir)) {}

Status ImageStore::Load() {
  STRATUS_RETURN_IF_ERROR(MakeDirs(layers_dir_ + "/sha256"));
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
    return Internal("cannot move layer " + dir + " to " + target);
  }
  return digest;
}

}  // namespace stratus
