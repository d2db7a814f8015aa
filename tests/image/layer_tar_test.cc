#include "image/layer_tar.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/files.h"
#include "common/ids.h"
#include "common/subprocess.h"
#include "image/image_store.h"
#include "image/oci_layout.h"
#include "store/sqlite_store.h"

namespace stratus {
namespace {

class LayerTarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/stimg-unit-" + RandomHex(8);
    ASSERT_TRUE(MakeDirs(dir_ + "/a/sub").ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
};

void Write(const std::string& path, const std::string& data) { ASSERT_TRUE(WriteFileAtomic(path, data).ok()); }

TEST_F(LayerTarTest, DeterministicAndContentSensitive) {
  Write(dir_ + "/a/x", "hello");
  Write(dir_ + "/a/sub/" + std::string(150, 'n'), "long name");
  ASSERT_EQ(symlink("x", (dir_ + "/a/link").c_str()), 0);
  ASSERT_EQ(link((dir_ + "/a/x").c_str(), (dir_ + "/a/hard").c_str()), 0);
  auto d1 = WriteLayerTar(dir_ + "/a", -1);
  auto d2 = WriteLayerTar(dir_ + "/a", -1);
  ASSERT_TRUE(d1.ok()) << d1.status().message();
  EXPECT_EQ(*d1, *d2);
  EXPECT_EQ(d1->rfind("sha256:", 0), 0u);
  EXPECT_EQ(DigestOfDir(dir_ + "/a").value(), *d1);
  Write(dir_ + "/a/x", "hellO");
  EXPECT_NE(WriteLayerTar(dir_ + "/a", -1).value(), *d1);
}

TEST_F(LayerTarTest, WhiteoutsRoundTripThroughOciForm) {
  std::string a = dir_ + "/a";
  Write(a + "/keep", "k");
  ASSERT_EQ(mknod((a + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(lsetxattr((a + "/sub").c_str(), kOverlayOpaqueXattr, "y", 1, 0), 0);
  Write(a + "/sub/inside", "i");
  std::string tar = dir_ + "/layer.tar";
  int fd = open(tar.c_str(), O_WRONLY | O_CREAT, 0644);
  auto digest = WriteLayerTar(a, fd);
  close(fd);
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  auto list = RunChecked({"tar", "-tvf", tar});
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->out.find(".wh.gone"), std::string::npos) << list->out;
  EXPECT_NE(list->out.find("sub/.wh..wh..opq"), std::string::npos) << list->out;
  // GNU tar reads it, and unpacking gives overlay whiteouts back with the same digest.
  std::string b = dir_ + "/b";
  ASSERT_TRUE(MakeDirs(b).ok());
  ASSERT_TRUE(UnpackLayerTar(tar, b).ok());
  struct stat st;
  ASSERT_EQ(lstat((b + "/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(PathExists(b + "/.wh.gone"));
  char v[4] = {};
  EXPECT_EQ(lgetxattr((b + "/sub").c_str(), kOverlayOpaqueXattr, v, sizeof v), 1);
  EXPECT_EQ(WriteLayerTar(b, -1).value(), *digest);
}

TEST_F(LayerTarTest, OciLayoutExportImportKeepsDigests) {
  auto store = OpenSqliteStore(dir_ + "/db.sqlite");
  ASSERT_TRUE(store.ok());
  ImageStore images(store->get(), dir_ + "/layers");
  ASSERT_TRUE(images.Load().ok());
  std::vector<std::string> layers;
  for (int i = 0; i < 2; i++) {
    auto scratch = images.NewScratchDir();
    Write(*scratch + "/file" + std::to_string(i), "content " + std::to_string(i));
    layers.push_back(images.AddLayerFromDir(*scratch).value());
  }
  Image image;
  image.name = "web";
  image.layers = layers;
  image.config.env = {"A=1"};
  image.config.ports = {80};
  image.config.services = {ServiceSpec{"web", {"/bin/httpd", "-f"}, {}, RestartPolicy::kAlways}};
  auto registered = images.Register(image);
  ASSERT_TRUE(registered.ok());
  for (std::string target : {dir_ + "/out", dir_ + "/out.tar"}) {
    auto exported = ExportOciLayout(images, *registered, target);
    ASSERT_TRUE(exported.ok()) << exported.status().message();
    EXPECT_EQ(exported->reference, "web");
    if (target.ends_with("out")) {
      for (const auto& l : layers) EXPECT_TRUE(PathExists(target + "/blobs/sha256/" + l.substr(7)));
      EXPECT_TRUE(PathExists(target + "/index.json"));
    }
    // Import into a second store: same layer digests, same config.
    auto store2 = OpenSqliteStore(dir_ + "/db2-" + RandomHex(4));
    ImageStore images2(store2->get(), dir_ + "/layers2-" + RandomHex(4));
    ASSERT_TRUE(images2.Load().ok());
    auto imported = ImportOciLayout(images2, target, "", "");
    ASSERT_TRUE(imported.ok()) << imported.status().message();
    EXPECT_EQ(imported->layers, layers);
    EXPECT_EQ(imported->name, "web");
    EXPECT_EQ(imported->config.ports, std::vector<int>{80});
    ASSERT_EQ(imported->config.services.size(), 1u);
    EXPECT_EQ(imported->config.services[0].command[0], "/bin/httpd");
  }
  EXPECT_FALSE(ExportOciLayout(images, *registered, dir_ + "/out").ok());  // not empty
  EXPECT_FALSE(ImportOciLayout(images, dir_ + "/nothing", "", "").ok());
  ASSERT_TRUE(MakeDirs(dir_ + "/bad").ok());
  Write(dir_ + "/bad/index.json", "{\"manifests\": []}");
  auto bad = ImportOciLayout(images, dir_ + "/bad", "x", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no manifests"), std::string::npos);
}

}  // namespace
}  // namespace stratus
