#include "api/request_json.h"

#include <gtest/gtest.h>

#include "api/http_errors.h"
#include "api/rest_api.h"

namespace stratus {
namespace {

using nlohmann::json;

httplib::Request WithBody(std::string body) {
  httplib::Request req;
  req.body = std::move(body);
  return req;
}

TEST(JsonObjectBodyTest, EmptyIsAnObjectAndNonObjectsCarryTheRoutesCode) {
  auto empty = JsonObjectBody(WithBody(""), "MalformedRequest");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, json::object());
  EXPECT_EQ((*JsonObjectBody(WithBody(R"({"Name": "web"})"), "ValidationError"))["Name"], "web");
  for (const char* bad : {"{", "[1, 2]", "\"text\""}) {
    auto r = JsonObjectBody(WithBody(bad), "ValidationError");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().error_code(), "ValidationError");
    EXPECT_EQ(r.status().message(), "the request body is not a JSON object");
  }
}

TEST(ReadJsonFieldTest, KeepsTheDefaultWhenAbsentAndNamesAWrongType) {
  json body = {{"Port", 8080}, {"Name", nullptr}, {"Hosts", {"a", "b"}}, {"Count", "three"}};
  int port = 80, count = 1;
  std::string name = "default";
  std::vector<std::string> hosts;
  EXPECT_TRUE(ReadJsonField(body, "Port", port, "ValidationError").ok());
  EXPECT_EQ(port, 8080);
  EXPECT_TRUE(ReadJsonField(body, "Name", name, "ValidationError").ok());  // null: left as it is
  EXPECT_TRUE(ReadJsonField(body, "Missing", name, "ValidationError").ok());
  EXPECT_EQ(name, "default");
  EXPECT_TRUE(ReadJsonField(body, "Hosts", hosts, "ValidationError").ok());
  EXPECT_EQ(hosts.size(), 2u);
  Status st = ReadJsonField(body, "Count", count, "InvalidParameterValue");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.error_code(), "InvalidParameterValue");
  EXPECT_EQ(st.message(), "field Count has the wrong type");
  EXPECT_EQ(count, 1);
}

TEST(ErrorBodyTest, CodeAndHttpStatusOfAFailure) {
  Status nf = NotFound("image ami-1 not found");
  EXPECT_EQ(HttpStatusFor(nf), 404);
  EXPECT_EQ(ErrorBody(nf), json::parse(R"({"Error": {"Code": "NotFound", "Message": "image ami-1 not found"}})"));
  EXPECT_EQ(ApiErrorCode(Conflict("x")), "ResourceContention");
  EXPECT_EQ(ApiErrorCode(FailedPrecondition("x").WithErrorCode("IncorrectInstanceState")), "IncorrectInstanceState");
  EXPECT_EQ(HttpStatusFor(FailedPrecondition("x")), 409);
}

TEST(ReplyStatusTest, EmptyObjectOrTheError) {
  httplib::Response ok;
  ReplyStatus(ok, Status::Ok());
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body), json::object());
  httplib::Response failed;
  ReplyStatus(failed, NotFound("target group tg-1 not found").WithErrorCode("TargetGroupNotFound"));
  EXPECT_EQ(failed.status, 404);
  EXPECT_EQ(json::parse(failed.body)["Error"]["Code"], "TargetGroupNotFound");
}

}  // namespace
}  // namespace stratus
