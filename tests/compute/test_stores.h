// TestStores: what a service's unit test needs beneath the service: a temporary directory (removed at the
// end), a SQLite store in it and an ImageStore over that, with images registered by name (records without
// layers: enough for launches on a FakeInstanceHost).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/ids.h"
#include "image/image_store.h"
#include "store/sqlite_store.h"

namespace stratus {

struct TestStores {
  explicit TestStores(const std::string& prefix)
      : dir(std::filesystem::temp_directory_path() / (prefix + "-" + RandomHex(8))) {
    std::filesystem::create_directories(dir / "layers");
    std::filesystem::create_directories(dir / "instances");
    auto opened = OpenSqliteStore((dir / "db").string());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(opened).value();
    images = std::make_unique<ImageStore>(store.get(), (dir / "layers").string());
    EXPECT_TRUE(images->Load().ok());
  }
  ~TestStores() { std::filesystem::remove_all(dir); }

  // Registers an image record named `name`; returns its id.
  std::string RegisterImage(const std::string& name, bool builtin = false) {
    Image image;
    image.name = name;
    image.builtin = builtin;
    auto registered = images->Register(image);
    EXPECT_TRUE(registered.ok()) << registered.status().ToString();
    return registered.ok() ? registered->image_id : "";
  }
  std::string Path(const std::string& sub) const { return (dir / sub).string(); }

  std::filesystem::path dir;
  StorePtr store;
  std::unique_ptr<ImageStore> images;
};

}  // namespace stratus
