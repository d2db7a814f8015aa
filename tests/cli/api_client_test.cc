// Endpoint parsing, error decoding and the defaults for endpoint and token.
#include "cli/api_client.h"

#include <gtest/gtest.h>

#include <map>

#include "cli/config.h"
#include "common/files.h"
#include "fakes.h"

namespace stratus::cli {
namespace {

TEST(ParseEndpoint, HttpUnixAndBareHostPort) {
  Result<Endpoint> ep = ParseEndpoint("http://127.0.0.1:7600/");
  ASSERT_TRUE(ep.ok());
  EXPECT_FALSE(ep->unix_socket);
  EXPECT_EQ(ep->address, "http://127.0.0.1:7600");

  ep = ParseEndpoint("localhost:9000");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->address, "http://localhost:9000");

  ep = ParseEndpoint("unix:///var/lib/stratus/stratusd.sock");
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->unix_socket);
  EXPECT_EQ(ep->address, "/var/lib/stratus/stratusd.sock");
  EXPECT_EQ(ep->url, "unix:///var/lib/stratus/stratusd.sock");
}

TEST(ParseEndpoint, RejectsOthers) {
  EXPECT_FALSE(ParseEndpoint("").ok());
  EXPECT_FALSE(ParseEndpoint("ftp://x").ok());
  EXPECT_FALSE(ParseEndpoint("unix://relative.sock").ok());
}

TEST(StatusFromErrorResponse, UsesTheApiMessage) {
  Status st = StatusFromErrorResponse(
      {404, R"({"Error": {"Code": "InvalidInstanceID.NotFound", "Message": "instance i-1 does not exist"}})"});
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "instance i-1 does not exist");

  st = StatusFromErrorResponse({409, R"({"Error": {"Code": "IncorrectInstanceState"}})"});
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.message(), "IncorrectInstanceState");
}

TEST(StatusFromErrorResponse, FallsBackToStatusAndBody) {
  Status st = StatusFromErrorResponse({502, "Bad Gateway\n"});
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(st.message(), "stratusd answered HTTP 502: Bad Gateway");
  st = StatusFromErrorResponse({401, ""});
  EXPECT_EQ(st.code(), Code::kUnauthenticated);
  EXPECT_EQ(st.message(), "stratusd answered HTTP 401");
}

TEST(ApiClient, DecodesBodiesAndErrors) {
  auto log = std::make_shared<FakeTransportLog>();
  log->replies.push_back(ApiResponse{200, R"({"Images": []})"});
  log->replies.push_back(ApiResponse{204, ""});
  log->replies.push_back(ApiResponse{200, "not json"});
  log->replies.push_back(Unavailable("cannot reach stratusd"));
  ApiClient client(std::make_unique<FakeTransport>(log));
  Result<Json> r = client.Call(ApiRequest{"GET", "/v1/images", {}, std::nullopt});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Json{{"Images", Json::array()}}));
  r = client.Call(ApiRequest{"DELETE", "/x", {}, std::nullopt});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Json::object());
  r = client.Call(ApiRequest{"GET", "/x", {}, std::nullopt});
  EXPECT_EQ(r.status().code(), Code::kInternal);
  r = client.Call(ApiRequest{"GET", "/x", {}, std::nullopt});
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(log->requests.size(), 4u);
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/stratus-cli-test-config-" + std::to_string(getpid());
    ASSERT_TRUE(MakeDirs(dir_ + "/state").ok());
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/system-token", "sys-token\n").ok());
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/state/api-token", "  state-token \n").ok());
  }
  void TearDown() override { EXPECT_TRUE(RemoveAll(dir_).ok()); }
  std::string dir_;
};

TEST_F(ConfigTest, EndpointFromEnvironment) {
  EXPECT_EQ(DefaultEndpoint(FakeEnv({}, "")), "http://127.0.0.1:7600");
  EXPECT_EQ(DefaultEndpoint(FakeEnv({{"STRATUS_ENDPOINT", ""}}, "")), "http://127.0.0.1:7600");
  EXPECT_EQ(DefaultEndpoint(FakeEnv({{"STRATUS_ENDPOINT", "unix:///s.sock"}}, "")),
            "unix:///s.sock");
}

TEST_F(ConfigTest, TokenOrder) {
  std::string sys = dir_ + "/system-token";
  EXPECT_EQ(DefaultToken(FakeEnv({{"STRATUS_TOKEN", "env-token"},
                                  {"STRATUS_STATE_DIR", dir_ + "/state"}},
                                 sys)),
            "env-token");
  EXPECT_EQ(DefaultToken(FakeEnv({{"STRATUS_STATE_DIR", dir_ + "/state"}}, sys)), "state-token");
  EXPECT_EQ(DefaultToken(FakeEnv({{"STRATUS_STATE_DIR", dir_ + "/none"}}, sys)), "sys-token");
  EXPECT_EQ(DefaultToken(FakeEnv({}, sys)), "sys-token");
  EXPECT_EQ(DefaultToken(FakeEnv({}, dir_ + "/missing")), "");
}

}  // namespace
}  // namespace stratus::cli
