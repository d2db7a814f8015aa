// ImageStore: the registry of images (records in the Store) and their layers (directories on disk).
//
// A layer is an unpacked directory at LAYERS/sha256/<hex>, where <hex> is the sha256 of the layer's
// deterministic tar stream (sorted names, zero mtimes and owners), so the same content always gets
// the same digest and is stored once. Instances mount layers read-only as overlayfs lower dirs.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "image/image.h"
#include "store/store.h"

namespace stratus {

class ImageStore {
 public:
  // `store` must outlive this object. Layers live under `layers_dir`.
  ImageStore(Store* store, std::string layers_dir);

  // Loads every image record from the store. Call once at start.
  Status Load();

  std::vector<Image> List() const;

  // Finds an image by id (ami-…) or by name. NotFound: "image X does not exist".
  Result<Image> Find(std::string_view id_or_name) const;

  // Registers a new image: assigns an ami- id when empty, checks that its name is free and that every
  // layer exists, and persists it. Returns the stored image.
  Result<Image> Register(Image image);

  // Replaces the tags of an image.
  Result<Image> SetTags(std::string_view id, std::vector<Tag> tags);

  // Removes an image record (its layers stay until pruned). NotFound when absent.
  Status Deregister(std::string_view id);

  // Moves the directory `dir` into the layer store and returns its digest ("sha256:<hex>"). When a layer
  // with the same digest exists, `dir` is removed and the existing layer is used.
  Result<std::string> AddLayerFromDir(const std::string& dir);

  // The directory of a layer, "LAYERS/sha256/<hex>" for "sha256:<hex>".
  std::string LayerDir(std::string_view digest) const;

  // The layer directories of `image` top first, as overlayfs's lowerdir wants them.
  std::vector<std::string> LayerDirsTopFirst(const Image& image) const;

  // A fresh scratch directory on the same file system as the layers (for building a layer).
  Result<std::string> NewScratchDir();

  // The root of the layer store (LAYERS).
  const std::string& layers_dir() const { return layers_dir_; }

  // Digests ("sha256:<hex>") of every layer on disk.
  Result<std::vector<std::string>> ListLayers() const;

  // Removes a layer's directory. The caller makes sure no image uses it (see ImageService::Prune).
  Status RemoveLayer(std::string_view digest);

  // The bytes a layer takes on disk (its regular files' allocated blocks, as `du` counts them; 0 when
  // it is not on disk). Measured once per digest: a layer never changes once stored. The image API,
  // the cost meter and Prune all use this one measure.
  int64_t LayerBytes(std::string_view digest) const;
  // LayerBytes of each of `image`'s layers (bottom first, as image.layers) and their sum.
  struct Sizes {
    int64_t total = 0;
    std::vector<int64_t> layers;
  };
  Sizes ImageSizes(const Image& image) const;

  // Stores a changed image record (same id): tags, description, state.
  Result<Image> Update(const Image& image);

 private:
  Store* store_;
  std::string layers_dir_;
  mutable std::mutex mu_;
  std::map<std::string, Image> images_;  // by id; GUARDED_BY(mu_)
  mutable std::mutex sizes_mu_;  // apart from mu_: a first measure walks a directory
  mutable std::map<std::string, int64_t, std::less<>> layer_bytes_;  // by digest; GUARDED_BY(sizes_mu_)
};

// Computes "sha256:<hex>" of the deterministic tar stream of `dir`.
Result<std::string> DigestOfDir(const std::string& dir);

}  // namespace stratus
