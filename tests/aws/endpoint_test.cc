// The endpoint end to end in-process: signed requests in, the fake handler's view, responses out.
#include "aws/endpoint.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "aws/protocol_cbor.h"

namespace stratus::aws {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1714564800;  // 2024-05-01T12:00:00Z
constexpr char kKey[] = "AKIDTEST";
constexpr char kSecret[] = "secret";

class RecordingHandler : public AwsHandler {
 public:
  std::variant<json, AwsError> Call(const std::string& service, const std::string& operation, const json& input,
                                    const AwsCallContext& ctx) override {
    calls++;
    last_service = service;
    last_operation = operation;
    last_input = input;
    last_ctx = ctx;
    if (error) return *error;
    return output;
  }
  int calls = 0;
  std::string last_service, last_operation;
  json last_input;
  AwsCallContext last_ctx;
  json output = json::object();
  std::optional<AwsError> error;
};

class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AwsEndpointOptions options;
    options.now = [] { return kNow; };
    options.account_id = "123456789012";
    auto lookup = [](const std::string& key) -> std::optional<std::string> {
      if (key == kKey) return std::string(kSecret);
      return std::nullopt;
    };
    auto ep = AwsEndpoint::Create(lookup, &handler_, options);
    ASSERT_TRUE(ep.ok()) << ep.status().ToString();
    endpoint_ = std::move(*ep);
  }

  // A signed form POST to / for `service`.
  AwsRequest Form(const std::string& service, const std::string& body, const std::string& secret = kSecret,
                  int64_t when = kNow) {
    AwsRequest r{"POST", "/", "", {{"Host", "127.0.0.1:7600"}, {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, body};
    SignRequest(r.method, r.path, r.query, &r.headers, r.body, kKey, secret, "us-west-2", service, when);
    return r;
  }

  RecordingHandler handler_;
  std::unique_ptr<AwsEndpoint> endpoint_;
};

std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST_F(EndpointTest, RoutesByCredentialScope) {
  for (const char* service : {"ec2", "elasticloadbalancing", "autoscaling"}) {
    AwsResponse r = endpoint_->Handle(Form(service, "Action=DescribeTags&ResourceArns.member.1=arn%3Alb"));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(handler_.last_service, service);
    EXPECT_EQ(handler_.last_operation, "DescribeTags");
    EXPECT_EQ(handler_.last_ctx.region, "us-west-2");
    EXPECT_EQ(handler_.last_ctx.account_id, "123456789012");
    EXPECT_EQ(r.body.find("DescribeTagsResult") == std::string::npos, std::string(service) == "ec2") << r.body;
    EXPECT_EQ(HeaderValue(r.headers, "x-amzn-RequestId"), handler_.last_ctx.request_id);
  }
}

TEST_F(EndpointTest, DecodesValidatesAndEncodes) {
  handler_.output = json::parse(R"({"TerminatingInstances":[{"InstanceId":"i-1","CurrentState":{"Code":32,
      "Name":"shutting-down"},"PreviousState":{"Code":16,"Name":"running"}}]})");
  AwsResponse r = endpoint_->Handle(Form("ec2", "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(handler_.last_input, json::parse(R"({"InstanceIds":["i-1"]})"));
  EXPECT_NE(r.body.find("<instancesSet><item><instanceId>i-1</instanceId><currentState><code>32</code>"), std::string::npos)
      << r.body;
  int before = handler_.calls;
  AwsResponse missing = endpoint_->Handle(Form("ec2", "Action=TerminateInstances&Version=2016-11-15"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("<Code>MissingParameter</Code>"), std::string::npos) << missing.body;
  AwsResponse elb = endpoint_->Handle(Form("elasticloadbalancing", "Action=DescribeTargetHealth&Version=2015-12-01"));
  EXPECT_NE(elb.body.find("<Code>ValidationError</Code>"), std::string::npos) << elb.body;
  EXPECT_EQ(handler_.calls, before);
}

TEST_F(EndpointTest, Ec2DryRun) {
  AwsResponse r = endpoint_->Handle(Form("ec2", "Action=TerminateInstances&InstanceId.1=i-1&DryRun=true"));
  EXPECT_EQ(r.status, 412);
  EXPECT_NE(r.body.find("<Code>DryRunOperation</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(handler_.calls, 0);
  AwsResponse invalid = endpoint_->Handle(Form("ec2", "Action=TerminateInstances&DryRun=true"));
  EXPECT_NE(invalid.body.find("<Code>MissingParameter</Code>"), std::string::npos) << invalid.body;
}

TEST_F(EndpointTest, UnknownAndMissingAction) {
  AwsResponse r = endpoint_->Handle(Form("autoscaling", "Action=LaunchRockets&Version=2011-01-01"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>InvalidAction</Code>"), std::string::npos);
  EXPECT_NE(r.body.find("LaunchRockets"), std::string::npos);
  AwsResponse none = endpoint_->Handle(Form("autoscaling", "Version=2011-01-01"));
  EXPECT_NE(none.body.find("<Code>MissingAction</Code>"), std::string::npos);
  AwsResponse svc = endpoint_->Handle(Form("s3", "Action=ListBuckets"));
  EXPECT_EQ(svc.status, 400);
  EXPECT_NE(svc.body.find("s3"), std::string::npos);
}

TEST_F(EndpointTest, HandlerErrorsKeepTheirStatus) {
  handler_.error = AwsError{"InvalidInstanceID.NotFound", "The instance ID 'i-9' does not exist", 400};
  AwsResponse r = endpoint_->Handle(Form("ec2", "Action=StopInstances&Version=2016-11-15&InstanceId.1=i-9"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"), std::string::npos);
  handler_.error = AwsError{"InternalFailure", "boom", 500};
  AwsResponse q = endpoint_->Handle(Form("autoscaling", "Action=DescribeAutoScalingGroups"));
  EXPECT_EQ(q.status, 500);
  EXPECT_NE(q.body.find("<Type>Receiver</Type>"), std::string::npos);
}

TEST_F(EndpointTest, SignatureFailures) {
  // Tampered body.
  AwsRequest tampered = Form("elasticloadbalancing", "Action=DescribeLoadBalancers");
  tampered.body = "Action=DeleteLoadBalancer&LoadBalancerArn=x";
  AwsResponse r = endpoint_->Handle(tampered);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << r.body;
  // Wrong secret: EC2 says AuthFailure.
  AwsResponse ec2 = endpoint_->Handle(Form("ec2", "Action=DescribeRegions&Version=2016-11-15", "wrong"));
  EXPECT_EQ(ec2.status, 401);
  EXPECT_NE(ec2.body.find("<Code>AuthFailure</Code>"), std::string::npos) << ec2.body;
  // Stale date.
  AwsResponse stale = endpoint_->Handle(Form("ec2", "Action=DescribeRegions&Version=2016-11-15", kSecret, kNow - 3600));
  EXPECT_NE(stale.body.find("<Code>RequestExpired</Code>"), std::string::npos) << stale.body;
  AwsResponse stale_q = endpoint_->Handle(Form("autoscaling", "Action=DescribePolicies", kSecret, kNow + 3600));
  EXPECT_NE(stale_q.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << stale_q.body;
  // Missing Authorization header.
  AwsRequest unsigned_req{"POST", "/", "", {{"Host", "h"}, {"Content-Type", "application/x-www-form-urlencoded"}},
                          "Action=DescribeAlarms&Version=2010-08-01"};
  AwsResponse missing = endpoint_->Handle(unsigned_req);
  EXPECT_EQ(missing.status, 403);
  EXPECT_NE(missing.body.find("<Code>MissingAuthenticationToken</Code>"), std::string::npos) << missing.body;
  // Unknown key.
  AwsRequest unknown = Form("monitoring", "Action=DescribeAlarms");
  std::string auth = HeaderValue(unknown.headers, "Authorization");
  auth.replace(auth.find(kKey), strlen(kKey), "AKIDOTHER");
  unknown.headers.erase("Authorization");
  unknown.headers.emplace("Authorization", auth);
  AwsResponse u = endpoint_->Handle(unknown);
  EXPECT_NE(u.body.find("<Code>InvalidClientTokenId</Code>"), std::string::npos) << u.body;
  EXPECT_EQ(handler_.calls, 0);
}

TEST_F(EndpointTest, AwsJson) {
  AwsRequest r{"POST", "/", "", {{"Host", "h"}, {"Content-Type", "application/x-amz-json-1.0"},
                                 {"X-Amz-Target", "GraniteServiceVersion20100801.SetAlarmState"}},
               R"({"AlarmName":"a","StateValue":"ALARM","StateReason":"test"})"};
  SignRequest(r.method, r.path, r.query, &r.headers, r.body, kKey, kSecret, "local", "monitoring", kNow);
  AwsResponse resp = endpoint_->Handle(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(handler_.last_ctx.protocol, "json");
  EXPECT_EQ(handler_.last_input["StateValue"], "ALARM");
  handler_.error = AwsError{"ResourceNotFound", "no alarm a", 404};
  AwsResponse err = endpoint_->Handle(r);
  EXPECT_EQ(err.status, 404);
  EXPECT_EQ(json::parse(err.body)["__type"], "ResourceNotFound");
  EXPECT_EQ(HeaderValue(err.headers, "x-amzn-query-error"), "ResourceNotFound;Sender");
  // awsJson is CloudWatch's only: EC2 refuses it.
  AwsRequest ec2 = r;
  SignRequest(ec2.method, ec2.path, ec2.query, &ec2.headers, ec2.body, kKey, kSecret, "local", "ec2", kNow);
  EXPECT_EQ(endpoint_->Handle(ec2).status, 400);
}

TEST_F(EndpointTest, RpcV2CborWithGzip) {
  handler_.output = json::parse(R"({"Metrics":[{"Namespace":"App","MetricName":"m"}]})");
  AwsRequest r{"POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", "",
               {{"Host", "h"}, {"Content-Type", "application/cbor"}, {"smithy-protocol", "rpc-v2-cbor"},
                {"Content-Encoding", "gzip"}},
               Gzip(std::string("\xa1\x69Namespace\x63" "App", 15))};
  SignRequest(r.method, r.path, r.query, &r.headers, r.body, kKey, kSecret, "local", "monitoring", kNow);
  AwsResponse resp = endpoint_->Handle(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(handler_.last_input, json::parse(R"({"Namespace":"App"})"));
  EXPECT_EQ(resp.content_type, "application/cbor");
  auto body = CborToJson(resp.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["Metrics"][0]["MetricName"], "m");
  AwsRequest bad = r;
  bad.path = "/service/GraniteServiceVersion20100801/operation/Nope";
  SignRequest(bad.method, bad.path, bad.query, &bad.headers, bad.body, kKey, kSecret, "local", "monitoring", kNow);
  AwsResponse unknown = endpoint_->Handle(bad);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ((*CborToJson(unknown.body))["__type"], "UnknownOperationException");
}

TEST_F(EndpointTest, BodyInflatedByTheHttpServer) {
  // botocore signs the gzip bytes of gzip.compress(body); cpp-httplib hands us the inflated body.
  std::string plain = "Action=PutMetricData&Namespace=App&MetricData.member.1.MetricName=m&MetricData.member.1.Value=2";
  std::string compressed = PythonGzipCandidates(plain, kNow - 1)[0];
  AwsRequest r{"POST", "/", "", {{"Host", "h"}, {"Content-Type", "application/x-www-form-urlencoded"},
                                 {"Content-Encoding", "gzip"}}, compressed};
  SignRequest(r.method, r.path, r.query, &r.headers, r.body, kKey, kSecret, "local", "monitoring", kNow);
  AwsResponse direct = endpoint_->Handle(r);
  EXPECT_EQ(direct.status, 200) << direct.body;
  EXPECT_EQ(handler_.last_input["MetricData"][0]["Value"], 2.0);
  r.body = plain;
  AwsResponse inflated = endpoint_->Handle(r);
  EXPECT_EQ(inflated.status, 200) << inflated.body;
  r.body = plain + "0";
  EXPECT_EQ(endpoint_->Handle(r).status, 403);
}

TEST_F(EndpointTest, Matches) {
  EXPECT_TRUE(endpoint_->Matches(Form("ec2", "Action=DescribeRegions")));
  EXPECT_TRUE(endpoint_->Matches({"GET", "/", "Action=DescribeRegions&Version=2016-11-15", {}, ""}));
  EXPECT_TRUE(endpoint_->Matches({"POST", "/service/X/operation/Y", "", {}, ""}));
  EXPECT_TRUE(endpoint_->Matches({"POST", "/", "", {{"X-Amz-Target", "A.B"}}, "{}"}));
  EXPECT_TRUE(endpoint_->Matches({"POST", "/", "", {{"content-type", "application/x-www-form-urlencoded"}}, "Action=X"}));
  EXPECT_FALSE(endpoint_->Matches({"GET", "/v1/instances", "", {{"Authorization", "Bearer t"}}, ""}));
  EXPECT_FALSE(endpoint_->Matches({"POST", "/v1/instances", "", {{"Content-Type", "application/json"}}, "{}"}));
}

}  // namespace
}  // namespace stratus::aws
