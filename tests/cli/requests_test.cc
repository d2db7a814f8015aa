// Command-line values -> API requests, without a server.
#include "cli/requests.h"

#include <gtest/gtest.h>

#include "common/files.h"

namespace stratus::cli {
namespace {

TEST(ParseKeyValue, SplitsAtTheFirstEquals) {
  Result<KeyValue> kv = ParseKeyValue("a=b=c", "--tag");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->key, "a");
  EXPECT_EQ(kv->value, "b=c");
  kv = ParseKeyValue("empty=", "--tag");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "");
}

TEST(ParseKeyValue, RejectsMissingEqualsOrKey) {
  Result<KeyValue> kv = ParseKeyValue("Name", "--tag");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().message(), "--tag \"Name\": expected KEY=VALUE");
  kv = ParseKeyValue("=web", "");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().message(), "\"=web\": the key before '=' is empty");
}

TEST(ValidateInstanceFilter, AcceptsTheDocumentedFilters) {
  for (const char* f : {"state=running", "instance-id=i-0123", "tag-key=Name", "tag:Name=web",
                        "tag:Name=a=b", "tag:env="}) {
    EXPECT_TRUE(ValidateInstanceFilter(f, "--filter").ok()) << f;
  }
}

TEST(ValidateInstanceFilter, RejectsMalformedOnes) {
  for (const char* f : {"running", "=x", "tag:=web", "st ate=x"}) {
    EXPECT_FALSE(ValidateInstanceFilter(f, "--filter").ok()) << f;
  }
}

TEST(Requests, ImagesAndTypes) {
  EXPECT_EQ(ListImagesRequest().Target(), "/v1/images");
  EXPECT_EQ(ShowImageRequest("demo web").Target(), "/v1/images/demo%20web");
  EXPECT_EQ(ShowImageRequest("demo-web").method, "GET");
  EXPECT_EQ(ListInstanceTypesRequest().Target(), "/v1/instance-types");
}

TEST(Requests, LaunchMinimal) {
  LaunchArgs args;
  args.image = "demo-web";
  Result<ApiRequest> req = LaunchRequest(args);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->path, "/v1/instances");
  EXPECT_EQ(*req->body, (Json{{"ImageId", "demo-web"}, {"Count", 1}}));
}

TEST(Requests, LaunchWithEverything) {
  std::string dir = "/tmp/stratus-cli-test-requests-" + std::to_string(getpid());
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/ud.sh", "#!/bin/sh\necho hi\n").ok());
  LaunchArgs args;
  args.image = "ami-0123";
  args.instance_type = "t3.small";
  args.count = 3;
  args.user_data_file = dir + "/ud.sh";
  args.tags = {"Name=web", "env=prod"};
  args.sysctls = {"net.core.somaxconn=4096"};
  args.subnet = "subnet-1";
  args.security_groups = {"sg-1", "sg-2"};
  args.wait = true;
  Result<ApiRequest> req = LaunchRequest(args);
  ASSERT_TRUE(RemoveAll(dir).ok());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  Json want = {{"ImageId", "ami-0123"},
               {"InstanceType", "t3.small"},
               {"Count", 3},
               {"UserData", "IyEvYmluL3NoCmVjaG8gaGkK"},
               {"Tags", {{{"Key", "Name"}, {"Value", "web"}}, {{"Key", "env"}, {"Value", "prod"}}}},
               {"Sysctls", {{"net.core.somaxconn", "4096"}}},
               {"SubnetId", "subnet-1"},
               {"SecurityGroupIds", {"sg-1", "sg-2"}},
               {"Wait", true}};
  EXPECT_EQ(*req->body, want);
}

TEST(Requests, LaunchRejectsBadInput) {
  LaunchArgs args;
  args.image = "demo-web";
  args.tags = {"Name=a", "Name=b"};
  Result<ApiRequest> req = LaunchRequest(args);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.status().message(), "--tag: key \"Name\" is given twice");

  args.tags = {};
  args.count = 0;
  EXPECT_FALSE(LaunchRequest(args).ok());

  args.count = 1;
  args.user_data_file = "/nonexistent/stratus-cli-ud";
  req = LaunchRequest(args);
  ASSERT_FALSE(req.ok());
  EXPECT_NE(req.status().message().find("/nonexistent/stratus-cli-ud"), std::string::npos);
}

TEST(Requests, LaunchRejectsOversizedUserData) {
  std::string path = "/tmp/stratus-cli-test-ud-" + std::to_string(getpid());
  ASSERT_TRUE(WriteFileAtomic(path, std::string(kMaxUserDataBytes + 1, 'x')).ok());
  LaunchArgs args;
  args.image = "demo-web";
  args.user_data_file = path;
  Result<ApiRequest> req = LaunchRequest(args);
  unlink(path.c_str());
  ASSERT_FALSE(req.ok());
  EXPECT_NE(req.status().message().find("limited to 16384 bytes"), std::string::npos);
}

TEST(Requests, ListInstancesRepeatsFilterInOrder) {
  Result<ApiRequest> req = ListInstancesRequest({"tag:Name=web", "state=running"});
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->query.size(), 2u);
  EXPECT_EQ(req->query[0].second, "tag:Name=web");
  EXPECT_EQ(req->Target(), "/v1/instances?filter=tag%3AName%3Dweb&filter=state%3Drunning");
  EXPECT_FALSE(ListInstancesRequest({"bogus"}).ok());
}

TEST(Requests, InstanceActions) {
  ApiRequest stop = InstanceActionRequest("i-1", "stop", true, true);
  EXPECT_EQ(stop.method, "POST");
  EXPECT_EQ(stop.path, "/v1/instances/i-1/stop");
  EXPECT_EQ(*stop.body, (Json{{"Wait", true}, {"Force", true}}));
  ApiRequest start = InstanceActionRequest("i-1", "start", false, false);
  EXPECT_EQ(start.path, "/v1/instances/i-1/start");
  EXPECT_EQ(*start.body, (Json{{"Wait", false}}));
}

TEST(Requests, ModifyConsoleTags) {
  ApiRequest modify = *ModifyInstanceRequest("i-1", "t3.large");
  EXPECT_EQ(modify.method, "PATCH");
  EXPECT_EQ(modify.path, "/v1/instances/i-1");
  EXPECT_EQ(*modify.body, (Json{{"InstanceType", "t3.large"}}));
  EXPECT_EQ(*ModifyInstanceRequest("i-1", "", {"sg-1", "sg-2"})->body, (Json{{"SecurityGroupIds", {"sg-1", "sg-2"}}}));
  EXPECT_FALSE(ModifyInstanceRequest("i-1", "", {}).ok());
  EXPECT_FALSE(ModifyInstanceRequest("i-1", "t3.large", {"sg-1"}).ok());

  EXPECT_EQ(ConsoleRequest("i-1").Target(), "/v1/instances/i-1/console");

  Result<ApiRequest> tag = TagInstanceRequest("i-1", {"Name=web", "team="});
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(tag->path, "/v1/instances/i-1/tags");
  EXPECT_EQ(*tag->body, (Json{{"Tags",
                               {{{"Key", "Name"}, {"Value", "web"}},
                                {{"Key", "team"}, {"Value", ""}}}}}));
  EXPECT_FALSE(TagInstanceRequest("i-1", {}).ok());
  EXPECT_FALSE(TagInstanceRequest("i-1", {"a=1", "a=2"}).ok());

  ApiRequest untag = UntagInstanceRequest("i-1", "env name");
  EXPECT_EQ(untag.method, "DELETE");
  EXPECT_EQ(untag.Target(), "/v1/instances/i-1/tags?key=env%20name");
}

TEST(RequestsTest, Volumes) {
  VolumeArgs args;
  EXPECT_FALSE(CreateVolumeCliRequest(args).ok()) << "no size";
  args.size_gib = 8;
  args.type = "io2";
  args.iops = 1000;
  args.encrypted = true;
  args.tags = {"Name=data"};
  Result<ApiRequest> create = CreateVolumeCliRequest(args);
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create->method, "POST");
  EXPECT_EQ(create->path, "/v1/volumes");
  EXPECT_EQ(*create->body, (Json{{"Size", 8}, {"Encrypted", true}, {"VolumeType", "io2"}, {"Iops", 1000},
                                 {"Tags", {{{"Key", "Name"}, {"Value", "data"}}}}}));
  args.tags = {"a=1", "a=2"};
  EXPECT_FALSE(CreateVolumeCliRequest(args).ok());

  Result<ApiRequest> list = ListVolumesRequest({"status=available", "tag:Name=data"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->Target(), "/v1/volumes?filter=status%3Davailable&filter=tag%3AName%3Ddata");
  EXPECT_FALSE(ListVolumesRequest({"nonsense"}).ok());

  EXPECT_EQ(ShowVolumeRequest("vol-1").Target(), "/v1/volumes/vol-1");
  EXPECT_EQ(DeleteVolumeRequest("vol-1").method, "DELETE");
  VolumeArgs grow;
  EXPECT_FALSE(ModifyVolumeCliRequest("vol-1", grow).ok()) << "nothing to change";
  grow.size_gib = 20;
  Result<ApiRequest> modify = ModifyVolumeCliRequest("vol-1", grow);
  ASSERT_TRUE(modify.ok());
  EXPECT_EQ(modify->method, "PATCH");
  EXPECT_EQ(*modify->body, (Json{{"Size", 20}}));
  Result<ApiRequest> tag = TagVolumeRequest("vol-1", {"k=v"});
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(tag->path, "/v1/volumes/vol-1/tags");
  EXPECT_EQ(UntagVolumeRequest("vol-1", "k").Target(), "/v1/volumes/vol-1/tags?key=k");
}

}  // namespace
}  // namespace stratus::cli
