#include "net/metadata_service.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace stratus::net {
namespace {

class FakeDirectory : public InstanceDirectory {
 public:
  std::optional<InstanceMetadata> FindByPrivateIp(const std::string& ip) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = by_ip.find(ip);
    if (it == by_ip.end()) return std::nullopt;
    return it->second;
  }
  std::mutex mu;
  std::map<std::string, InstanceMetadata> by_ip;
};

InstanceMetadata Sample(const std::string& id, const std::string& ip) {
  InstanceMetadata m;
  m.instance_id = id;
  m.ami_id = "ami-0123456789abcdef0";
  m.instance_type = "t3.nano";
  m.local_ipv4 = ip;
  m.local_hostname = "ip-" + ip + ".ec2.internal";
  m.availability_zone = "us-east-1a";
  m.region = "us-east-1";
  m.mac = "2a:bf:4e:be:64:a3";
  m.tags = {{"Name", "web-1"}, {"role", "web"}};
  m.security_groups = {"default"};
  return m;
}

class MetadataHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.by_ip["10.0.0.5"] = Sample("i-00000000000000005", "10.0.0.5");
    dir_.by_ip["10.0.0.6"] = Sample("i-00000000000000006", "10.0.0.6");
    dir_.by_ip["10.0.0.6"].user_data = "#!/bin/sh\necho hi\n";
  }
  MetadataResponse Get(const std::string& path, const std::string& ip = "10.0.0.5",
                       const std::string& token = "") {
    return handler_.Handle({"GET", path, ip, token, "", false});
  }
  std::string Token(const std::string& ip, const std::string& ttl = "60") {
    MetadataResponse r = handler_.Handle({"PUT", "/latest/api/token", ip, "", ttl, false});
    EXPECT_EQ(r.status, 200);
    return r.body;
  }
  FakeDirectory dir_;
  MetadataHandler handler_{&dir_, false};
};

TEST_F(MetadataHandlerTest, LeavesAndListings) {
  EXPECT_EQ(Get("/latest/meta-data/instance-id").body, "i-00000000000000005");
  EXPECT_EQ(Get("/latest/meta-data/instance-id").content_type, "text/plain");
  EXPECT_EQ(Get("/latest/meta-data/ami-id").body, "ami-0123456789abcdef0");
  EXPECT_EQ(Get("/latest/meta-data/instance-type").body, "t3.nano");
  EXPECT_EQ(Get("/latest/meta-data/local-ipv4").body, "10.0.0.5");
  EXPECT_EQ(Get("/latest/meta-data/hostname").body, "ip-10.0.0.5.ec2.internal");
  EXPECT_EQ(Get("/latest/meta-data/placement/availability-zone").body, "us-east-1a");
  EXPECT_EQ(Get("/latest/meta-data/placement/region").body, "us-east-1");
  EXPECT_EQ(Get("/latest/meta-data/tags/instance").body, "Name\nrole");
  EXPECT_EQ(Get("/latest/meta-data/tags/instance/role").body, "web");
  EXPECT_EQ(Get("/latest/meta-data/placement/").body, "availability-zone\nregion");
  std::string listing = Get("/latest/meta-data/").body;
  for (const char* k : {"ami-id", "instance-id", "instance-type", "local-ipv4", "local-hostname", "hostname",
                        "mac", "placement/", "tags/", "security-groups"})
    EXPECT_NE(listing.find(k), std::string::npos) << k;
  EXPECT_EQ(Get("/latest/").body, "dynamic\nmeta-data");
  EXPECT_EQ(Get("/latest/", "10.0.0.6").body, "dynamic\nmeta-data\nuser-data");
  EXPECT_EQ(Get("/2021-07-15/meta-data/instance-id").body, "i-00000000000000005");
  EXPECT_EQ(Get("/latest/meta-data/nope").status, 404);
  EXPECT_EQ(Get("/latest/meta-data/tags/instance/nope").status, 404);
  EXPECT_EQ(Get("/latest/meta-data/nope").content_type, "text/html");
  EXPECT_EQ(Get("/nope/meta-data/instance-id").status, 404);
}

TEST_F(MetadataHandlerTest, UserData) {
  EXPECT_EQ(Get("/latest/user-data").status, 404);
  EXPECT_EQ(Get("/latest/user-data", "10.0.0.6").body, "#!/bin/sh\necho hi\n");
}

TEST_F(MetadataHandlerTest, IdentityDocument) {
  auto doc = nlohmann::json::parse(Get("/latest/dynamic/instance-identity/document").body);
  EXPECT_EQ(doc["instanceId"], "i-00000000000000005");
  EXPECT_EQ(doc["privateIp"], "10.0.0.5");
  EXPECT_EQ(doc["region"], "us-east-1");
  EXPECT_EQ(doc["availabilityZone"], "us-east-1a");
}

TEST_F(MetadataHandlerTest, EachInstanceSeesItsOwnDataAndStrangersNothing) {
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.6").body, "i-00000000000000006");
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.99").status, 403);
  EXPECT_EQ(handler_.Handle({"PUT", "/latest/api/token", "10.0.0.99", "", "60", false}).status, 403);
}

TEST_F(MetadataHandlerTest, TokenFlow) {
  std::string t = Token("10.0.0.5");
  EXPECT_GE(t.size(), 40u);
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.5", t).body, "i-00000000000000005");
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.5", "bogus").status, 401);
  // A token works only for the instance it was issued to.
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.6", t).status, 401);
  MetadataResponse r = handler_.Handle({"PUT", "/latest/api/token", "10.0.0.5", "", "21600", false});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.ttl_seconds, "21600");
}

TEST_F(MetadataHandlerTest, TokenRequestValidation) {
  for (const char* ttl : {"", "0", "21601", "-1", "abc", "99999999"})
    EXPECT_EQ(handler_.Handle({"PUT", "/latest/api/token", "10.0.0.5", "", ttl, false}).status, 400) << ttl;
  EXPECT_EQ(handler_.Handle({"PUT", "/latest/api/token", "10.0.0.5", "", "60", true}).status, 403);
  EXPECT_EQ(handler_.Handle({"PUT", "/latest/meta-data/instance-id", "10.0.0.5", "", "60", false}).status,
            405);
  EXPECT_EQ(handler_.Handle({"POST", "/latest/meta-data/instance-id", "10.0.0.5", "", "", false}).status,
            405);
  EXPECT_EQ(Get("/latest/api/token").status, 405);
}

TEST_F(MetadataHandlerTest, TokensRequired) {
  handler_.SetTokensRequired(true);
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 401);
  std::string t = Token("10.0.0.5");
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.5", t).status, 200);
  handler_.SetTokensRequired(false);
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 200);
  dir_.by_ip["10.0.0.5"].tokens_required = true;  // per instance, as HttpTokens=required
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 401);
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.6").status, 200);
}

TEST_F(MetadataHandlerTest, ExpiredTokenIsRefused) {
  std::string t = Token("10.0.0.5", "1");
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.5", t).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Get("/latest/meta-data/instance-id", "10.0.0.5", t).status, 401);
}

// The HTTP server on loopback: the caller is 127.0.0.1.
TEST(MetadataServiceTest, ServesOverHttp) {
  FakeDirectory dir;
  dir.by_ip["127.0.0.1"] = Sample("i-0000000000000007f", "127.0.0.1");
  auto svc = MetadataService::Start({"127.0.0.1", 0, false, 2}, &dir);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  httplib::Client cli("127.0.0.1", (*svc)->port());
  auto r = cli.Get("/latest/meta-data/instance-id");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "i-0000000000000007f");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain");
  auto tok = cli.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "30"}}, "", "text/plain");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->status, 200);
  EXPECT_EQ(tok->get_header_value("X-aws-ec2-metadata-token-ttl-seconds"), "30");
  (*svc)->SetTokensRequired(true);
  auto denied = cli.Get("/latest/meta-data/instance-id");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  auto ok = cli.Get("/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", tok->body}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto no_ttl = cli.Put("/latest/api/token", "", "text/plain");
  ASSERT_TRUE(no_ttl);
  EXPECT_EQ(no_ttl->status, 400);
}

// `curl -X PUT .../api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60"` (EC2's own example)
// sends no Content-Length and no body.
TEST(MetadataServiceTest, TokenPutWithoutContentLength) {
  FakeDirectory dir;
  dir.by_ip["127.0.0.1"] = Sample("i-0000000000000007f", "127.0.0.1");
  auto svc = MetadataService::Start({"127.0.0.1", 0, false, 2}, &dir);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  std::string resp =
      testing::HttpExchange("127.0.0.1", (*svc)->port(),
                            "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n"
                            "X-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n");
  EXPECT_EQ(testing::StatusCode(resp), 200) << resp;
  EXPECT_GE(testing::Body(resp).size(), 40u) << resp;
}

TEST(MetadataServiceTest, BindFailureIsReported) {
  FakeDirectory dir;
  auto svc = MetadataService::Start({"203.0.113.77", 0, false, 1}, &dir);  // not a local address
  EXPECT_EQ(svc.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace stratus::net
