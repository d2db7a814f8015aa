// ImageBuilder and ImageService behind fakes (a FakeBuildRuntime for `run` steps, an InstanceService on a
// FakeInstanceHost): builds, the step cache, failures that register nothing, the in-use checks of
// deregistration, tags and prune — without root.
#include "image/image_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../compute/fake_instance_host.h"
#include "../compute/test_stores.h"
#include "common/files.h"
#include "fake_build_runtime.h"

namespace stratus {
namespace {

using namespace std::chrono_literals;

class ImageTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    stores_.RegisterImage("base");  // no layers: the fake runs steps without a shell
    runtime_.When("echo hi > /hello", {{{"hello", "hi\n"}}, 0, ""});
    runtime_.When("exit 3", {{{"half", "x"}}, 3, "something went wrong\n"});
  }
  BuilderOptions Options() {
    BuilderOptions o;
    o.build_dir = stores_.Path("instances");
    o.step_timeout = 10s;
    return o;
  }
  size_t LayerCount() {
    auto layers = stores_.images->ListLayers();
    return layers.ok() ? layers->size() : 0;
  }

  TestStores stores_{"image-service-test"};
  ImageStore* images_ = stores_.images.get();
  FakeBuildRuntime runtime_;
};

constexpr char kRecipe[] = "base base\nrun echo hi > /hello\nport 8080\nenv GREETING=hi\n";

using ImageBuilderTest = ImageTestBase;

TEST_F(ImageBuilderTest, BuildsOneLayerPerStepAndRegistersTheImage) {
  ImageBuilder builder(images_, &runtime_, Options());
  std::vector<std::string> lines;
  auto built = builder.Build({kRecipe, "", "hello", "", {{"team", "web"}}}, [&](const std::string& l) { lines.push_back(l); });
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->image.name, "hello");
  EXPECT_EQ(built->image.config.ports, std::vector<int>{8080});
  ASSERT_FALSE(built->image.layers.empty());
  std::string top = images_->LayerDir(built->image.layers.back());
  EXPECT_EQ(*ReadFile(top + "/hello"), "hi\n");
  EXPECT_TRUE(images_->Find("hello").ok());
  EXPECT_FALSE(lines.empty());
}

TEST_F(ImageBuilderTest, AnUnchangedRecipeIsAllCacheHits) {
  ImageBuilder builder(images_, &runtime_, Options());
  auto first = builder.Build({kRecipe, "", "hello", "", {}}, [](const std::string&) {});
  ASSERT_TRUE(first.ok());
  int starts = runtime_.starts();
  auto again = builder.Build({kRecipe, "", "hello", "", {}}, [](const std::string&) {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(again->image.image_id, first->image.image_id);
  EXPECT_EQ(runtime_.starts(), starts);  // no build instance this time
  EXPECT_GE(again->cached, 1);
}

TEST_F(ImageBuilderTest, AFailingStepRegistersNothingAndLeavesNoLayer) {
  ImageBuilder builder(images_, &runtime_, Options());
  size_t layers = LayerCount();
  auto failed = builder.Build({"base base\nrun exit 3\n", "", "broken", "", {}}, [](const std::string&) {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().error_code(), "BuildStepFailed");
  EXPECT_NE(failed.status().message().find("exit code 3"), std::string::npos) << failed.status().message();
  EXPECT_NE(failed.status().message().find("something went wrong"), std::string::npos);
  EXPECT_FALSE(images_->Find("broken").ok());
  EXPECT_EQ(LayerCount(), layers);
}

TEST_F(ImageBuilderTest, RecipeBaseAndNameErrors) {
  ImageBuilder builder(images_, &runtime_, Options());
  auto syntax = builder.Build({"base scratch\nfrobnicate\n", "", "x", "", {}}, [](const std::string&) {});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), Code::kInvalidArgument);
  EXPECT_NE(syntax.status().message().find("line 2"), std::string::npos) << syntax.status().message();
  auto base = builder.Build({"base no-such-image\n", "", "x", "", {}}, [](const std::string&) {});
  ASSERT_FALSE(base.ok());
  EXPECT_EQ(base.status().code(), Code::kNotFound);
  ASSERT_TRUE(builder.Build({kRecipe, "", "taken", "", {}}, [](const std::string&) {}).ok());
  auto taken = builder.Build({"base scratch\nport 81\n", "", "taken", "", {}}, [](const std::string&) {});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), Code::kAlreadyExists);
}

TEST_F(ImageBuilderTest, ADebianBaseShowsMmdebstrapsProgressAsItComes) {
  // A stand-in for mmdebstrap: its status lines on stderr, then a root in the target directory.
  std::string fake = stores_.Path("fake-mmdebstrap");
  ASSERT_TRUE(WriteFileAtomic(fake,
                              "#!/bin/sh\n"
                              "for a; do case $a in --*) ;; *) if [ -z \"$suite\" ]; then suite=$a; "
                              "elif [ -z \"$dir\" ]; then dir=$a; fi;; esac; done\n"
                              "echo 'I: downloading packages with apt...' >&2\n"
                              "echo 'dpkg noise' >&2\n"
                              "echo 'I: extracting archives...' >&2\n"
                              "mkdir -p \"$dir/etc\" && echo 12 > \"$dir/etc/debian_version\"\n",
                              0755)
                  .ok());
  BuilderOptions o = Options();
  o.mmdebstrap = fake;
  ImageBuilder builder(images_, &runtime_, o);
  std::vector<std::string> lines;
  auto built = builder.Build({"base debian bookworm\n", "", "deb", "", {}},
                             [&](const std::string& l) { lines.push_back(l); });
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_NE(all.find("base debian bookworm: downloading packages with apt..."), std::string::npos) << all;
  EXPECT_NE(all.find("base debian bookworm: extracting archives..."), std::string::npos) << all;
  EXPECT_EQ(all.find("dpkg noise"), std::string::npos) << all;
}

class ImageServiceTest : public ImageTestBase {
 protected:
  void SetUp() override {
    ImageTestBase::SetUp();
    InstanceServiceOptions io;
    io.subnet_ids = {"subnet-a"};
    instances_ = std::make_unique<InstanceService>(stores_.store.get(), images_, &host_, io);
    ASSERT_TRUE(instances_->Recover().ok());
    ImageServiceOptions o;
    o.instances_dir = stores_.Path("instances");
    o.builder = Options();
    service_ = std::make_unique<ImageService>(images_, &runtime_, instances_.get(), o);
  }
  void TearDown() override {
    service_.reset();
    instances_.reset();
  }
  std::string Build(const std::string& name, const std::string& recipe = kRecipe) {
    auto id = service_->StartBuild({recipe, "", name, "", {}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return "";
    Result<BuildStatus> done = service_->WaitBuild(*id, 0, 10s);
    for (int k = 0; k < 100 && done.ok() && done->state == "running"; ++k) done = service_->WaitBuild(*id, done->next, 10s);
    EXPECT_TRUE(done.ok());
    if (!done.ok()) return "";
    EXPECT_EQ(done->state, "succeeded") << done->error.ToString();
    return done->image_id;
  }

  FakeInstanceHost host_;
  std::unique_ptr<InstanceService> instances_;
  std::unique_ptr<ImageService> service_;
};

TEST_F(ImageServiceTest, BuildsInTheBackgroundAndReportsSyntaxErrorsAtOnce) {
  std::string id = Build("hello");
  EXPECT_TRUE(images_->Find(id).ok());
  auto bad = service_->StartBuild({"base scratch\nfrobnicate\n", "", "x", "", {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_->GetBuild("build-nope", 0).status().code(), Code::kNotFound);
}

TEST_F(ImageServiceTest, AnImageInUseCannotBeDeregistered) {
  std::string id = Build("hello");
  RunRequest r;
  r.image = id;
  auto launched = instances_->Run(r);
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  std::string instance = launched->front().instance_id;
  Status refused = service_->Delete(id);
  EXPECT_EQ(refused.error_code(), "InvalidAMIID.InUse");
  ASSERT_TRUE(instances_->Terminate(instance).ok());
  ASSERT_TRUE(instances_->WaitForState({instance}, {InstanceState::kTerminated}, 10s).ok());
  bool template_uses_it = true;
  service_->AddInUseCheck("a launch template", [&](const std::string& image) { return template_uses_it && image == id; });
  Status by_template = service_->Delete(id);
  EXPECT_EQ(by_template.error_code(), "InvalidAMIID.InUse");
  EXPECT_NE(by_template.message().find("a launch template"), std::string::npos) << by_template.message();
  template_uses_it = false;
  ASSERT_TRUE(service_->Delete(id).ok());
  EXPECT_EQ(service_->Delete(id).error_code(), "InvalidAMIID.NotFound");
  stores_.RegisterImage("busybox", /*builtin=*/true);
  EXPECT_EQ(service_->Delete("busybox").error_code(), "InvalidAMIID.InUse");
}

TEST_F(ImageServiceTest, TagsAndPrune) {
  std::string keep = Build("keep");
  std::string drop = Build("drop", "base base\nrun echo hi > /hello\nrun exit 0\n");
  auto tagged = service_->ChangeTags(keep, {{"team", "web"}, {"tier", "1"}}, {"tier"});
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ(tagged->tags, (std::vector<Tag>{{"team", "web"}}));
  ASSERT_TRUE(service_->Delete(drop).ok());
  auto pruned = service_->Prune();
  ASSERT_TRUE(pruned.ok());
  auto kept = images_->Find(keep);
  ASSERT_TRUE(kept.ok());
  for (const auto& layer : kept->layers) {
    EXPECT_TRUE(std::filesystem::exists(images_->LayerDir(layer))) << layer;
  }
}

}  // namespace
}  // namespace stratus
