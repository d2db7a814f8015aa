// SigV4: vectors from AWS's published Signature Version 4 test suite (credential AKIDEXAMPLE, service "service",
// 2015-08-30T12:36:00Z), plus the failure modes clients hit.
#include "aws/sigv4.h"

#include <gtest/gtest.h>

namespace stratus::aws {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20150830T123600Z";

int64_t SuiteEpoch() { return static_cast<int64_t>(*ParseTimestamp(kDate)); }

struct Vector {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

const std::vector<Vector>& Suite() {
  static const std::vector<Vector> v = {
      {"get-vanilla", "GET", "/", "", {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
       {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1", {{"Host", "example.amazonaws.com"}},
       "", "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "",
       {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-header-value-trim", "GET", "/", "",
       {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "",
       "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-header-key-duplicate", "GET", "/", "",
       {{"Host", "example.amazonaws.com"}, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "", "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"post-vanilla", "POST", "/", "", {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query", "POST", "/", "Param1=value1", {{"Host", "example.amazonaws.com"}}, "", "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-x-www-form-urlencoded", "POST", "/", "",
       {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}}, "Param1=value1",
       "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
  };
  return v;
}

Headers SuiteHeaders(const Vector& t) {
  Headers h;
  for (const auto& [k, v] : t.headers) h.emplace(k, v);
  h.emplace("X-Amz-Date", kDate);
  h.emplace("Authorization", std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                                         "aws4_request, SignedHeaders=") +
                                 t.signed_headers + ", Signature=" + t.signature);
  return h;
}

SigV4Verifier SuiteVerifier(int64_t now) {
  auto lookup = [](const std::string& key) -> std::optional<std::string> {
    if (key == "AKIDEXAMPLE") return std::string(kSecret);
    return std::nullopt;
  };
  return SigV4Verifier(lookup, {15 * 60, false, [now] { return now; }});
}

SigV4Failure::Kind FailureKind(const std::variant<SigV4Identity, SigV4Failure>& r) {
  EXPECT_TRUE(std::holds_alternative<SigV4Failure>(r));
  return std::holds_alternative<SigV4Failure>(r) ? std::get<SigV4Failure>(r).kind : SigV4Failure::Kind::kMissing;
}

TEST(SigV4Test, SuiteVectorsVerify) {
  SigV4Verifier verifier = SuiteVerifier(SuiteEpoch());
  for (const Vector& t : Suite()) {
    Headers h = SuiteHeaders(t);
    auto r = verifier.Verify({t.method, t.path, t.query, &h, t.body});
    ASSERT_TRUE(std::holds_alternative<SigV4Identity>(r)) << t.name << ": " << std::get<SigV4Failure>(r).message;
    EXPECT_EQ(std::get<SigV4Identity>(r).service, "service");
    EXPECT_EQ(std::get<SigV4Identity>(r).region, "us-east-1");
  }
}

TEST(SigV4Test, SignerReproducesSuiteSignatures) {
  for (const Vector& t : Suite()) {
    Headers h;
    for (const auto& [k, v] : t.headers) h.emplace(k, v);
    SignRequest(t.method, t.path, t.query, &h, t.body, "AKIDEXAMPLE", kSecret, "us-east-1", "service", SuiteEpoch());
    EXPECT_NE(HeaderValue(h, "Authorization").find(t.signature), std::string::npos) << t.name;
  }
}

TEST(SigV4Test, CanonicalRequestSortsQueryAndFoldsHeaders) {
  Headers h = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}, {"My-Header1", "value4"}, {"My-Header1", "value1"}};
  EXPECT_EQ(CanonicalRequest("GET", "/", "Param2=value2&Param1=value1", h, {"host", "my-header1", "x-amz-date"},
                             Sha256Hex("")),
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nmy-header1:value4,value1\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, ParsesAuthorizationHeader) {
  auto a = ParseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=AK/20240101/local/ec2/aws4_request, "
                                    "SignedHeaders=Host;X-Amz-Date, Signature=ABCDEF");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->access_key_id, "AK");
  EXPECT_EQ(a->service, "ec2");
  EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(a->signature, "abcdef");
  EXPECT_FALSE(ParseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=AK/20240101/local/ec2/aws4_request").ok());
  EXPECT_FALSE(ParseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=AK/2024/local/ec2/aws4_request, "
                                        "SignedHeaders=host, Signature=00").ok());
  EXPECT_FALSE(ParseAuthorizationHeader("AWS AK:sig").ok());
}

TEST(SigV4Test, TamperedBodyDoesNotMatch) {
  const Vector& t = Suite()[8];  // post-x-www-form-urlencoded
  Headers h = SuiteHeaders(t);
  auto r = SuiteVerifier(SuiteEpoch()).Verify({t.method, t.path, t.query, &h, "Param1=value2"});
  EXPECT_EQ(FailureKind(r), SigV4Failure::Kind::kMismatch);
}

TEST(SigV4Test, ContentSha256MustMatchBody) {
  Headers h = {{"Host", "h"}, {"x-amz-content-sha256", Sha256Hex("other")}};
  SignRequest("POST", "/", "", &h, "body", "AKIDEXAMPLE", kSecret, "us-east-1", "service", SuiteEpoch());
  auto r = SuiteVerifier(SuiteEpoch()).Verify({"POST", "/", "", &h, "body"});
  EXPECT_EQ(FailureKind(r), SigV4Failure::Kind::kMismatch);
}

TEST(SigV4Test, UnsignedPayloadOnlyWhenAllowed) {
  Headers h = {{"Host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  SignRequest("POST", "/", "", &h, "body", "AKIDEXAMPLE", kSecret, "us-east-1", "service", SuiteEpoch());
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"POST", "/", "", &h, "body"})), SigV4Failure::Kind::kMismatch);
  auto lookup = [](const std::string&) -> std::optional<std::string> { return std::string(kSecret); };
  int64_t now = SuiteEpoch();
  SigV4Verifier lenient(lookup, {900, true, [now] { return now; }});
  EXPECT_TRUE(std::holds_alternative<SigV4Identity>(lenient.Verify({"POST", "/", "", &h, "other body"})));
}

TEST(SigV4Test, WrongSecretDoesNotMatch) {
  Headers h = {{"Host", "h"}};
  SignRequest("GET", "/", "", &h, "", "AKIDEXAMPLE", "not-the-secret", "us-east-1", "service", SuiteEpoch());
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"GET", "/", "", &h, ""})), SigV4Failure::Kind::kMismatch);
}

TEST(SigV4Test, UnknownKey) {
  Headers h = {{"Host", "h"}};
  SignRequest("GET", "/", "", &h, "", "AKIDUNKNOWN", kSecret, "us-east-1", "service", SuiteEpoch());
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"GET", "/", "", &h, ""})), SigV4Failure::Kind::kUnknownKey);
}

TEST(SigV4Test, ClockSkewWindow) {
  const Vector& t = Suite()[0];
  Headers h = SuiteHeaders(t);
  SigV4Request req{t.method, t.path, t.query, &h, t.body};
  EXPECT_TRUE(std::holds_alternative<SigV4Identity>(SuiteVerifier(SuiteEpoch() + 14 * 60).Verify(req)));
  EXPECT_TRUE(std::holds_alternative<SigV4Identity>(SuiteVerifier(SuiteEpoch() - 14 * 60).Verify(req)));
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch() + 16 * 60).Verify(req)), SigV4Failure::Kind::kExpired);
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch() - 16 * 60).Verify(req)), SigV4Failure::Kind::kExpired);
}

TEST(SigV4Test, MissingAndIncomplete) {
  Headers none = {{"Host", "h"}};
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"GET", "/", "", &none, ""})), SigV4Failure::Kind::kMissing);
  Headers no_date = {{"Host", "h"}, {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                                                       "service/aws4_request, SignedHeaders=host, Signature=00"}};
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"GET", "/", "", &no_date, ""})),
            SigV4Failure::Kind::kIncomplete);
  Headers garbage = {{"Host", "h"}, {"Authorization", "AWS4-HMAC-SHA256 garbage"}};
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"GET", "/", "", &garbage, ""})),
            SigV4Failure::Kind::kIncomplete);
  Headers host_unsigned = {{"X-Amz-Date", kDate}, {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
                                                   "us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00"}};
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch()).Verify({"GET", "/", "", &host_unsigned, ""})),
            SigV4Failure::Kind::kIncomplete);
}

TEST(SigV4Test, PresignedQuery) {
  // Build the presigned form by hand: the canonical query includes every X-Amz-* parameter but the signature.
  std::string query = "Action=DescribeRegions&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830"
                      "%2Fus-east-1%2Fec2%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&"
                      "X-Amz-SignedHeaders=host";
  Headers h = {{"Host", "example.amazonaws.com"}};
  std::string canonical = CanonicalRequest("GET", "/", query, h, {"host"}, Sha256Hex(""));
  std::string sig = HexEncode(HmacSha256(SigningKey(kSecret, "20150830", "us-east-1", "ec2"),
                                         StringToSign(kDate, "20150830/us-east-1/ec2/aws4_request", canonical)));
  std::string signed_query = query + "&X-Amz-Signature=" + sig;
  auto ok = SuiteVerifier(SuiteEpoch() + 30).Verify({"GET", "/", signed_query, &h, ""});
  ASSERT_TRUE(std::holds_alternative<SigV4Identity>(ok)) << std::get<SigV4Failure>(ok).message;
  EXPECT_EQ(std::get<SigV4Identity>(ok).service, "ec2");
  EXPECT_EQ(FailureKind(SuiteVerifier(SuiteEpoch() + 61).Verify({"GET", "/", signed_query, &h, ""})),
            SigV4Failure::Kind::kExpired);
}

}  // namespace
}  // namespace stratus::aws
