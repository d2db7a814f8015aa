// Protocol codecs against the embedded models: form decoding (ec2 and query), XML encoding of real operations,
// awsJson1_0 and RPC v2 CBOR documents, errors.
#include <gtest/gtest.h>

#include "aws/errors.h"
#include "aws/model.h"
#include "aws/protocol_cbor.h"
#include "aws/protocol_json.h"
#include "aws/protocol_query.h"
#include "aws/shape_values.h"

namespace stratus::aws {
namespace {

using nlohmann::json;

const ModelSet& Models() {
  static const ModelSet* models = [] {
    auto m = ModelSet::LoadEmbedded();
    STRATUS_CHECK(m.ok(), m.status().ToString().c_str());
    return std::move(*m).release();
  }();
  return *models;
}

const ServiceModel& Service(const std::string& name) {
  const ServiceModel* s = Models().Find(name);
  STRATUS_CHECK(s != nullptr, name.c_str());
  return *s;
}

const Operation& Op(const std::string& service, const std::string& op) {
  const Operation* o = Service(service).FindOperation(op);
  STRATUS_CHECK(o != nullptr, op.c_str());
  return *o;
}

QueryParams Form(const std::string& body) { return ParseQueryString(body, true); }

json DecodeOk(const std::string& service, const std::string& op, const std::string& form) {
  auto r = DecodeQueryInput(Service(service), Op(service, op), Form(form),
                            service == "ec2" ? Protocol::kEc2 : Protocol::kQuery);
  if (auto* e = std::get_if<AwsError>(&r)) {
    ADD_FAILURE() << e->code << ": " << e->message;
    return json();
  }
  return std::get<json>(r);
}

AwsError DecodeErr(const std::string& service, const std::string& op, const std::string& form) {
  auto r = DecodeQueryInput(Service(service), Op(service, op), Form(form),
                            service == "ec2" ? Protocol::kEc2 : Protocol::kQuery);
  EXPECT_TRUE(std::holds_alternative<AwsError>(r));
  return std::holds_alternative<AwsError>(r) ? std::get<AwsError>(r) : AwsError{};
}

TEST(ModelTest, LoadsTheFourServices) {
  EXPECT_EQ(Service("ec2").protocol(), Protocol::kEc2);
  EXPECT_EQ(Service("elasticloadbalancing").protocol(), Protocol::kQuery);
  EXPECT_EQ(Service("autoscaling").protocol(), Protocol::kQuery);
  EXPECT_EQ(Service("monitoring").protocol(), Protocol::kQuery);
  EXPECT_TRUE(Service("monitoring").SupportsProtocol(Protocol::kCbor));
  EXPECT_TRUE(Service("monitoring").SupportsProtocol(Protocol::kJson));
  EXPECT_EQ(Service("monitoring").target_prefix(), "GraniteServiceVersion20100801");
  EXPECT_TRUE(Service("monitoring").query_compatible());
  EXPECT_EQ(Op("elasticloadbalancing", "DescribeTargetHealth").result_wrapper, "DescribeTargetHealthResult");
  for (const char* s : {"ec2", "elasticloadbalancing", "autoscaling"}) EXPECT_NE(Service(s).FindOperation("DescribeTags"), nullptr);
}

TEST(QueryDecodeTest, Ec2RunInstances) {
  json in = DecodeOk("ec2", "RunInstances",
                     "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=2&UserData=aGVsbG8%3D"
                     "&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name"
                     "&TagSpecification.1.Tag.1.Value=web+server&SecurityGroupId.1=sg-1&SecurityGroupId.2=sg-2"
                     "&Monitoring.Enabled=true&ClientToken=tok");
  EXPECT_EQ(in, json::parse(R"({"ImageId":"ami-1","MinCount":1,"MaxCount":2,"UserData":"aGVsbG8=",
      "TagSpecifications":[{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"web server"}]}],
      "SecurityGroupIds":["sg-1","sg-2"],"Monitoring":{"Enabled":true},"ClientToken":"tok"})"));
}

TEST(QueryDecodeTest, Ec2FiltersInIndexOrder) {
  json in = DecodeOk("ec2", "DescribeInstances",
                     "Action=DescribeInstances&Filter.2.Name=instance-state-name&Filter.2.Value.1=running"
                     "&Filter.1.Name=tag%3AName&Filter.1.Value.10=c&Filter.1.Value.2=b&Filter.1.Value.1=a"
                     "&InstanceId.1=i-1&MaxResults=5&NextToken=t");
  EXPECT_EQ(in["Filters"], json::parse(R"([{"Name":"tag:Name","Values":["a","b","c"]},
      {"Name":"instance-state-name","Values":["running"]}])"));
  EXPECT_EQ(in["InstanceIds"], json::parse(R"(["i-1"])"));
  EXPECT_EQ(in["MaxResults"], 5);
}

TEST(QueryDecodeTest, QueryMembersMapsAndEmptyLists) {
  json in = DecodeOk("elasticloadbalancing", "ModifyTargetGroupAttributes",
                     "Action=ModifyTargetGroupAttributes&TargetGroupArn=arn%3Atg&Attributes.member.1.Key="
                     "stickiness.enabled&Attributes.member.1.Value=true&Attributes.member.2.Key=deregistration_delay"
                     ".timeout_seconds&Attributes.member.2.Value=5");
  EXPECT_EQ(in, json::parse(R"({"TargetGroupArn":"arn:tg","Attributes":[
      {"Key":"stickiness.enabled","Value":"true"},{"Key":"deregistration_delay.timeout_seconds","Value":"5"}]})"));
  json empty = DecodeOk("elasticloadbalancing", "DescribeTargetGroups", "Action=DescribeTargetGroups&TargetGroupArns=");
  EXPECT_EQ(empty["TargetGroupArns"], json::array());
  json metric = DecodeOk("monitoring", "PutMetricData",
                         "Namespace=App&MetricData.member.1.MetricName=Latency&MetricData.member.1.Value=1.5"
                         "&MetricData.member.1.Timestamp=2024-05-01T12%3A00%3A00.500Z"
                         "&MetricData.member.1.Dimensions.member.1.Name=Host&MetricData.member.1.Dimensions.member.1"
                         ".Value=a&EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key=Type"
                         "&EntityMetricData.member.1.Entity.KeyAttributes.entry.1.value=Service&StrictEntityValidation=false");
  EXPECT_EQ(metric["MetricData"][0]["Value"], 1.5);
  EXPECT_EQ(metric["MetricData"][0]["Timestamp"], 1714564800.5);
  EXPECT_EQ(metric["MetricData"][0]["Dimensions"][0], json::parse(R"({"Name":"Host","Value":"a"})"));
  EXPECT_EQ(metric["EntityMetricData"][0]["Entity"]["KeyAttributes"], json::parse(R"({"Type":"Service"})"));
  EXPECT_EQ(metric["StrictEntityValidation"], false);
}

TEST(QueryDecodeTest, TypeErrorsInEachServicesStyle) {
  AwsError e = DecodeErr("ec2", "DescribeInstances", "MaxResults=five");
  EXPECT_EQ(e.code, "InvalidParameterValue");
  EXPECT_NE(e.message.find("MaxResults"), std::string::npos);
  EXPECT_EQ(DecodeErr("elasticloadbalancing", "DescribeTargetGroups", "PageSize=1.5").code, "ValidationError");
  EXPECT_EQ(DecodeErr("monitoring", "PutMetricData", "Namespace=a&MetricData.member.1.Timestamp=yesterday").code,
            "InvalidParameterValue");
  EXPECT_EQ(DecodeErr("autoscaling", "SetDesiredCapacity", "DesiredCapacity=99999999999").code, "ValidationError");
  EXPECT_EQ(DecodeErr("ec2", "DescribeInstances", "DryRun=maybe").code, "InvalidParameterValue");
  EXPECT_EQ(DecodeErr("ec2", "DescribeInstances", "InstanceId.1=%FF%FE").code, "InvalidParameterValue");
}

TEST(ValidateTest, RequiredMembers) {
  const ServiceModel& ec2 = Service("ec2");
  auto e = ValidateInput(ec2, *Op("ec2", "TerminateInstances").input, json::object());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "MissingParameter");
  EXPECT_NE(e->message.find("InstanceIds"), std::string::npos);
  auto v = ValidateInput(Service("elasticloadbalancing"), *Op("elasticloadbalancing", "DescribeTargetHealth").input,
                         json::object());
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->code, "ValidationError");
  EXPECT_NE(v->message.find("targetGroupArn"), std::string::npos);
  auto nested = ValidateInput(Service("monitoring"), *Op("monitoring", "PutMetricData").input,
                              json::parse(R"({"Namespace":"a","MetricData":[{"Value":1}]})"));
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(nested->code, "MissingParameter");
  EXPECT_NE(nested->message.find("MetricName"), std::string::npos);
  auto range = ValidateInput(Service("autoscaling"), *Op("autoscaling", "DescribeAutoScalingGroups").input,
                             json::parse(R"({"MaxRecords":0})"));
  EXPECT_FALSE(range.has_value() && range->code != "ValidationError");
  EXPECT_FALSE(ValidateInput(ec2, *Op("ec2", "TerminateInstances").input, json::parse(R"({"InstanceIds":["i-1"]})")));
}

json RunInstancesOutput() {
  return json::parse(R"({"ReservationId":"r-1","OwnerId":"123456789012","Instances":[{"InstanceId":"i-0123",
      "ImageId":"ami-1","State":{"Code":0,"Name":"pending"},"LaunchTime":1714564800,"InstanceType":"t3.nano",
      "PrivateIpAddress":"10.0.0.5","Tags":[{"Key":"Name","Value":"a<b"}],"EbsOptimized":false,"Unknown":"x"}]})");
}

TEST(XmlEncodeTest, Ec2RunInstances) {
  AwsResponse r = EncodeXmlResponse(Service("ec2"), Op("ec2", "RunInstances"), RunInstancesOutput(), "rid", Protocol::kEc2);
  EXPECT_EQ(r.status, 200);
  const std::string& b = r.body;
  EXPECT_NE(b.find("<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\"><requestId>rid</requestId>"
                   "<reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet><item>"),
            std::string::npos) << b;
  EXPECT_NE(b.find("<instanceId>i-0123</instanceId>"), std::string::npos);
  EXPECT_NE(b.find("<instanceState><code>0</code><name>pending</name></instanceState>"), std::string::npos) << b;
  EXPECT_NE(b.find("<launchTime>2024-05-01T12:00:00.000Z</launchTime>"), std::string::npos);
  EXPECT_NE(b.find("<tagSet><item><key>Name</key><value>a&lt;b</value></item></tagSet>"), std::string::npos);
  EXPECT_NE(b.find("<ebsOptimized>false</ebsOptimized>"), std::string::npos);
  EXPECT_EQ(b.find("Unknown"), std::string::npos);
  EXPECT_EQ(b.find("Result"), std::string::npos);
}

TEST(XmlEncodeTest, Ec2DescribeInstancesAndNoOutput) {
  json out = {{"Reservations", json::array({RunInstancesOutput()})}, {"NextToken", "n2"}};
  AwsResponse r = EncodeXmlResponse(Service("ec2"), Op("ec2", "DescribeInstances"), out, "rid", Protocol::kEc2);
  EXPECT_NE(r.body.find("<requestId>rid</requestId><nextToken>n2</nextToken><reservationSet><item><reservationId>r-1"
                        "</reservationId>"), std::string::npos) << r.body;
  AwsResponse tags = EncodeXmlResponse(Service("ec2"), Op("ec2", "CreateTags"), json(), "rid", Protocol::kEc2);
  EXPECT_NE(tags.body.find("<requestId>rid</requestId><return>true</return></CreateTagsResponse>"), std::string::npos);
}

TEST(XmlEncodeTest, QueryDescribeTargetHealth) {
  json out = json::parse(R"({"TargetHealthDescriptions":[{"Target":{"Id":"i-1","Port":80},"HealthCheckPort":"80",
      "TargetHealth":{"State":"healthy"}}]})");
  AwsResponse r = EncodeXmlResponse(Service("elasticloadbalancing"), Op("elasticloadbalancing", "DescribeTargetHealth"),
                                    out, "rid", Protocol::kQuery);
  EXPECT_NE(r.body.find("<DescribeTargetHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
                        "<DescribeTargetHealthResult><TargetHealthDescriptions><member><Target><Id>i-1</Id>"
                        "<Port>80</Port></Target><HealthCheckPort>80</HealthCheckPort><TargetHealth><State>healthy"
                        "</State></TargetHealth></member></TargetHealthDescriptions></DescribeTargetHealthResult>"
                        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DescribeTargetHealthResponse>"),
            std::string::npos) << r.body;
}

TEST(XmlEncodeTest, QueryDescribeAlarms) {
  json out = json::parse(R"({"MetricAlarms":[{"AlarmName":"cpu-high","StateValue":"ALARM","Threshold":70.5,
      "StateUpdatedTimestamp":"2024-05-01T12:00:00Z","ActionsEnabled":true,"EvaluationPeriods":3,
      "Dimensions":[{"Name":"AutoScalingGroupName","Value":"web"}],"AlarmActions":["arn:policy"]}],"NextToken":"n"})");
  AwsResponse r = EncodeXmlResponse(Service("monitoring"), Op("monitoring", "DescribeAlarms"), out, "rid", Protocol::kQuery);
  const std::string& b = r.body;
  EXPECT_NE(b.find("<DescribeAlarmsResult><MetricAlarms><member><AlarmName>cpu-high</AlarmName>"), std::string::npos) << b;
  EXPECT_NE(b.find("<AlarmActions><member>arn:policy</member></AlarmActions>"), std::string::npos);
  EXPECT_NE(b.find("<StateUpdatedTimestamp>2024-05-01T12:00:00.000Z</StateUpdatedTimestamp>"), std::string::npos);
  EXPECT_NE(b.find("<Threshold>70.5</Threshold>"), std::string::npos);
  EXPECT_NE(b.find("<Dimensions><member><Name>AutoScalingGroupName</Name><Value>web</Value></member></Dimensions>"),
            std::string::npos);
  EXPECT_NE(b.find("<NextToken>n</NextToken></DescribeAlarmsResult>"), std::string::npos);
}

TEST(XmlEncodeTest, Errors) {
  AwsResponse ec2 = EncodeXmlError("ns", {"InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist", 400},
                                   "rid", Protocol::kEc2);
  EXPECT_EQ(ec2.status, 400);
  EXPECT_NE(ec2.body.find("<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID "
                          "&apos;i-1&apos; does not exist</Message></Error></Errors><RequestID>rid</RequestID></Response>"),
            std::string::npos) << ec2.body;
  AwsResponse q = EncodeXmlError("ns", {"LoadBalancerNotFound", "nope", 400}, "rid", Protocol::kQuery);
  EXPECT_NE(q.body.find("<ErrorResponse xmlns=\"ns\"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code>"
                        "<Message>nope</Message></Error><RequestId>rid</RequestId></ErrorResponse>"),
            std::string::npos) << q.body;
  AwsResponse internal = EncodeXmlError("ns", {"InternalFailure", "x", 500}, "rid", Protocol::kQuery);
  EXPECT_NE(internal.body.find("<Type>Receiver</Type>"), std::string::npos);
}

TEST(JsonProtocolTest, DecodeAndEncode) {
  const ServiceModel& cw = Service("monitoring");
  auto in = DecodeJsonInput(cw, Op("monitoring", "GetMetricStatistics"),
                            R"({"Namespace":"AWS/EC2","MetricName":"CPUUtilization","StartTime":1714564800,
                               "EndTime":1714568400.25,"Period":60,"Statistics":["Average","Maximum"],"Bogus":1})");
  ASSERT_TRUE(std::holds_alternative<json>(in));
  EXPECT_EQ(std::get<json>(in), json::parse(R"({"Namespace":"AWS/EC2","MetricName":"CPUUtilization",
      "StartTime":1714564800,"EndTime":1714568400.25,"Period":60,"Statistics":["Average","Maximum"]})"));
  auto bad = DecodeJsonInput(cw, Op("monitoring", "GetMetricStatistics"), R"({"Period":"sixty"})");
  ASSERT_TRUE(std::holds_alternative<AwsError>(bad));
  EXPECT_EQ(std::get<AwsError>(bad).code, "InvalidParameterValue");
  auto garbage = DecodeJsonInput(cw, Op("monitoring", "GetMetricStatistics"), "{not json");
  ASSERT_TRUE(std::holds_alternative<AwsError>(garbage));
  EXPECT_EQ(std::get<AwsError>(garbage).code, "SerializationException");
  AwsResponse r = EncodeJsonResponse(Op("monitoring", "GetMetricStatistics"),
                                     json::parse(R"({"Label":"CPU","Datapoints":[{"Timestamp":"2024-05-01T12:00:00Z",
                                         "Average":1.5,"Unit":"Percent"}]})"));
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"Label":"CPU","Datapoints":[{"Timestamp":1714564800,"Average":1.5,
      "Unit":"Percent"}]})"));
  AwsResponse e = EncodeJsonError({"ResourceNotFound", "no alarm", 404}, true);
  EXPECT_EQ(json::parse(e.body), json::parse(R"({"__type":"ResourceNotFound","message":"no alarm"})"));
  EXPECT_EQ(HeaderValue(e.headers, "x-amzn-query-error"), "ResourceNotFound;Sender");
}

TEST(CborProtocolTest, RoundTripThroughOurEncoder) {
  const ServiceModel& cw = Service("monitoring");
  const Operation& op = Op("monitoring", "PutMetricData");
  json input = json::parse(R"({"Namespace":"App","MetricData":[{"MetricName":"Latency","Value":1.5,
      "Timestamp":1714564800,"Values":[1.0,2.5],"Counts":[1.0,2.0],"Dimensions":[{"Name":"Host","Value":"a"}]}]})");
  std::string bytes;
  ShapeRef ref;
  ref.shape = op.input;
  EncodeCborValue(ref, input, &bytes);
  auto decoded = DecodeCborInput(cw, op, bytes);
  ASSERT_TRUE(std::holds_alternative<json>(decoded)) << std::get<AwsError>(decoded).message;
  EXPECT_EQ(std::get<json>(decoded), input);
  // Timestamps go out as tag 1 (0xc1) followed by the epoch seconds.
  AwsResponse r = EncodeCborResponse(Op("monitoring", "GetMetricStatistics"),
                                     json::parse(R"({"Datapoints":[{"Timestamp":1714564800}]})"));
  EXPECT_NE(r.body.find(std::string("\xc1\x1a\x66\x32\x2e\xc0", 6)), std::string::npos);
  EXPECT_EQ(HeaderValue(r.headers, "smithy-protocol"), "rpc-v2-cbor");
}

TEST(CborProtocolTest, HostileBodiesFailCleanly) {
  const ServiceModel& cw = Service("monitoring");
  const Operation& op = Op("monitoring", "ListMetrics");
  for (const std::string& body : {std::string(100000, '\x81'), std::string("\xa1\x61", 2), std::string("\x5b\xff\xff\xff\xff\xff\xff\xff\xff", 9),
                                   std::string("\xbf\x01\x02\xff", 4), std::string("\xa0\x00", 2), std::string("\xfc", 1)}) {
    auto r = DecodeCborInput(cw, op, body);
    ASSERT_TRUE(std::holds_alternative<AwsError>(r));
    EXPECT_EQ(std::get<AwsError>(r).code, "SerializationException");
  }
  auto indefinite = CborToJson(std::string("\xbf\x63" "abc" "\x9f\x01\x02\xff\xff", 10));
  ASSERT_TRUE(indefinite.ok()) << indefinite.status().ToString();
  EXPECT_EQ(*indefinite, json::parse(R"({"abc":[1,2]})"));
}

TEST(WireTest, Timestamps) {
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00:00Z"), 1714564800);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T14:00:00+02:00"), 1714564800);
  EXPECT_EQ(*ParseTimestamp("2024-05-01T12:00:00.250Z"), 1714564800.25);
  EXPECT_EQ(*ParseTimestamp("20240501T120000Z"), 1714564800);
  EXPECT_EQ(*ParseTimestamp("1714564800"), 1714564800);
  EXPECT_EQ(*ParseTimestamp("Wed, 01 May 2024 12:00:00 GMT"), 1714564800);
  EXPECT_EQ(*ParseTimestamp("2024-05-01"), 1714521600);
  EXPECT_FALSE(ParseTimestamp("2024-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("soon").ok());
  EXPECT_EQ(FormatIso8601(1714564800.25), "2024-05-01T12:00:00.250Z");
  EXPECT_EQ(FormatRfc822(1714564800), "Wed, 01 May 2024 12:00:00 GMT");
  EXPECT_EQ(FormatAmzDate(1440938160), "20150830T123600Z");
}

TEST(WireTest, Base64AndUrl) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*Base64Decode("aGVsbG8", Base64Decoding::kLenient), "hello");  // AWS accepts missing padding
  EXPECT_FALSE(Base64Decode("a*b", Base64Decoding::kLenient).ok());
  EXPECT_EQ(UrlDecode("a+b%20c%zz", true), "a b c%zz");
  EXPECT_EQ(UriEncode("a b/~", false), "a%20b%2F~");
  EXPECT_EQ(ParseQueryString("a=1&&b&c=%3D", false),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", ""}, {"c", "="}}));
}

}  // namespace
}  // namespace stratus::aws

namespace stratus::aws {
namespace {

TEST(ErrorsTest, StatusFallbacks) {
  EXPECT_EQ(AwsErrorFromStatus(InvalidArgument("bad"), "ec2").code, "InvalidParameterValue");
  EXPECT_EQ(AwsErrorFromStatus(InvalidArgument("bad"), "autoscaling").code, "ValidationError");
  AwsError nf = AwsErrorFromStatus(NotFound("alarm x not found"), "monitoring");
  EXPECT_EQ(nf.code, "ResourceNotFound");
  EXPECT_EQ(nf.http_status, 400);  // what stratusd's handler has always answered (CloudWatch's model says 404)
  EXPECT_EQ(nf.message, "alarm x not found");
  EXPECT_EQ(AwsErrorFromStatus(FailedPrecondition("stopped"), "ec2").code, "IncorrectState");
  EXPECT_EQ(AwsErrorFromStatus(Conflict("busy"), "autoscaling").code, "ResourceContention");
  EXPECT_EQ(AwsErrorFromStatus(Unavailable("down"), "elasticloadbalancing").http_status, 503);
  EXPECT_EQ(AwsErrorFromStatus(Internal("bug"), "ec2").http_status, 500);
  EXPECT_EQ(AwsErrorFromStatus(ResourceExhausted("full"), "ec2").code, "InstanceLimitExceeded");
  EXPECT_EQ(AwsErrorFromStatus(FailedPrecondition("in use"), "elasticloadbalancing").code, "ResourceInUse");
}

TEST(ErrorsTest, TheNativeApiSpeaksEc2LikeCodes) {
  EXPECT_EQ(AwsErrorCode(NotFound("image ami-1 not found"), kNativeApi), "NotFound");
  EXPECT_EQ(AwsErrorCode(InvalidArgument("bad"), kNativeApi), "InvalidParameterValue");
  EXPECT_EQ(AwsErrorCode(ResourceExhausted("full"), kNativeApi), "LimitExceeded");
  EXPECT_EQ(AwsErrorCode(Internal("bug"), kNativeApi), "InternalError");
  EXPECT_EQ(AwsErrorCode(NotFound("x").WithErrorCode("InvalidInstanceID.NotFound"), kNativeApi),
            "InvalidInstanceID.NotFound");
}

}  // namespace
}  // namespace stratus::aws

namespace stratus::aws {
namespace {

TEST(OutputTest, InvalidUtf8FromTheServiceIsReplaced) {
  EXPECT_EQ(ToValidUtf8("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(ToValidUtf8("a\xff" "b\xc3"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  json out = {{"Output", "boot \xff log"}, {"InstanceId", "i-1"}};
  AwsResponse x = EncodeXmlResponse(Service("ec2"), Op("ec2", "GetConsoleOutput"), out, "rid", Protocol::kEc2);
  EXPECT_NE(x.body.find("<output>boot \xEF\xBF\xBD log</output>"), std::string::npos) << x.body;
  AwsResponse c = EncodeCborResponse(Op("monitoring", "DescribeAlarms"),
                                     json::parse(R"({"MetricAlarms":[{"AlarmName":"x"}]})"));
  EXPECT_TRUE(CborToJson(c.body).ok());
}

}  // namespace
}  // namespace stratus::aws
